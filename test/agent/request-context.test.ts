// A request's contexts (the socket's RequestContext, the ops' OpsContext): the same values as the
// daemon's context with the request's protocol and lazily built logger, on one shared hidden class
// with fast properties (issue 10: an object literal with a getter of its own is a dictionary).
import t from 'tap';
import v8 from 'node:v8';
import { requestContexts, type OpsContext } from '../../agent/ops/context.ts';
import { silentLogger, type Logger } from '../../runtime/log.ts';
import { startServer } from '../helpers/socket-harness.ts';

v8.setFlagsFromString('--allow-natives-syntax');
const fastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

t.test('an ops context per request: the daemon values, the request protocol and logger', async (t) => {
  const base = { config: { a: 1 }, identity: { terminal: 't' }, version: '1', protocol: 1, outbox: {}, log: silentLogger(), now: () => new Date(0), faults: new Set<string>() } as unknown as OpsContext;
  const forRequest = requestContexts(base);
  let built = 0;
  const scope = (protocol: 1 | 2, log: Logger) => ({ protocol, get log() { built++; return log; } });
  const logA = silentLogger();
  const a = forRequest(scope(2, logA));
  const b = forRequest(scope(1, silentLogger()));
  for (const key of Object.keys(base) as Array<keyof OpsContext>) {
    if (key !== 'log' && key !== 'protocol') t.equal(a[key], base[key], key);
  }
  t.equal(a.protocol, 2);
  t.equal(b.protocol, 1);
  t.equal(base.protocol, 1, 'the daemon context keeps its own');
  t.equal(built, 0, 'no logger read before an op logs');
  t.equal(a.log, logA);
  t.equal(built, 1);
  t.equal(base.log !== logA, true);
  t.ok(fastProperties(a) && fastProperties(b), 'fast properties');
  t.ok(sameMap(a, b), 'one hidden class for every request');
});

t.test('the socket request context: fast properties, one hidden class, logger on first use', async (t) => {
  const h = await startServer(t);
  const pos = await h.connect();
  await pos.request('identify', { by: 'token', value: 'x' }, 'r1');
  await pos.request('identify', { by: 'token', value: 'y' }, 'r2');
  const [a, b] = h.calls.map((c) => c.ctx);
  t.ok(a && b);
  t.ok(fastProperties(a!) && fastProperties(b!), 'fast properties');
  t.ok(sameMap(a!, b!), 'one hidden class');
  t.not(a!.requestId, b!.requestId);
  t.equal(a!.connectionId, b!.connectionId);
  t.equal(a!.protocol, 1);
  t.equal(a!.log, a!.log, 'built once');
  const logs = h.logs.length;
  a!.log.info('from the handler');
  t.match(h.logs.slice(logs), [{ requestId: a!.requestId, op: 'identify', msg: 'from the handler' }]);
});
