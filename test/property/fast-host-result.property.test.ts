// protocol/fast-host-result.ts against awardResultSchema (fast-check): for any JSON award result,
// the hand check returns exactly the schema's value (deep equal, and the same text once serialised:
// the outbox stores it, the POS's answer is made from it) or gives up, and it gives up whenever the
// schema refuses, so a result the till cannot read keeps zod's error text. Also: an answer as the
// host makes it takes the fast path, and checkResult gives what the schema gives.
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import fc from 'fast-check';
import { fastAwardResult } from '../../protocol/fast-host-result.ts';
import { awardResultSchema, parseHostResult } from '../../protocol/upstream.ts';
import { checkResult } from '../../agent/upstream/host-results.ts';

const RUNS = { numRuns: 4000 };
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const wildNumber = fc.oneof(
  fc.integer({ min: -3, max: 2000 }),
  fc.constantFrom(0, -0, 1, 0.5, -1, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1e21, 1e300),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const wild = fc.oneof(wildNumber, fc.boolean(), fc.constant(null), fc.string({ maxLength: 4 }), fc.constant({}), fc.constant([]));
const mostly = <T, U>(good: fc.Arbitrary<T>, ...bad: Array<fc.Arbitrary<U>>) => fc.oneof({ weight: 30, arbitrary: good as fc.Arbitrary<T | U> }, ...bad);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const extra = fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, fc.record({ colour: wild }), fc.constant({ __proto__: 1 }));
const int = mostly(fc.integer({ min: -500, max: 5000 }), wildNumber, wild);
const text = mostly(fc.string({ maxLength: 8 }), wild);
const currency = mostly(fc.constantFrom('EUR', 'USD', 'GBP'), fc.constantFrom('PTS', 'STARS', 'eur', 'EURO', ''), wild);
const unit = mostly(fc.constantFrom('EUR', 'PTS', 'STARS', 'MILES_2'), fc.constantFrom('eur', 'PT', 'AB', 'toolongunitname_x', 'ST-RS', ''), wild);
const withExtra = <T extends object>(arb: fc.Arbitrary<T>) =>
  fc.tuple(arb, extra).map(([value, more]) => (more === undefined ? value : { ...value, ...more }));

const unitAmount = withExtra(fc.record({ amount: int, currency: unit }, { requiredKeys: ['amount', 'currency'] }));
const units = (max: number) => mostly(fc.array(mostly(unitAmount, wild), { maxLength: 3 }), fc.array(unitAmount, { minLength: max + 1, maxLength: max + 1 }), wild);
const offer = withExtra(fc.record({ id: text, name: text, award_amount: int, points: maybe(mostly(unitAmount, wild)) }, { requiredKeys: ['id', 'name', 'award_amount'] }));
const voucher = withExtra(fc.record({ code: text, amount: int, currency }, { requiredKeys: ['code', 'amount', 'currency'] }));

const result = withExtra(fc.record({
  currency,
  award_amount: int,
  instant_spend_amount: int,
  automatic_spend_amount: int,
  balance: mostly(unitAmount, wild),
  reduction: mostly(fc.constantFrom('front_end', 'back_end'), fc.constantFrom('front', 'BACK_END'), wild),
  offers: mostly(fc.array(mostly(offer, wild), { maxLength: 3 }), wild),
  points: maybe(units(20)),
  wallets: maybe(units(20)),
  currencies: maybe(mostly(fc.array(currency, { maxLength: 3 }), fc.constant(Array.from({ length: 201 }, () => 'EUR')), wild)),
  unknown_skus: maybe(mostly(fc.array(mostly(fc.string({ maxLength: 4 }), wild), { maxLength: 3 }), wild)),
  total_spend_amount: int,
  basket_total: maybe(int),
  voucher: maybe(mostly(voucher, wild)),
  award_pending: maybe(mostly(fc.boolean(), wild)),
}, { requiredKeys: ['currency', 'award_amount', 'instant_spend_amount', 'automatic_spend_amount', 'balance', 'reduction', 'offers', 'total_spend_amount'] }))
  // Keys in any order: the output's order is the schema's, whatever the host wrote.
  .chain((r) => fc.shuffledSubarray(Object.keys(r), { minLength: Object.keys(r).length }).map((keys) => Object.fromEntries(keys.map((k) => [k, (r as Record<string, unknown>)[k]]))));

t.test('fastAwardResult: the schema\'s value or undefined; undefined whenever the schema refuses', async (t) => {
  let fast = 0;
  let refused = 0;
  fc.assert(fc.property(result, (raw) => {
    const value = asJson(raw);
    const parsed = awardResultSchema.safeParse(value);
    const mine = fastAwardResult(value);
    if (!parsed.success) {
      refused++;
      return mine === undefined;
    }
    if (mine === undefined) return true;
    fast++;
    return isDeepStrictEqual(mine, parsed.data) && JSON.stringify(mine) === JSON.stringify(parsed.data);
  }), RUNS);
  // Both sides exercised: the generator is not all refusals, nor all accepted.
  t.ok(fast > 200, `fast path taken (${fast})`);
  t.ok(refused > 200, `schema refusals met (${refused})`);
});

t.test('an answer as the host makes it takes the fast path; checkResult gives the schema\'s value', async (t) => {
  const answer = asJson({
    currency: 'EUR', award_amount: 120, instant_spend_amount: 0, automatic_spend_amount: 50,
    balance: { amount: 1570, currency: 'EUR' }, reduction: 'front_end',
    offers: [{ id: 'o-1', name: 'Double points', award_amount: 20, points: { amount: 40, currency: 'PTS' } }],
    points: [{ amount: 40, currency: 'PTS' }], wallets: [{ amount: 1570, currency: 'EUR' }, { amount: 900, currency: 'PTS' }],
    currencies: ['EUR'], unknown_skus: ['', 'X-9'], total_spend_amount: 50, basket_total: 2500,
    voucher: { code: 'V-1', amount: 50, currency: 'EUR' },
  });
  const mine = fastAwardResult(answer);
  t.ok(mine, 'fast path');
  const zod = parseHostResult('award', answer);
  t.ok(zod.ok);
  t.same(mine, zod.ok ? zod.value : undefined);
  t.equal(JSON.stringify(checkResult('award', answer).result), JSON.stringify(zod.ok ? zod.value : undefined));
  t.not(mine, answer, 'a new object');
  // SessionM's award: points computed after the answer (award_pending), last in the shape.
  const pending = { ...(answer as object), award_pending: true };
  const fastPending = fastAwardResult(pending);
  const zodPending = parseHostResult('award', pending);
  t.equal(fastPending?.award_pending, true, 'award_pending on the fast path');
  t.equal(JSON.stringify(fastPending), JSON.stringify(zodPending.ok ? zodPending.value : undefined), 'same value, same key order');
  for (const odd of ['yes', 1, null, {}]) {
    t.equal(fastAwardResult({ ...(answer as object), award_pending: odd }), undefined, `award_pending ${JSON.stringify(odd)}: left to the schema`);
    t.match(checkResult('award', { ...(answer as object), award_pending: odd }), { result: null, result_error: /award_pending/ }, 'which names it');
  }
  const bad = { ...(answer as object), balance: { amount: 1.5, currency: 'EUR' } };
  t.equal(fastAwardResult(bad), undefined);
  t.match(checkResult('award', bad), { result: null, result_error: /balance/ }, 'zod names the field');
});
