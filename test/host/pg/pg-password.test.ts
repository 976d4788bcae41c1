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

/** A server that asks every client for a cleartext password and refuses it: the passwords received, in order. */
async function passwordAskingServer(t: Test): Promise<{ port: number; passwords: string[] }> {
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
        const ask = Buffer.alloc(9);
        ask.write('R', 0);
        ask.writeInt32BE(8, 1);
        ask.writeInt32BE(3, 5);
        socket.write(ask);
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

async function doctor(t: Test, port: number, postgres: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const dir = await tempDir(t, 'till-pg-password-');
  const broker = await startBroker(t);
  const file = join(dir, 'host.yaml');
  await writeFile(join(dir, 'pg-password'), 'file-secret-1\nnot part of the password\n');
  await writeFile(file, stringify({
    data_dir: join(dir, 'data'), uplink: { url: broker.url }, store: 'postgres',
    postgres: { url: `postgres://till_host@127.0.0.1:${port}/loyalty`, schema: 'till_host', ...postgres },
  }));
  const host = spawnHost(t, ['--config', file, '--doctor'], { TILL_HOST_PG_PASSWORD: undefined, ...env });
  const exit = await host.exited;
  return { code: exit.code, out: host.stdout() + host.stderr() };
}

t.test('password_file: its first line is sent to the server', async (t) => {
  const server = await passwordAskingServer(t);
  const { code, out } = await doctor(t, server.port, { password_file: 'pg-password' });
  t.equal(code, 1);
  t.same(server.passwords, ['file-secret-1'], 'the password reached the server');
  t.match(out, /✖ store +postgres: .*password authentication failed for user "till_host"/);
  t.notMatch(out, /file-secret/, 'never printed');
});

t.test('TILL_HOST_PG_PASSWORD is sent when there is no password_file', async (t) => {
  const server = await passwordAskingServer(t);
  const { code, out } = await doctor(t, server.port, {}, { TILL_HOST_PG_PASSWORD: 'env-secret-2' });
  t.equal(code, 1);
  t.same(server.passwords, ['env-secret-2'], 'the password reached the server');
  t.notMatch(out, /env-secret/, 'never printed');
});
