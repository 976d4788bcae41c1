// Issue 7 item 5: connection exhaustion and token guessing, over real TCP and Unix sockets.
// Before: 32 silent connections locked the POS out for ever, and each failed hello was a log line.
import t from 'tap';
import type { PosClient } from '../helpers/pos-client.ts';
import { startServer } from '../helpers/socket-harness.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 'sesame-1234';

t.test('silent connections cannot lock the POS out: hello timeout, and a slot kept for the Unix socket', async (t) => {
  const h = await startServer(t, { token: TOKEN, maxConnections: 8, helloTimeoutMs: 1500 });
  const silent: PosClient[] = [];
  for (let i = 0; i < 7; i++) silent.push(await h.connect());
  await waitFor(() => h.server.connectionCount === 7, { what: '7 silent connections' });

  const pos = await h.connect();
  t.match(await pos.nextFrame(), { error: { code: 'TOO_MANY_CONNECTIONS', message: /over TCP \(one is kept for the Unix socket\)/ } }, 'TCP is full');
  const local = await h.connect({ path: h.unixPath! });
  t.match(await local.request('hello', { token: TOKEN }), { ok: true }, 'a local tool still gets in through the Unix socket');

  // The silent ones are told why and closed once the hello timeout passes.
  t.match(await silent[0]!.nextFrame(3000), { id: null, ok: false, error: { code: 'UNAUTHORIZED', message: /no hello with the token within 1500 ms/ } });
  await Promise.all(silent.map((c) => c.closed));
  await waitFor(() => h.server.connectionCount === 1, { what: 'the server to release the silent connections' });
  const again = await h.connect();
  t.match(await again.request('hello', { token: TOKEN }), { ok: true }, 'the POS gets in');
  t.match(await again.request('status'), { ok: true });
  t.equal(local.isClosed, false, 'an authenticated connection is not subject to the hello timeout');
  const timeouts = h.logs.filter((l) => l.msg === 'connection closed: no hello with the token in time');
  t.match(timeouts, [{ level: 'warn', peer: '127.0.0.1', first: true }], '7 timeouts, one line: the rest is counted for the next report');
});

t.test('idle connections are closed; ones waiting for events or answers are not', async (t) => {
  const h = await startServer(t, { idleTimeoutMs: 400 });
  const listener = await h.connect();
  t.match(await listener.request('events.subscribe', { topics: ['scan'] }), { ok: true });
  const waiting = await h.connect();
  const answer = waiting.request('identify', { by: 'card', value: 'gate:slow' });
  const idle = await h.connect();
  t.match(await idle.request('status'), { ok: true });
  await idle.closed; // after 400 ms without input
  const later = await h.connect();
  await later.closed; // a second full idle period later
  t.equal(listener.isClosed, false, 'an event subscriber stays');
  t.equal(waiting.isClosed, false, 'a connection waiting for its answer stays');
  h.gates.open('slow');
  t.match(await answer, { ok: true, result: { echo: 'gate:slow' } });
  await waiting.closed; // idle again once answered
  h.bus.emit('scan', { device: 's0', kind: 'barcode', data: '123', at: 'now' });
  await listener.waitForEvent('scan');
});

t.test('failed hellos are throttled per peer and logged as a rate', async (t) => {
  const h = await startServer(t, { token: TOKEN, helloThrottle: { burst: 3, refillMs: 600_000, reportMs: 300 } });
  const pos = await h.connect();
  for (let i = 0; i < 3; i++) t.match(await pos.request('hello', { token: `guess-${i}xxx` }), { error: { code: 'UNAUTHORIZED', message: 'wrong or missing token' } });
  // Out of attempts: even the right token is refused (it is not compared), and the connection closes.
  t.match(await pos.request('hello', { token: TOKEN }), { error: { code: 'UNAUTHORIZED', message: /too many failed hellos from this address; retry in \d+ s/ } });
  await pos.closed;
  for (let i = 0; i < 20; i++) {
    const c = await h.connect();
    t.match(await c.request('hello', { token: `guess-${i}yyy` }), { error: { message: /too many failed hellos/ } });
    await c.closed;
  }
  const local = await h.connect({ path: h.unixPath! });
  t.match(await local.request('hello', { token: TOKEN }), { ok: true }, 'another peer is not throttled');

  // The first of each at once, then counts per 300 ms window: they add up, in a handful of lines.
  const lines = (msg: RegExp) => h.logs.filter((l) => typeof l.msg === 'string' && msg.test(l.msg));
  const total = (msg: RegExp) => lines(msg).reduce((n, l) => n + (l.first ? 1 : Number(l.count)), 0);
  await waitFor(() => total(/^failed hello/) === 3 && total(/^hello refused/) === 21, { what: 'summaries adding up to 3 failed and 21 refused hellos' });
  t.match(lines(/^failed hello/)[0], { level: 'warn', peer: '127.0.0.1', first: true });
  t.match(lines(/^hello refused/).at(-1), { level: 'warn', peer: '127.0.0.1', window_s: 0.3, count: Number });
  t.ok(lines(/hello/).length < 10, `a handful of lines for 24 failures, not one each (${lines(/hello/).length})`);
  t.notOk(JSON.stringify(h.logs).includes('guess-'), 'no guessed token in the logs');
});
