// The local socket server over time: event subscriptions, backpressure, shutdown, and
// input that is hostile or vanishes mid-request.
import { lstat } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { silentLogger } from '../../runtime/log.ts';
import { SocketServer } from '../../agent/socket/socket-server.ts';
import { MAX_LINE_BYTES, type Response } from '../../protocol/local.ts';
import type { PosClient } from '../helpers/pos-client.ts';
import { startServer, type Harness } from '../helpers/socket-harness.ts';
import { waitFor } from '../helpers/wait.ts';

const errorOf = (r: Response) => (r.ok ? undefined : r.error);

/** Proves no event is in flight: anything the server wrote earlier arrives before this response. */
async function roundTrip(pos: PosClient): Promise<void> {
  await pos.request('status');
}

t.test('events only after subscribe, and not after unsubscribe or close', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  h.bus.emit('scan', { n: 0 });
  await roundTrip(pos);
  t.same(pos.events, [], 'no unsolicited output');

  t.same(await pos.request('events.subscribe', { topics: ['scan', 'device', 'scan'] }, 's'),
    { id: 's', ok: true, result: { topics: ['device', 'scan'] } });
  h.bus.emit('scan', { n: 1 });
  h.bus.emit('uplink', { connected: true }); // not subscribed
  h.bus.emit('device', { id: 'printer', state: 'ready' });
  await pos.waitForEvent('device');
  await roundTrip(pos);
  t.same(pos.events, [{ event: 'scan', data: { n: 1 } }, { event: 'device', data: { id: 'printer', state: 'ready' } }]);

  t.match(errorOf(await pos.request('events.subscribe', { topics: ['nope'] })),
    { code: 'BAD_REQUEST', message: /^params\.topics\[0\]: must be one of / });
  t.same(errorOf(await pos.request('events.subscribe', { topics: [] })),
    { code: 'BAD_REQUEST', message: 'params.topics: must contain at least one topic', retryable: false });

  t.same(await pos.request('events.unsubscribe', { topics: ['scan'] }), { id: 'r5', ok: true, result: { topics: ['device'] } });
  h.bus.emit('scan', { n: 2 });
  await roundTrip(pos);
  t.equal(pos.events.length, 2, 'no scan after unsubscribing from it');

  t.same((await pos.request('events.unsubscribe')).ok && true, true);
  h.bus.emit('device', { id: 'printer', state: 'offline' });
  await roundTrip(pos);
  t.equal(pos.events.length, 2, 'no events after unsubscribing from all');

  const other = await h.connect();
  await other.request('events.subscribe', { topics: ['scan', 'uplink'] });
  t.equal(h.bus.listenerCount('scan'), 1);
  await other.close();
  await waitFor(() => h.bus.listenerCount('scan') === 0 && h.bus.listenerCount('uplink') === 0,
    { what: 'subscriptions removed on close' });
});

t.test('pipelining beyond the in-flight limit pauses reading instead of failing', async (t) => {
  const h = await startServer(t, { maxInflightPerConnection: 2 });
  const pos = await h.connect();
  const names = ['a', 'b', 'c', 'd', 'e'];
  const responses = names.map((n) => pos.request('identify', { by: 'token', value: `gate:${n}` }, n));
  await waitFor(() => h.concurrency.now === 2, { what: 'two handlers running' });
  t.equal(h.calls.length, 2, 'the rest waits unread');
  for (const n of names) {
    h.gates.open(n);
    await waitFor(() => h.gates.waiting(n) === 0, { what: `gate ${n} passed` });
  }
  const all = await Promise.all(responses);
  t.same(all.map((r) => r.ok && r.id), names);
  t.equal(h.concurrency.max, 2, 'never more than two at once');
  t.equal(h.server.inflight, 0);
});

t.test('stop() finishes in-flight work and turns new requests away', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  const slow = pos.request('identify', { by: 'token', value: 'gate:slow' }, 'slow');
  await waitFor(() => h.server.inflight === 1, { what: 'the slow request in flight' });

  let stopped = false;
  const stopping = h.server.stop({ deadlineMs: 10_000 }).then(() => { stopped = true; });
  t.equal(h.server.status, 'stopping');
  t.match(errorOf(await pos.request('status', {}, 'late')), { code: 'SHUTTING_DOWN', retryable: true });
  await t.rejects(h.connect(), { code: 'ECONNREFUSED' }, 'no new connections');
  await t.rejects(h.connect({ path: h.unixPath! }), 'none on the Unix socket either');
  t.equal(stopped, false, 'stop waits for the in-flight request');

  h.gates.open('slow');
  t.same(await slow, { id: 'slow', ok: true, result: { echo: 'gate:slow' } }, 'the in-flight request is answered');
  await stopping;
  await pos.closed;
  t.equal(h.server.status, 'stopped');
  t.equal(h.server.connectionCount, 0);
});

t.test('stop() right after start() waits for it and leaves nothing listening', async (t) => {
  const h = await startServer(t, { unix: null });
  const server = new SocketServer({
    tcp: { host: '127.0.0.1', port: 0 }, unix: join(h.dir, 'racing.sock'), token: null, maxConnections: 1,
    maxInflightPerConnection: 1, hello: () => ({}), handle: async () => null, events: h.bus, log: silentLogger(),
  });
  const started = server.start();
  await server.stop();
  await started;
  t.equal(server.status, 'stopped');
  t.equal(server.tcpAddress(), null);
  await t.rejects(lstat(join(h.dir, 'racing.sock')), { code: 'ENOENT' });
  await t.rejects(server.start(), /cannot start from state stopped/);
});

t.test('stop() gives up on in-flight work after its deadline', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  const stuck = pos.request('identify', { by: 'token', value: 'gate:never' }).then(() => 'answered', (e: Error) => e.message);
  await waitFor(() => h.server.inflight === 1, { what: 'the stuck request in flight' });
  await h.server.stop({ deadlineMs: 50 });
  await pos.closed;
  t.match(await stuck, /closed before the response/);
  t.ok(h.logs.some((l) => l.msg === 'stopping with requests still in flight'));
  h.gates.open('never'); // the late answer finds no socket and is dropped quietly
  await waitFor(() => h.server.inflight === 0, { what: 'the handler to finish' });
});

t.test('requests queued behind the in-flight limit get SHUTTING_DOWN when stop begins', async (t) => {
  const h = await startServer(t, { maxInflightPerConnection: 1 });
  const pos = await h.connect();
  const first = pos.request('identify', { by: 'token', value: 'gate:first' }, 'first');
  const queued = pos.request('status', {}, 'queued');
  await waitFor(() => h.server.inflight === 1, { what: 'the first request in flight' });
  const stopping = h.server.stop();
  t.match(errorOf(await queued), { code: 'SHUTTING_DOWN' });
  h.gates.open('first');
  t.equal((await first).ok, true);
  await stopping;
});

t.test('a reader too slow for its events is dropped, not buffered forever', async (t) => {
  const h = await startServer(t, { maxPendingEventBytes: 64 * 1024 });
  const pos = await h.connect();
  await pos.request('events.subscribe', { topics: ['scan'] });
  pos.socket.pause(); // stop reading, as a hung POS would
  const big = { blob: 'x'.repeat(16 * 1024) };
  const dropped = () => h.logs.some((l) => l.msg === 'client is not reading its events; dropping connection');
  // Kernel buffers absorb a few MB first; the bound keeps this loop finite either way.
  for (let i = 0; i < 10_000 && !dropped(); i++) h.bus.emit('scan', big);
  t.ok(dropped(), 'the connection was dropped');
  await waitFor(() => h.server.connectionCount === 0 && h.bus.listenerCount('scan') === 0,
    { what: 'the connection and its subscription to go' });
  pos.socket.resume();
  await pos.closed;
});

t.test('a client that resets mid-request does not disturb the server', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  void pos.request('identify', { by: 'token', value: 'gate:reset' }).catch(() => {});
  await waitFor(() => h.server.inflight === 1, { what: 'request in flight' });
  pos.socket.resetAndDestroy();
  await waitFor(() => h.server.connectionCount === 0, { what: 'the server to notice' });
  h.gates.open('reset');
  await waitFor(() => h.server.inflight === 0, { what: 'the orphaned handler to finish' });
  const next = await h.connect();
  t.equal((await next.request('status')).ok, true);
});

t.test('a POS that half-closes after writing still gets every answer', async (t) => {
  const h = await startServer(t);
  const raw = net.connect({ port: h.port, host: '127.0.0.1' });
  await new Promise((resolve) => raw.once('connect', resolve));
  let received = '';
  raw.on('data', (chunk: Buffer) => { received += chunk.toString('utf8'); });
  const closed = new Promise((resolve) => raw.once('close', resolve));
  // The last request has no newline: end of stream terminates it.
  raw.end('{"id":1,"op":"identify","params":{"by":"token","value":"gate:half"}}\n{"id":2,"op":"status"}');
  await waitFor(() => h.gates.waiting('half') === 1, { what: 'the gated request to start' });
  h.gates.open('half');
  await closed;
  const frames = received.trim().split('\n').map((line) => JSON.parse(line) as Response);
  t.same(frames.map((f) => [f.id, f.ok]).sort(), [[1, true], [2, true]]);
});

/** Deterministic bytes (xorshift32), so a failure can be replayed. */
function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

async function expectAlive(h: Harness): Promise<void> {
  const probe = await h.connect();
  const response = await probe.request('status');
  if (!response.ok) throw new Error('server did not answer status');
  await probe.close();
}

t.test('garbage never crashes the server', async (t) => {
  const h = await startServer(t);

  for (const seed of [1, 2, 3]) {
    const pos = await h.connect();
    const garbage = pseudoRandomBytes(32 * 1024, seed);
    for (let i = 0; i < garbage.length; i += 1000) pos.send(garbage.subarray(i, i + 1000));
    pos.send('\n{"id":"after","op":"status"}\n');
    t.same(await pos.request('status', {}, 'probe'), { id: 'probe', ok: true, result: { op: 'status' } }, `seed ${seed}`);
    const codes = new Set<string>();
    for (let frame = await pos.nextFrame(); !('id' in frame && frame.id === 'after'); frame = await pos.nextFrame()) {
      codes.add('ok' in frame && !frame.ok ? frame.error.code : 'unexpected');
    }
    t.ok(codes.has('BAD_FRAME'), 'garbage lines were answered with BAD_FRAME');
    t.same([...codes].filter((c) => !['BAD_FRAME', 'BAD_REQUEST'].includes(c)), [], 'and with nothing else');
    t.same(pos.badLines, [], 'every answer was valid JSON');
    await pos.close();
  }

  const nul = await h.connect();
  nul.send(Buffer.alloc(MAX_LINE_BYTES + 6 * 1024, 0)); // NULs, no newline: too large
  t.match(await nul.nextFrame(), { error: { code: 'FRAME_TOO_LARGE' } });
  await nul.closed;

  // Raw socket that writes garbage and vanishes without reading a byte.
  const raw = net.connect({ port: h.port, host: '127.0.0.1' });
  raw.on('error', () => {});
  await new Promise((resolve) => raw.once('connect', resolve));
  raw.write(pseudoRandomBytes(8 * 1024, 42));
  raw.resetAndDestroy();

  await expectAlive(h);
});
