// The local socket server over real TCP (127.0.0.1, port 0) and a real Unix socket.
// Lifecycle, events and hostile input are in socket-server-lifecycle.test.ts.
import { lstat, rename, stat, writeFile, readFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { EventBus } from '../../agent/events.ts';
import { silentLogger } from '../../runtime/log.ts';
import { SocketServer } from '../../agent/socket/socket-server.ts';
import { MAX_LINE_BYTES, type Response } from '../../protocol/local.ts';
import { HELLO, startServer } from '../helpers/socket-harness.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const errorOf = (r: Response) => (r.ok ? undefined : r.error);

t.test('TCP listens on loopback only', async (t) => {
  const h = await startServer(t, { unix: null });
  t.same(h.server.tcpAddress(), { host: '127.0.0.1', port: h.port });
  t.ok(h.port > 0);

  const h2 = await startServer(t, { tcp: { host: '', port: 0 }, unix: null });
  t.equal(h2.server.tcpAddress()?.host, '127.0.0.1', 'an empty host means loopback, never the wildcard');
});

t.test('Unix socket: mode 0660, served, removed on stop', async (t) => {
  const h = await startServer(t, { tcp: null });
  t.equal(h.server.tcpAddress(), null);
  const path = h.unixPath!;
  t.equal((await stat(path)).mode & 0o777, 0o660);
  const pos = await h.connect({ path });
  t.same(await pos.request('hello'), { id: 'r1', ok: true, result: HELLO });
  await h.server.stop();
  await pos.closed;
  await t.rejects(lstat(path), { code: 'ENOENT' }, 'socket file removed');
});

t.test('a stale socket file is replaced', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'agent.sock');
  // Leave a socket file nobody listens on, as a crashed agent would.
  const old = net.createServer();
  await new Promise<void>((resolve) => old.listen(join(dir, 'old.sock'), resolve));
  await rename(join(dir, 'old.sock'), path);
  await new Promise((resolve) => old.close(resolve));
  t.ok((await lstat(path)).isSocket(), 'stale socket file in place');

  const h = await startServer(t, { tcp: null, unix: path });
  const pos = await h.connect({ path });
  t.equal((await pos.request('status')).ok, true);
});

t.test('refuses a path a live agent listens on, and a path that is not a socket', async (t) => {
  const h = await startServer(t, { tcp: null });
  const path = h.unixPath!;
  const second = new SocketServer({
    tcp: null, unix: path, token: null, maxConnections: 1, maxInflightPerConnection: 1,
    hello: () => ({}), handle: async () => null, events: new EventBus(), log: silentLogger(),
  });
  await t.rejects(second.start(), { code: 'EADDRINUSE' });
  const pos = await h.connect({ path });
  t.equal((await pos.request('status')).ok, true, 'the live agent keeps its socket');
  await second.stop();

  const file = join(h.dir, 'not-a-socket');
  await writeFile(file, 'precious');
  const third = new SocketServer({
    tcp: null, unix: file, token: null, maxConnections: 1, maxInflightPerConnection: 1,
    hello: () => ({}), handle: async () => null, events: new EventBus(), log: silentLogger(),
  });
  await t.rejects(third.start(), { code: 'EEXIST' });
  t.equal(await readFile(file, 'utf8'), 'precious');
});

t.test('a failed start releases what it had bound', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'not-a-socket');
  await writeFile(file, '');
  const server = new SocketServer({
    tcp: { host: '127.0.0.1', port: 0 }, unix: file, token: null, maxConnections: 1, maxInflightPerConnection: 1,
    hello: () => ({}), handle: async () => null, events: new EventBus(), log: silentLogger(),
  });
  await t.rejects(server.start());
  t.equal(server.tcpAddress(), null, 'TCP listener closed again');
});

t.test('token auth', async (t) => {
  const h = await startServer(t, { token: 'sesame-1234' });
  const pos = await h.connect();
  t.match(errorOf(await pos.request('status')), { code: 'UNAUTHORIZED', retryable: false });
  t.match(errorOf(await pos.request('nonsense')), { code: 'UNAUTHORIZED' }, 'even unknown ops');
  t.match(errorOf(await pos.request('hello')), { code: 'UNAUTHORIZED' }, 'hello without a token');
  t.match(errorOf(await pos.request('hello', { token: 'sesame-12345' })), { code: 'UNAUTHORIZED' });
  t.match(errorOf(await pos.request('status')), { code: 'UNAUTHORIZED' });
  t.same(await pos.request('hello', { token: 'sesame-1234' }, 'h'), { id: 'h', ok: true, result: HELLO });
  t.same(await pos.request('status', {}, 's'), { id: 's', ok: true, result: { op: 'status' } });
  t.equal(h.calls.length, 1, 'the handler saw only the authenticated request');

  // Pipelined right behind hello in the same write: authenticated in order.
  const other = await h.connect();
  other.send('{"id":1,"op":"hello","params":{"token":"sesame-1234"}}\n{"id":2,"op":"status"}\n');
  const frames = [await other.nextFrame(), await other.nextFrame()];
  t.same(frames.map((f) => 'ok' in f && f.ok), [true, true]);

  t.notOk(JSON.stringify(h.logs).includes('sesame'), 'the token never reaches the logs');
});

t.test('hello without a token configured, and protocol version', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  t.same(await pos.request('status'), { id: 'r1', ok: true, result: { op: 'status' } }, 'hello is optional');
  t.equal((await pos.request('hello', { protocol: 1 })).ok, true);
  t.match(errorOf(await pos.request('hello', { protocol: 3 })), { code: 'BAD_REQUEST', message: /params\.protocol/ });
});

t.test('BAD_FRAME keeps the connection usable', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  for (const line of ['not json', '{"id":1,', '[1,2]', '"text"', '42', 'null', '\u0000\u0000']) {
    pos.send(`${line}\n`);
    const frame = await pos.nextFrame();
    t.match(frame, { id: null, ok: false, error: { code: 'BAD_FRAME', retryable: false } }, JSON.stringify(line));
  }
  t.equal((await pos.request('status')).ok, true);
  t.equal(pos.isClosed, false);
});

t.test('CRLF and empty lines are accepted', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  pos.send('\r\n\n{"id":1,"op":"status"}\r\n{"id":2,"op":"status"}\r\n');
  t.same(await pos.nextFrame(), { id: 1, ok: true, result: { op: 'status' } });
  t.same(await pos.nextFrame(), { id: 2, ok: true, result: { op: 'status' } });
});

t.test('MAX_LINE_BYTES (256 KiB) boundary and FRAME_TOO_LARGE', async (t) => {
  const h = await startServer(t); // default maxLineBytes
  const padded = (id: number, bytes: number) => {
    const json = `{"id":${id},"op":"status"}`;
    return json + ' '.repeat(bytes - json.length); // trailing whitespace is valid JSON
  };
  const pos = await h.connect();
  pos.send(`${padded(1, MAX_LINE_BYTES)}\n`);
  t.same(await pos.nextFrame(), { id: 1, ok: true, result: { op: 'status' } }, 'exactly 256 KiB is fine');
  pos.send(`${padded(2, MAX_LINE_BYTES)}\r\n`);
  t.same(await pos.nextFrame(), { id: 2, ok: true, result: { op: 'status' } }, 'exactly 256 KiB plus CRLF too');
  pos.send(`${padded(3, MAX_LINE_BYTES + 1)}\n`);
  t.match(await pos.nextFrame(), { id: null, ok: false, error: { code: 'FRAME_TOO_LARGE' } });
  await pos.closed;

  const endless = await h.connect();
  endless.send(Buffer.alloc(MAX_LINE_BYTES + 36 * 1024, 0x61)); // no newline at all
  t.match(await endless.nextFrame(), { error: { code: 'FRAME_TOO_LARGE' } });
  await endless.closed;
  await waitFor(() => h.server.connectionCount === 0, { what: 'connections closed' });
});

t.test('BAD_REQUEST names the field', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  pos.send('{"id":7,"op":5}\n');
  t.match(await pos.nextFrame(), { id: 7, ok: false, error: { code: 'BAD_REQUEST', message: /^op: / } });
  pos.send('{"id":{"x":1},"op":"status"}\n');
  t.match(await pos.nextFrame(), { id: null, error: { code: 'BAD_REQUEST', message: /^id: / } });
  pos.send('{"op":"status"}\n');
  t.match(await pos.nextFrame(), { id: null, error: { code: 'BAD_REQUEST', message: /^id: / } }, 'a missing id');
  pos.send('{"id":"p","op":"status","params":[1]}\n');
  t.match(await pos.nextFrame(), { id: 'p', error: { code: 'BAD_REQUEST', message: /^params: must be an object/ } });

  const spend = await pos.request('spend', { txn_id: 't', customer_id: 'c', amount: -5, currency: 'EUR' });
  t.match(errorOf(spend), { code: 'BAD_REQUEST', retryable: false, message: 'params.amount: must not be negative' });
  const many = await pos.request('spend', { txn_id: 't', amount: 1.5, currency: 'euro' });
  t.match(errorOf(many), { message: /^params\.customer_id: .+; params\.amount: .+; params\.currency: / });
  t.equal(h.calls.length, 0, 'invalid requests never reach the handler');
});

t.test('UNKNOWN_OP', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  t.match(errorOf(await pos.request('frobnicate')), { code: 'UNKNOWN_OP', message: /"frobnicate"/ });
  t.match(errorOf(await pos.request('toString')), { code: 'UNKNOWN_OP' }, 'no prototype keys');
});

t.test('ids are echoed exactly; numbers and strings stay apart', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  const [a, b] = await Promise.all([pos.request('status', {}, 1), pos.request('status', {}, '1')]);
  t.equal(a.id, 1);
  t.equal(b.id, '1');
});

t.test('pipelined requests are handled concurrently and answered by id as they finish', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  const order: string[] = [];
  const ask = (name: string) => pos.request('identify', { by: 'token', value: `gate:${name}` }, name)
    .then((r) => { order.push(String(r.id)); return r; });
  const pending = { a: ask('a'), b: ask('b'), c: ask('c') };
  await waitFor(() => h.concurrency.now === 3, { what: 'three handlers running at once' });
  h.gates.open('c');
  t.same(await pending.c, { id: 'c', ok: true, result: { echo: 'gate:c' } });
  h.gates.open('a');
  await pending.a;
  h.gates.open('b');
  await pending.b;
  t.same(order, ['c', 'a', 'b']);

  const ids = h.calls.map((c) => c.ctx.requestId);
  t.equal(new Set(ids).size, 3, 'requestIds are unique');
  t.ok(h.calls.every((c) => c.ctx.connectionId === h.calls[0]!.ctx.connectionId));
});

t.test('handler errors', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  const thrown = await pos.request('identify', { by: 'token', value: 'throw' });
  t.same(errorOf(thrown), { code: 'INTERNAL', message: 'internal error', retryable: true });
  const failures = h.logs.filter((l) => l.msg === 'handler failed');
  t.equal(failures.length, 1, 'logged once');
  t.match(failures[0], { level: 'error', connectionId: /^c\d+$/, requestId: /^c\d+\.\d+$/, op: 'identify', err: { message: 'handler exploded' } });

  t.same(errorOf(await pos.request('identify', { by: 'token', value: 'not-found' })),
    { code: 'NOT_FOUND', message: 'no such customer', retryable: false }, 'AgentError passes through');
  t.match(errorOf(await pos.request('identify', { by: 'token', value: 'bigint' })), { code: 'INTERNAL' },
    'an unserialisable result');
  t.equal((await pos.request('status')).ok, true, 'connection still works');
});

t.test('requests are logged with ids and outcome, never with params', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  await pos.request('identify', { by: 'card', value: '4111111111111111' });
  await pos.request('spend', { txn_id: 't', customer_id: 'c', amount: -5, currency: 'EUR' });
  const requests = h.logs.filter((l) => l.msg === 'request');
  t.match(requests, [
    { level: 'debug', connectionId: /^c/, requestId: /^c/, op: 'identify', code: 'OK' },
    { level: 'warn', op: 'spend', code: 'BAD_REQUEST', error: /amount/ }, // a refused money request: request-log.test.ts
  ]);
  t.notOk(JSON.stringify(h.logs).includes('4111111111111111'), 'no card number in the logs');
});

t.test('max connections', async (t) => {
  const h = await startServer(t, { maxConnections: 3 });
  const first = await h.connect();
  const second = await h.connect({ path: h.unixPath! }); // the limit spans both listeners
  t.equal((await first.request('status')).ok, true);
  t.equal((await second.request('status')).ok, true);

  const third = await h.connect();
  t.same(await third.nextFrame(), {
    id: null, ok: false, error: { code: 'TOO_MANY_CONNECTIONS', message: 'at most 2 connections over TCP (one is kept for the Unix socket)', retryable: true },
  });
  await third.closed;

  await first.close();
  await waitFor(() => h.server.connectionCount === 1, { what: 'the first connection to be released' });
  const fourth = await h.connect();
  t.equal((await fourth.request('status')).ok, true);
});

t.test('options are checked', async (t) => {
  const base = {
    tcp: null, unix: null, token: null, maxConnections: 1, maxInflightPerConnection: 1,
    hello: () => ({}), handle: async () => null, events: new EventBus(), log: silentLogger(),
  };
  t.throws(() => new SocketServer({ ...base, maxConnections: 0 }), TypeError);
  t.throws(() => new SocketServer({ ...base, maxInflightPerConnection: 1.5 }), TypeError);
  t.throws(() => new SocketServer({ ...base, maxLineBytes: -1 }), TypeError);
});
