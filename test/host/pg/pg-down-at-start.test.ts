// A host started while its PostgreSQL cannot be reached (down at boot, restarting) waits for it
// instead of exiting, and a running host's status says when PostgreSQL or the broker is lost: systemd restarted an exiting host five times in ~10 s (RestartSec=2,
// StartLimitBurst=5) and then gave up on it for good, so a fleet whose database came back a little
// later stayed down. The PostgreSQL "comes up" here as a TCP proxy started later on the port the
// config names (the shared test server itself is never stopped).
import t, { type Test } from 'tap';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { parseUpstreamResponse, type UpstreamResponse } from '../../../protocol/upstream.ts';
import { startBroker, type Broker } from '../../helpers/broker.ts';
import { message, request } from '../../helpers/host-fixtures.ts';
import { spawnHost } from '../../helpers/host-process.ts';
import { TEST_PG_URL, pgQuery, pgTestSchema } from '../../helpers/pg.ts';
import { freePort } from '../../helpers/ports.ts';
import { notifySocket } from '../../helpers/notify-socket.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * Forwards 127.0.0.1:port to the test server: PostgreSQL reachable on that port until stop(),
 * which also drops every connection made through it, as a server going down does (only this
 * test's own connections: the shared server is never touched).
 */
async function pgProxy(t: Test, port: number): Promise<{ stop(): void }> {
  const target = new URL(TEST_PG_URL);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => { client.destroy(); upstream.destroy(); });
      s.on('close', () => { sockets.delete(s); client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream).pipe(client);
  });
  const stop = () => {
    server.close();
    for (const s of sockets) s.destroy();
  };
  t.teardown(stop);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { stop };
}

async function hostConfig(t: Test, url: string, schema: string, broker?: Broker): Promise<string> {
  const dir = await tempDir(t, 'till-pg-down-');
  broker ??= await startBroker(t);
  const file = join(dir, 'host.yaml');
  await writeFile(file, stringify({
    data_dir: join(dir, 'data'), uplink: { url: broker.url, reconnect_max_ms: 1000 }, store: 'postgres', postgres: { url, schema },
  }));
  return file;
}

const atPort = (port: number) => {
  const url = new URL(TEST_PG_URL);
  url.port = String(port);
  return url.toString();
};

t.test('PostgreSQL down at start: READY with STATUS waiting for PostgreSQL, then the host starts once it is reachable', async (t) => {
  const port = await freePort();
  const schema = pgTestSchema(t);
  const { path, messages } = await notifySocket(t);
  const host = spawnHost(t, ['--config', await hostConfig(t, atPort(port), schema)], { NOTIFY_SOCKET: path, WATCHDOG_USEC: '200000' });
  const waiting = await host.waitForLog('waiting for PostgreSQL (postgres.url)');
  const reason = `connect ECONNREFUSED 127.0.0.1:${port} (check postgres.url: is the server up and reachable from here?)`;
  t.match(waiting, { level: 'warn', err: { message: reason, code: 'ECONNREFUSED' }, retry_in_ms: 1000 });
  await waitFor(() => messages.includes(`READY=1\nSTATUS=waiting for PostgreSQL: ${reason}`), { what: 'READY=1 waiting for PostgreSQL' });
  await waitFor(() => host.logs().filter((l) => l.msg === 'waiting for PostgreSQL (postgres.url)').length >= 2, { what: 'a second attempt' });
  await waitFor(() => messages.filter((m) => m === 'WATCHDOG=1').length >= 2, { what: 'watchdog pings while waiting' });
  t.equal(host.child.exitCode, null, 'still running: not exited for systemd to give up on');

  await pgProxy(t, port);
  await waitFor(() => messages.includes('STATUS=consuming till requests'), { what: 'STATUS consuming once PostgreSQL is reachable', timeout: 30_000 });
  t.match(await host.waitForLog('host started'), { store: `postgres 127.0.0.1:${port}/test schema ${schema} (schema version 2)` });
  t.same(await pgQuery(schema, 'SELECT version FROM schema_version'), [{ version: 2 }], 'the schema was created');
  t.equal(messages.filter((m) => m.startsWith('READY=1')).length, 1, 'READY=1 once');
  host.child.kill('SIGTERM');
  t.equal((await host.exited).code, 0);
});

t.test('a stop signal while waiting for PostgreSQL stops the host at once, exit 0', async (t) => {
  const port = await freePort();
  const host = spawnHost(t, ['--config', await hostConfig(t, atPort(port), pgTestSchema(t))]);
  await host.waitForLog('waiting for PostgreSQL (postgres.url)');
  host.child.kill('SIGTERM');
  t.equal((await host.exited).code, 0);
  await waitFor(() => host.logs().some((l) => l.msg === 'stopped while waiting for PostgreSQL'), { what: 'the stop logged' });
});

t.test('what waiting cannot mend (a database that does not exist) still fails the start at once', async (t) => {
  const url = new URL(TEST_PG_URL);
  url.pathname = '/till_no_such_database';
  const host = spawnHost(t, ['--config', await hostConfig(t, url.toString(), pgTestSchema(t))]);
  t.equal((await host.exited).code, 1);
  t.equal((host.logs().find((l) => l.msg === 'host failed to start')?.err as { message?: string } | undefined)?.message, 'database "till_no_such_database" does not exist (check the database in postgres.url)');
  t.notOk(host.logs().some((l) => l.msg === 'waiting for PostgreSQL (postgres.url)'));
});

t.test('a running host: STATUS says when PostgreSQL is unreachable (requests answered "retry") and when the broker is lost, and when each is back', async (t) => {
  // STATUS stayed "consuming till requests" through both: an operator looking at systemctl status saw nothing wrong.
  const port = await freePort();
  const schema = pgTestSchema(t);
  const broker = await startBroker(t);
  const { path, messages } = await notifySocket(t);
  let proxy = await pgProxy(t, port);
  const host = spawnHost(t, ['--config', await hostConfig(t, atPort(port), schema, broker)], { NOTIFY_SOCKET: path });
  await waitFor(() => messages.includes('STATUS=consuming till requests'), { what: 'STATUS consuming' });

  const till = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `pg-status-till-${process.pid}`, clean: true, reconnectPeriod: 200 });
  t.teardown(() => till.endAsync(true));
  const answers: UpstreamResponse[] = [];
  till.on('message', (_topic, payload) => {
    const parsed = parseUpstreamResponse(JSON.parse(payload.toString()));
    if (parsed.ok) answers.push(parsed.value);
  });
  await till.subscribeAsync('till/v1/M1/S1/T1/res', { qos: 1 });
  const ask = async () => {
    const r = request([message('identify', { by: 'email', value: 'nobody@example.com' })], { merchant: 'M1', store: 'S1', terminal: 'T1' }, 'till/v1/M1/S1/T1/res');
    await till.publishAsync('till/v1/M1/S1/T1/req', JSON.stringify(r), { qos: 1 });
    return waitFor(() => answers.find((a) => a.request_id === r.request_id), { what: 'an answer' });
  };
  t.match((await ask()).results[0], { ok: false, error: { code: 'NOT_FOUND' } }, 'PostgreSQL reached');

  // PostgreSQL goes away (its connections dropped, nothing listening).
  proxy.stop();
  t.match((await ask()).results[0], { ok: false, error: { code: 'INTERNAL', permanent: false } }, 'answered "retry"');
  const unreachable = `STATUS=PostgreSQL unreachable, answering till requests "retry": connect ECONNREFUSED 127.0.0.1:${port}`;
  await waitFor(() => messages.includes(unreachable), { what: 'STATUS PostgreSQL unreachable' });
  t.match(host.logs().find((l) => l.msg === 'PostgreSQL unreachable: till requests are answered "retry" until it is back'), { level: 'warn' });
  // Every till's resends fail alike meanwhile: one line for them (each was an error with its stack).
  for (let i = 0; i < 3; i++) t.match((await ask()).results[0], { ok: false, error: { code: 'INTERNAL', permanent: false } });
  const failed = host.logs().filter((l) => typeof l.msg === 'string' && /^batch (transaction failed|not applied)/.test(l.msg));
  t.equal(failed.length, 1, `one line for 4 requests not applied (${failed.map((l) => l.msg).join(' | ')})`);
  t.match(failed[0], { level: 'warn', msg: /^batch not applied: the store is unreachable/, code: 'ECONNREFUSED', reason: /ECONNREFUSED/ });
  t.notOk(JSON.stringify(failed[0]).includes('stack'), `no stack: the cause is known (${JSON.stringify(failed[0])})`);

  proxy = await pgProxy(t, port);
  t.match((await ask()).results[0], { ok: false, error: { code: 'NOT_FOUND' } }, 'PostgreSQL reached again');
  await waitFor(() => messages.lastIndexOf('STATUS=consuming till requests') > messages.indexOf(unreachable), { what: 'STATUS consuming again' });
  await host.waitForLog('PostgreSQL reachable again');

  const consuming = messages.length;
  await broker.kill();
  await waitFor(() => messages.slice(consuming).includes('STATUS=waiting for the broker'), { what: 'STATUS waiting for the broker' });
  await broker.restart();
  await waitFor(() => messages.slice(consuming).includes('STATUS=consuming till requests'), { what: 'STATUS consuming once the broker is back', timeout: 15_000 });
  host.child.kill('SIGTERM');
  t.equal((await host.exited).code, 0);
});
