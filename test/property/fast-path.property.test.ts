// Property-based tests (fast-check) of protocol/fast-path.ts against the zod schemas it stands in
// front of: for any JSON input, the hand-written check accepts exactly what the schema accepts and
// returns the same value, byte for byte once serialised (the outbox stores it, fingerprints hash
// it); whatever it refuses reaches the schema, whose errors the POS gets (checked through
// parseParams / parseRequest, which the socket calls).
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import fc from 'fast-check';
import { fastAward, fastRequest } from '../../protocol/fast-path.ts';
import { paramSchemas, paramSchemasV2, parseParams, parseRequest, requestSchema } from '../../protocol/local.ts';
import { MAX_AMOUNT } from '../../protocol/money.ts';

const RUNS = { numRuns: 3000 };
const VISA = '4111111111111111';

/** JSON in, as the socket decodes it: plain objects, no undefined. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const wildNumber = fc.oneof(
  fc.integer({ min: -3, max: 2000 }),
  fc.constantFrom(0, -0, 1, 0.5, 0.001, 0.0001, 1e-7, 1.5, MAX_AMOUNT, MAX_AMOUNT + 1, 2 ** 53, -1, 1e21, 1_000_000, 1_000_000.001, 1e300),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const wild = fc.oneof(wildNumber, fc.boolean(), fc.constant(null), fc.string({ maxLength: 4 }), fc.constant({}), fc.constant([]));
/** Mostly `good`, now and then one of `bad`: most generated requests are valid, each field can be wrong. */
const mostly = <T, U>(good: fc.Arbitrary<T>, ...bad: Array<fc.Arbitrary<U>>) => fc.oneof({ weight: 40, arbitrary: good as fc.Arbitrary<T | U> }, ...bad);
const textish = (max: number) => mostly(
  fc.stringMatching(/^[A-Za-z0-9-]{1,10}$/),
  fc.constantFrom('', ' ', 'has space', VISA, `Ref ${VISA}`, '４１１１１１１１１１１１１１１１', 'x'.repeat(max), 'x'.repeat(max + 1), 'é', 'PTS', 'EUR'),
  wild,
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const extra = fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, fc.record({ colour: wild }));

const item = fc.record({
  sku: textish(64),
  name: maybe(textish(256)),
  qty: fc.oneof({ weight: 30, arbitrary: fc.constantFrom(1, 2, 0.5, 1.25, 0.001, 1_000_000) }, { weight: 2, arbitrary: fc.constantFrom(0, -0, 0.0001, 1_000_000.001, 1e-7) }, wildNumber, wild),
  unit_price: mostly(fc.integer({ min: 0, max: 5000 }), wild),
  amount: mostly(fc.integer({ min: 0, max: 5000 }), wild),
  category: maybe(textish(128)),
  tax_included: maybe(fc.oneof(fc.boolean(), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 50 }), wild)),
  more: extra,
  // v2: tax_included near the item's amount (it may not exceed it)
  taxSkew: fc.option(fc.constantFrom(-1, 0, 1), { nil: undefined, freq: 3 }),
}, { requiredKeys: ['sku', 'qty', 'unit_price', 'amount'] }).map(({ taxSkew, ...i }) =>
  (taxSkew === undefined || typeof i.amount !== 'number' ? i : { ...i, tax_included: i.amount + taxSkew }));
const discount = fc.record({ code: textish(64), amount: mostly(fc.integer({ min: 0, max: 500 }), wild), more: extra }, { requiredKeys: ['code', 'amount'] });
const payment = fc.record({ method: textish(64), amount: mostly(fc.integer({ min: 0, max: 5000 }), wild), more: extra }, { requiredKeys: ['method', 'amount'] });

/** Baskets that are mostly right (totals add up unless skewed), with something wrong or unexpected now and then. */
const basket = fc.record({
  currency: mostly(fc.constantFrom('EUR', 'USD', 'JPY'), fc.constantFrom('PTS', 'eur', 'EURO'), wild),
  items: mostly(fc.array(item, { minLength: 1, maxLength: 4 }), fc.constant([]), wild),
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

const awardParams = fc.record({
  txn_id: mostly(fc.stringMatching(/^[!-~]{1,20}$/), textish(128), fc.constant('x'.repeat(129))),
  customer_id: mostly(fc.constant('P-1001'), textish(128)),
  basket: mostly(basket, wild),
  more: extra,
}, { requiredKeys: ['txn_id', 'customer_id', 'basket'] }).map(({ more, ...p }) => asJson({ ...p, ...more }));

// Items and lists with undefined members would not survive JSON: strip them from the generated objects.
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, clean(v)]));
  }
  return value;
}

t.test('fastAward accepts exactly what the award schema accepts, with the same value (v1 and v2)', async (t) => {
  let accepted = 0;
  fc.assert(fc.property(awardParams.map(clean), fc.boolean(), (params, v2) => {
    const schema = v2 ? paramSchemasV2.award : paramSchemas.award;
    const zod = schema.safeParse(params);
    const fast = fastAward(params, v2);
    if (fast) accepted++;
    if (!zod.success) return fast === undefined;
    return fast !== undefined && JSON.stringify(fast) === JSON.stringify(zod.data) && isDeepStrictEqual(fast, zod.data);
  }), RUNS);
  t.ok(accepted > RUNS.numRuns / 30, `the generator reaches the accepting path (${accepted} of ${RUNS.numRuns})`);
});

t.test('fastAward and the schema agree on every field at and around its limits', async (t) => {
  const base = () => ({
    txn_id: 't-1', customer_id: 'P-1001',
    basket: {
      currency: 'EUR', total: 300, tax_total: 10, store: 'S1', channel: 'bar',
      items: [{ sku: 'A', name: 'n', qty: 1, unit_price: 300, amount: 300, category: 'c', tax_included: 10 }],
      discounts: [{ code: 'D', amount: 0 }],
      payments: [{ method: 'card', amount: 300 }],
    },
  });
  const strings = ['', 'x', VISA, ...[63, 64, 65, 127, 128, 129, 255, 256, 257].map((n) => 'x'.repeat(n)), 'has space', 'é'];
  const numbers = [-1, -0, 0, 0.001, 0.0001, 1, 1.5, 300, 301, 1e6, 1_000_000.001, MAX_AMOUNT, MAX_AMOUNT + 1, 2 ** 53];
  const others = [true, false, null, [], {}, undefined];
  const paths = [
    ['txn_id'], ['customer_id'], ['basket', 'currency'], ['basket', 'total'], ['basket', 'tax_total'], ['basket', 'store'],
    ['basket', 'channel'], ['basket', 'items', 0, 'sku'], ['basket', 'items', 0, 'name'], ['basket', 'items', 0, 'qty'],
    ['basket', 'items', 0, 'unit_price'], ['basket', 'items', 0, 'amount'], ['basket', 'items', 0, 'category'],
    ['basket', 'items', 0, 'tax_included'], ['basket', 'discounts', 0, 'code'], ['basket', 'discounts', 0, 'amount'],
    ['basket', 'payments', 0, 'method'], ['basket', 'payments', 0, 'amount'], ['basket', 'discounts'], ['basket', 'payments'], ['basket', 'items'],
  ];
  let checked = 0;
  for (const path of paths) {
    for (const value of [...strings, ...numbers, ...others]) {
      for (const v2 of [false, true]) {
        const params = base() as Record<string | number, unknown>;
        let at = params;
        for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
        if (value === undefined) delete at[path[path.length - 1]!];
        else at[path[path.length - 1]!] = value;
        // v1 takes tax_included as a flag and knows no channel or payments (dropped).
        const first = (params.basket as { items?: unknown }).items;
        if (!v2 && path.at(-1) !== 'tax_included' && Array.isArray(first) && first[0]) (first[0] as Record<string, unknown>).tax_included = true;
        const zod = (v2 ? paramSchemasV2.award : paramSchemas.award).safeParse(params);
        const fast = fastAward(params, v2);
        checked++;
        if (zod.success ? !isDeepStrictEqual(fast, zod.data) || JSON.stringify(fast) !== JSON.stringify(zod.data) : fast !== undefined) {
          t.fail(`${path.join('.')} = ${JSON.stringify(value)?.slice(0, 40)} (v${v2 ? 2 : 1}): fast ${JSON.stringify(fast)?.slice(0, 80)}, schema ${zod.success}`);
        }
      }
    }
  }
  t.pass(`${checked} cases`);
});

t.test('parseParams gives the schema\'s own errors whenever the fast path gives up', async (t) => {
  fc.assert(fc.property(awardParams.map(clean), fc.constantFrom(1, 2) as fc.Arbitrary<1 | 2>, (params, protocol) => {
    const schema = protocol === 2 ? paramSchemasV2.award : paramSchemas.award;
    const r = parseParams('award', params, protocol);
    const zod = schema.safeParse(params);
    if (zod.success) return r.ok && JSON.stringify(r.value) === JSON.stringify(zod.data);
    return !r.ok && r.errors.length > 0 && r.errors.every((e) => e.startsWith('params'));
  }), { numRuns: 1000 });
  // A few refusals spelled out: the codes and messages the POS sees did not change.
  t.match(parseParams('award', { txn_id: 'has space', customer_id: 'c', basket: { currency: 'EUR', total: 1, items: [{ sku: 'A', qty: 1, unit_price: 1, amount: 1 }] } }),
    { ok: false, errors: ['params.txn_id: must be printable ASCII without spaces'] });
  t.match(parseParams('award', { txn_id: 't', customer_id: 'c', basket: { currency: 'EUR', total: 2, items: [{ sku: 'A', qty: 1, unit_price: 1, amount: 1 }] } }),
    { ok: false, errors: ['params.basket.total: items add up to 1 minus discounts 0 = 1, not 2'] });
  t.match(parseParams('award', { txn_id: 't', customer_id: 'c', basket: { currency: 'EUR', total: 1, items: [{ sku: VISA, qty: 1, unit_price: 1, amount: 1 }] } }),
    { ok: false, errors: ['params.basket.items[0].sku: must not contain a payment card number'] });
  t.match(parseParams('award', { txn_id: 't', customer_id: 'c', basket: { currency: 'EUR', total: 1, items: [{ sku: 'A', qty: 1, unit_price: 1, amount: 1, colour: 'red' }] } }, 2),
    { ok: false, errors: ['params.basket.items[0]: unknown key(s): colour'] });
});

const requestId = fc.oneof(
  fc.integer(), fc.string({ maxLength: 10 }), fc.constantFrom('x'.repeat(128), 'x'.repeat(129), 2 ** 53, -(2 ** 53), 1.5, -0, Number.MAX_SAFE_INTEGER),
  wild,
);
const envelope = fc.record({
  id: requestId,
  op: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('award', 'status', 'hello') }, textish(64), fc.constant('x'.repeat(65))),
  params: fc.oneof({ weight: 4, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 4 }) }, wild, fc.constant(null)),
  jsonrpc: fc.constant('2.0'),
}, { requiredKeys: [] });

t.test('fastRequest accepts exactly what the request schema accepts, with the same value', async (t) => {
  let accepted = 0;
  fc.assert(fc.property(envelope.map(asJson), (value) => {
    const zod = requestSchema.safeParse(value);
    const fast = fastRequest(value);
    if (fast) accepted++;
    const same = parseRequest(value);
    if (!zod.success) return fast === undefined && !same.ok;
    return fast !== undefined && JSON.stringify(fast) === JSON.stringify(zod.data) && isDeepStrictEqual(fast, zod.data) && same.ok;
  }), RUNS);
  t.ok(accepted > RUNS.numRuns / 30, `the generator reaches the accepting path (${accepted} of ${RUNS.numRuns})`);
  // "__proto__" in params is left to the schema.
  const proto = JSON.parse('{"id":1,"op":"status","params":{"__proto__":{"x":1}}}') as unknown;
  t.equal(fastRequest(proto), undefined);
  t.same(parseRequest(proto), { ok: true, value: requestSchema.parse(proto) });
});
