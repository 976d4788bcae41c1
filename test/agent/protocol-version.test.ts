// Protocol versions negotiated per connection by hello {protocol} (protocol/LOCAL.md "Versioning"):
// a connection speaks 1 until its hello names 2, each request's handler sees the version of its
// connection, and an unknown version is BAD_REQUEST naming params.protocol.
import t from 'tap';
import { startServer } from '../helpers/socket-harness.ts';

t.test('no hello, or hello without protocol: version 1', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  t.match(await pos.request('identify', { by: 'card', value: 'x' }), { ok: true });
  t.match(await pos.request('hello'), { ok: true, result: { protocol: 1, protocols: [1, 2] } });
  t.match(await pos.request('identify', { by: 'card', value: 'y' }), { ok: true });
  t.same(h.calls.map((c) => c.ctx.protocol), [1, 1]);
});

t.test('hello {protocol: 2} negotiates version 2 for that connection only', async (t) => {
  const h = await startServer(t);
  const v2 = await h.connect();
  const v1 = await h.connect({ path: h.unixPath! });
  t.match(await v2.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2, protocols: [1, 2], terminal: 'till-1' } });
  t.match(await v1.request('hello', { protocol: 1 }), { ok: true, result: { protocol: 1 } });
  await v2.request('identify', { by: 'card', value: 'two' });
  await v1.request('identify', { by: 'card', value: 'one' });
  const seen = Object.fromEntries(h.calls.map((c) => [c.ctx.connectionId, c.ctx.protocol]));
  t.same(Object.values(seen).sort(), [1, 2], 'each connection keeps its own version');

  // A later hello on the same connection changes the version for the requests after it.
  t.match(await v2.request('hello', {}), { ok: true, result: { protocol: 1 } });
  await v2.request('identify', { by: 'card', value: 'again' });
  t.equal(h.calls.at(-1)!.ctx.protocol, 1);
});

t.test('an unknown version is BAD_REQUEST naming params.protocol and changes nothing', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  for (const bad of [3, 0, 1.5, '2', null]) {
    t.match(await pos.request('hello', { protocol: bad }), { ok: false, error: { code: 'BAD_REQUEST', message: 'params.protocol: this agent speaks protocol 1 or 2' } }, `protocol ${JSON.stringify(bad)}`);
  }
  await pos.request('identify', { by: 'card', value: 'x' });
  t.equal(h.calls.at(-1)!.ctx.protocol, 2, 'the version negotiated before stands');
});

t.test('with a token: the version comes with the hello that authenticates', async (t) => {
  const h = await startServer(t, { token: 'sesame-1234' });
  const pos = await h.connect();
  t.match(await pos.request('hello', { token: 'wrong-token', protocol: 2 }), { ok: false, error: { code: 'UNAUTHORIZED' } });
  t.match(await pos.request('hello', { token: 'sesame-1234', protocol: 2 }), { ok: true, result: { protocol: 2 } });
  await pos.request('identify', { by: 'card', value: 'x' });
  t.equal(h.calls.at(-1)!.ctx.protocol, 2);
});
