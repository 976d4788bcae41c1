// protocol/fast-upstream.ts against upstreamRequestSchema and upstreamResponseSchema (fast-check):
// for any JSON request or response, the hand check returns exactly the schema's value (byte for
// byte once serialised: the host stores the basket, the till the result) or gives up, and it gives
// up whenever the schema refuses, so the till's BAD_REQUEST messages stay zod's. Also: a request
// as the agent builds it takes the fast path.
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import fc from 'fast-check';
import { fastUpstreamRequest, fastUpstreamResponse } from '../../protocol/fast-upstream.ts';
import { MAX_AMOUNT } from '../../protocol/money.ts';
import { upstreamRequestSchema, upstreamResponseSchema } from '../../protocol/upstream.ts';
import { decodeRequest } from '../../host/request.ts';

const RUNS = { numRuns: 3000 };
const VISA = '4111111111111111';
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const wildNumber = fc.oneof(
  fc.integer({ min: -3, max: 2000 }),
  fc.constantFrom(0, -0, 1, 0.5, 1.5, MAX_AMOUNT, MAX_AMOUNT + 1, 2 ** 53, Number.MAX_SAFE_INTEGER, -1, 1e21),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const wild = fc.oneof(wildNumber, fc.boolean(), fc.constant(null), fc.string({ maxLength: 4 }), fc.constant({}), fc.constant([]));
const mostly = <T, U>(good: fc.Arbitrary<T>, ...bad: Array<fc.Arbitrary<U>>) => fc.oneof({ weight: 40, arbitrary: good as fc.Arbitrary<T | U> }, ...bad);
const textish = (max: number) => mostly(
  fc.stringMatching(/^[A-Za-z0-9-]{1,10}$/),
  fc.constantFrom('', ' ', 'has space', VISA, `Ref ${VISA}`, 'x'.repeat(max), 'x'.repeat(max + 1), 'é', 'PTS'),
  wild,
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const extra = fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, fc.record({ colour: wild }));
const when = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom('2026-11-24T08:00:03.120Z', '2026-11-24T09:00:03+01:00', '2026-11-24T08:00:03Z') },
  fc.constantFrom('2026-11-24', '2026-11-24T08:00:03', 'yesterday', '2026-13-24T08:00:03Z', ''),
  wild,
);

const item = fc.record({
  sku: textish(64),
  name: maybe(textish(256)),
  qty: fc.oneof({ weight: 30, arbitrary: fc.constantFrom(1, 2, 0.5, 1.25) }, fc.constantFrom(0, 0.0001, 1_000_000.001), wildNumber, wild),
  unit_price: mostly(fc.integer({ min: 0, max: 5000 }), wild),
  amount: mostly(fc.integer({ min: 0, max: 5000 }), wild),
  category: maybe(textish(128)),
  tax_included: maybe(fc.oneof(fc.boolean(), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 6000 }), wild)),
  more: extra,
}, { requiredKeys: ['sku', 'qty', 'unit_price', 'amount'] });
const discount = fc.record({ code: textish(64), amount: mostly(fc.integer({ min: 0, max: 500 }), wild), more: extra }, { requiredKeys: ['code', 'amount'] });
const payment = fc.record({ method: textish(64), amount: mostly(fc.integer({ min: 0, max: 5000 }), wild), more: extra }, { requiredKeys: ['method', 'amount'] });
const basket = fc.record({
  currency: mostly(fc.constantFrom('EUR', 'USD'), fc.constantFrom('PTS', 'eur'), wild),
  items: mostly(fc.array(item, { minLength: 1, maxLength: 3 }), fc.constant([]), wild),
  discounts: maybe(mostly(fc.array(discount, { maxLength: 2 }), wild)),
  payments: maybe(mostly(fc.array(payment, { maxLength: 2 }), wild)),
  tax_total: maybe(mostly(fc.integer({ min: 0, max: 100 }), wild)),
  store: maybe(textish(64)),
  channel: maybe(textish(64)),
  skew: mostly(fc.constant(0), fc.integer({ min: -2, max: 2 }), fc.constant(null)),
  more: extra,
}, { requiredKeys: ['currency', 'items', 'skew'] }).map(({ skew, more, ...b }) => {
  const amounts = (list: unknown) => (Array.isArray(list) ? list.map((x) => (x as { amount?: unknown }).amount) : []);
  const sum = (xs: unknown[]) => xs.reduce<number>((s, x) => s + (typeof x === 'number' ? x : 0), 0);
  const total = skew === null ? 'x' : sum(amounts(b.items)) - sum(amounts(b.discounts)) + skew;
  return { ...b, total, ...more };
});
const award = fc.record({
  customer_id: mostly(fc.constant('P-1001'), textish(128)),
  basket: mostly(basket, wild),
  pos_reduced: maybe(mostly(fc.boolean(), wild)),
  more: extra,
}, { requiredKeys: ['customer_id', 'basket'] }).map(({ more, ...p }) => ({ ...p, ...more }));
const otherPayload = fc.oneof(
  fc.record({ customer_id: fc.constant('P-1001'), amount: mostly(fc.integer({ min: 0, max: 500 }), wild), currency: fc.constant('EUR'), offline: mostly(fc.boolean(), wild) }),
  fc.record({ reason: maybe(textish(256)) }, { requiredKeys: [] }),
  wild,
);
const messageBody = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('award'), payload: mostly(award, wild) }) },
  fc.record({ op: fc.constantFrom('spend', 'void', 'awards', 'identify'), payload: otherPayload }),
  fc.record({ op: wild, payload: mostly(award, wild) }),
);
const message = fc.tuple(messageBody, fc.record({
  id: mostly(fc.uuid(), textish(64)),
  seq: maybe(mostly(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 53), wild)),
  txn_id: mostly(fc.stringMatching(/^[!-~]{1,20}$/), fc.constant(null), textish(128)),
  created_at: when,
  more: extra,
}, { requiredKeys: ['id', 'txn_id', 'created_at'] })).map(([body, { more, ...m }]) => ({ ...m, ...body, ...more }));
const request = fc.record({
  v: mostly(fc.constant(1), fc.constantFrom(2, '1'), wild),
  request_id: mostly(fc.uuid(), textish(64)),
  reply_to: mostly(fc.constant('till/v1/M1/S1/T1/res'), textish(512)),
  source: mostly(fc.record({ merchant: textish(64), store: textish(64), terminal: textish(64), more: extra }, { requiredKeys: ['merchant', 'store', 'terminal'] }), wild),
  sent_at: when,
  chain: maybe(mostly(
    fc.oneof(fc.constant({ start: true }), fc.record({ after: mostly(fc.integer({ min: 1, max: 100_000 }), wild) })),
    fc.constantFrom({ start: false }, { after: 0 }, { start: true, after: 3 }, { start: true, x: 1 }, {}),
    wild,
  )),
  messages: mostly(fc.array(message, { minLength: 1, maxLength: 4 }), fc.constant([]), wild),
  more: extra,
}, { requiredKeys: ['v', 'request_id', 'reply_to', 'source', 'sent_at', 'messages'] }).map(({ more, ...r }) => asJson({ ...r, ...more }));

t.test('fastUpstreamRequest accepts exactly what upstreamRequestSchema accepts, with the same value', async (t) => {
  let accepted = 0;
  fc.assert(fc.property(request, (raw) => {
    const zod = upstreamRequestSchema.safeParse(raw);
    const fast = fastUpstreamRequest(raw);
    if (fast) accepted++;
    if (!zod.success) return fast === undefined;
    return fast !== undefined && JSON.stringify(fast) === JSON.stringify(zod.data) && isDeepStrictEqual(fast, zod.data);
  }), RUNS);
  t.ok(accepted > RUNS.numRuns / 30, `the generator reaches the accepting path (${accepted} of ${RUNS.numRuns})`);
});

const agentRequest = (messages: unknown[], chain: unknown = { after: 41 }) => ({
  v: 1, request_id: 'r-1', reply_to: 'till/v1/M1/S1/T1/res', source: { merchant: 'M1', store: 'S1', terminal: 'T1' },
  sent_at: '2026-11-24T08:00:03.120Z', chain, messages,
});
const awardMessage = (seq: number, basket: Record<string, unknown>) => ({
  id: `m-${seq}`, seq, op: 'award', txn_id: `sale-${seq}`, created_at: '2026-11-24T07:59:58.001Z',
  payload: { customer_id: 'P-1001', basket, pos_reduced: false },
});

t.test('a backlog request as the agent sends it takes the fast path; the host decodes the same batch either way', async (t) => {
  const basket = {
    currency: 'EUR', total: 470,
    items: [{ sku: '4006381333931', name: 'Espresso', qty: 2, unit_price: 160, amount: 320, tax_included: true },
      { sku: '3017620422003', name: 'Croissant', qty: 1, unit_price: 150, amount: 150 }],
  };
  const raw = agentRequest([awardMessage(42, basket), awardMessage(43, { ...basket, channel: 'bar', payments: [{ method: 'card', amount: 470 }] }),
    { id: 'm-44', seq: 44, op: 'void', txn_id: 'sale-42', created_at: '2026-11-24T08:00:00Z', payload: {} }]);
  const fast = fastUpstreamRequest(raw);
  t.ok(fast, 'taken by hand');
  t.same(fast, upstreamRequestSchema.parse(raw));
  t.equal(JSON.stringify(fast), JSON.stringify(upstreamRequestSchema.parse(raw)));
  const decoded = decodeRequest(JSON.stringify(raw));
  t.equal(decoded.kind, 'batch');
  if (decoded.kind === 'batch') {
    t.same(decoded.batch.items.map((i) => i.ok), [true, true, true]);
    t.same(decoded.batch.chain, { after: 41 });
  }
});

t.test('a request the hand check gives up on gets the schema\'s answer', async (t) => {
  const bad = agentRequest([awardMessage(42, { currency: 'EUR', total: 471, items: [{ sku: 'A', qty: 1, unit_price: 470, amount: 470 }] }),
    awardMessage(43, { currency: 'EUR', total: 470, items: [{ sku: 'A', qty: 1, unit_price: 470, amount: 470 }] })]);
  t.equal(fastUpstreamRequest(bad), undefined);
  const decoded = decodeRequest(JSON.stringify(bad));
  t.equal(decoded.kind, 'batch');
  if (decoded.kind === 'batch') {
    const [first, second] = decoded.batch.items;
    t.match(first, { ok: false, id: 'm-42', errors: [/total: items add up to 470 minus discounts 0 = 470, not 471/] });
    t.match(second, { ok: true });
  }
  // A card number in a free-text field, a seq that is not a positive integer: refused as before.
  t.equal(fastUpstreamRequest(agentRequest([awardMessage(42, { currency: 'EUR', total: 1, items: [{ sku: VISA, qty: 1, unit_price: 1, amount: 1 }] })])), undefined);
  t.equal(fastUpstreamRequest(agentRequest([{ ...awardMessage(42, { currency: 'EUR', total: 1, items: [{ sku: 'A', qty: 1, unit_price: 1, amount: 1 }] }), seq: 0 }])), undefined);
  t.equal(fastUpstreamRequest(agentRequest([awardMessage(42, { currency: 'EUR', total: 1, items: [{ sku: 'A', qty: 1, unit_price: 1, amount: 1 }] })], { start: true, after: 1 })), undefined);
});

const hostResult = fc.oneof(
  { weight: 6, arbitrary: fc.record({ id: mostly(fc.uuid(), wild), ok: fc.constant(true), result: mostly(
    fc.record({ currency: fc.constant('EUR'), award_amount: fc.integer({ min: 0, max: 500 }), balance: fc.record({ amount: fc.integer(), currency: fc.constant('EUR') }) }),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue(), { maxKeys: 3 }), wild), more: extra }, { requiredKeys: ['id', 'ok', 'result'] }) },
  fc.record({ id: mostly(fc.uuid(), wild), ok: mostly(fc.constant(false), wild), error: mostly(fc.record({
    code: mostly(fc.constantFrom('NOT_FOUND', 'BAD_REQUEST', 'INTERNAL', 'UPSTREAM_UNAVAILABLE'), fc.constantFrom('NOPE', ''), wild),
    message: mostly(fc.string({ maxLength: 8 }), wild),
    permanent: mostly(fc.boolean(), wild),
    more: extra,
  }, { requiredKeys: ['code', 'message', 'permanent'] }), wild), more: extra }, { requiredKeys: ['id', 'ok', 'error'] }),
);
const response = fc.record({
  v: mostly(fc.constant(1), fc.constantFrom(2, '1'), wild),
  request_id: mostly(fc.uuid(), wild),
  at: maybe(when),
  results: mostly(fc.array(hostResult, { maxLength: 4 }), wild),
  chain: maybe(mostly(fc.record({ accepted: mostly(fc.boolean(), wild), last: mostly(fc.integer({ min: 0, max: 100_000 }), fc.constant(null),
    fc.constantFrom(-1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, -0), wild), more: extra }, { requiredKeys: ['accepted', 'last'] }), wild)),
  more: extra,
}, { requiredKeys: ['v', 'request_id', 'results'] }).map(({ more, ...r }) => asJson({ ...r, ...more }));

t.test('fastUpstreamResponse accepts exactly what upstreamResponseSchema accepts, with the same value', async (t) => {
  let accepted = 0;
  fc.assert(fc.property(response, (raw) => {
    const zod = upstreamResponseSchema.safeParse(raw);
    const fast = fastUpstreamResponse(raw);
    if (fast) accepted++;
    if (!zod.success) return fast === undefined;
    return fast !== undefined && JSON.stringify(fast) === JSON.stringify(zod.data) && isDeepStrictEqual(fast, zod.data);
  }), RUNS);
  t.ok(accepted > RUNS.numRuns / 30, `the generator reaches the accepting path (${accepted} of ${RUNS.numRuns})`);
  // "__proto__" in a result is left to the schema.
  const proto = JSON.parse('{"v":1,"request_id":"r","results":[{"id":"m","ok":true,"result":{"__proto__":{"x":1}}}]}') as unknown;
  t.equal(fastUpstreamResponse(proto), undefined);
});
