// The PostgreSQL password (postgres.password_file's first line, else TILL_HOST_PG_PASSWORD) reaches
// the server. The test server trusts every connection, so a small fake server here asks for a
// cleartext password as a password-authenticated PostgreSQL does, records what the host sends and
// refuses it as a wrong password (28P01).
import t, { type Test } from 'tap';
import { createServer, type Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startBroker } from '../../helpers/broker.ts';
import { spawnHost } from '../../helpers/host-process.ts';
import { tempDir } from '../../helpers/tmp.ts';

/**
 * A server that asks every client for a cleartext password and refuses it: the passwords received,
 * in order. `scram`: it asks for SCRAM-SHA-256 instead (PostgreSQL's default), goes as far as its
 * first challenge and records nothing (the exchange itself is not played).
 */
async function passwordAskingServer(t: Test, scram = false): Promise<{ port: number; passwords: string[] }> {
  const passwords: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!started) {
        // StartupMessage: Int32 length, Int32 protocol, parameters. Answer AuthenticationCleartextPassword.
        if (buffer.length < 4 || buffer.length < buffer.readInt32BE(0)) return;
        buffer = buffer.subarray(buffer.readInt32BE(0));
        started = true;
        socket.write(scram ? authMessage(10, 'SCRAM-SHA-256\0\0') : authMessage(3, ''));
      }
      if (scram) {
        // SASLInitialResponse in: answer SASLContinue (a client without a password stops here).
        if (buffer.length >= 5 && buffer.length >= 1 + buffer.readInt32BE(1)) {
          buffer = buffer.subarray(1 + buffer.readInt32BE(1));
          socket.write(authMessage(11, 'r=abcdef,s=c2FsdA==,i=4096'));
        }
        return;
      }
      // PasswordMessage: 'p', Int32 length, the password and a NUL.
      if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) return;
      if (buffer.toString('latin1', 0, 1) !== 'p') return void socket.destroy();
      passwords.push(buffer.toString('utf8', 5, buffer.readInt32BE(1)).replace(/\0$/, ''));
      const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "till_host"'].map((f) => `${f}\0`).join('') + '\0';
      const error = Buffer.alloc(5 + Buffer.byteLength(fields));
      error.write('E', 0);
      error.writeInt32BE(4 + Buffer.byteLength(fields), 1);
      error.write(fields, 5);
      socket.end(error);
    });
  });
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, passwords };
}

/** An Authentication message: 'R', Int32 length, Int32 kind, its data. */
function authMessage(kind: number, data: string): Buffer {
  const body = Buffer.from(data, 'latin1');
  const m = Buffer.alloc(9 + body.length);
  m.write('R', 0);
  m.writeInt32BE(8 + body.length, 1);
  m.writeInt32BE(kind, 5);
  body.copy(m, 9);
  return m;
}

async function doctor(t: Test, port: number, postgres: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, args = ['--doctor']) {
  const dir = await tempDir(t, 'till-pg-password-');
  const broker = await startBroker(t);
  const file = join(dir, 'host.yaml');
  await writeFile(join(dir, 'pg-password'), 'file-secret-1\nnot part of the password\n');
  await writeFile(file, stringify({
    data_dir: join(dir, 'data'), uplink: { url: broker.url }, store: 'postgres',
    postgres: { url: `postgres://till_host@127.0.0.1:${port}/loyalty`, schema: 'till_host', ...postgres },
  }));
  const host = spawnHost(t, ['--config', file, ...args], { TILL_HOST_PG_PASSWORD: undefined, ...env });
  const exit = await host.exited;
  return { code: exit.code, out: host.stdout() + host.stderr() };
}

t.test('password_file: its first line is sent to the server', async (t) => {
  const server = await passwordAskingServer(t);
  const { code, out } = await doctor(t, server.port, { password_file: 'pg-password' });
  t.equal(code, 1);
  t.same(server.passwords, ['file-secret-1'], 'the password reached the server');
  t.match(out, '✖ store  postgres: password authentication failed for user "till_host" (check the password: postgres.password_file, else TILL_HOST_PG_PASSWORD)\n');
  t.notMatch(out, /file-secret/, 'never printed');
});

t.test('TILL_HOST_PG_PASSWORD is sent when there is no password_file', async (t) => {
  const server = await passwordAskingServer(t);
  const { code, out } = await doctor(t, server.port, {}, { TILL_HOST_PG_PASSWORD: 'env-secret-2' });
  t.equal(code, 1);
  t.same(server.passwords, ['env-secret-2'], 'the password reached the server');
  t.notMatch(out, /env-secret/, 'never printed');
});

t.test('no password set for a server that asks for one (SCRAM): said so naming the keys', async (t) => {
  // pg's own words were 'SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'.
  const server = await passwordAskingServer(t, true);
  const { code, out } = await doctor(t, server.port, {});
  t.equal(code, 1);
  t.same(server.passwords, []);
  t.match(out, '✖ store  postgres: the server asks for a password and none is set (postgres.password_file, else TILL_HOST_PG_PASSWORD)\n');
  // Not a server to wait for: the host's start fails at once, saying the same.
  const start = await doctor(t, server.port, {}, {}, []);
  t.equal(start.code, 1);
  t.match(start.out, 'the server asks for a password and none is set');
  t.notMatch(start.out, 'waiting for PostgreSQL');
});
