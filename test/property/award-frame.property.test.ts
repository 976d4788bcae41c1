// Property-based tests (fast-check) of protocol/award-frame.ts: an award line decoded in one walk
// (the fast path's validation counting the keys, compared with the line's colons) gives exactly what
// the general way gives (checkKeys, parseRequest, parseParams), or gives up and leaves the line to it;
// never a value for a line that repeats a key or that the general way refuses.
import t from 'tap';
import fc from 'fast-check';
import { basketArbitrary, maybe } from '../helpers/basket-arbitrary.ts';
import { awardFrame } from '../../protocol/award-frame.ts';
import { decodeFrame } from '../../protocol/json-frame.ts';
import { parseParams, parseRequest } from '../../protocol/local.ts';

const RUNS = { numRuns: 3000 };

const text = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9 -]{1,12}$/) },
  fc.string({ maxLength: 12 }),
  fc.constantFrom('"', '\\', '12:30', '":', '{"a":1}', 'é', '4006381333931', ''),
);
const amount = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 0, max: 5000 }) }, fc.constantFrom(-1, 0.5));
const item = fc.record({
  sku: text, name: maybe(text), qty: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(1, 2, 0.5, 3) }, fc.constant(0)), unit_price: amount, amount,
  category: maybe(text), tax_included: maybe(fc.oneof(fc.boolean(), fc.integer({ min: 0, max: 50 }))),
}, { requiredKeys: ['sku', 'qty', 'unit_price', 'amount'] });
const pair = (key: 'code' | 'method') => fc.record({ [key]: text, amount }, { requiredKeys: [key, 'amount'] });
const basket = basketArbitrary({ currency: fc.oneof({ weight: 9, arbitrary: fc.constantFrom('EUR', 'USD') }, fc.constant('eur')), text, amount, item, pair });
const request = fc.record({
  id: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,8}$/) }, { weight: 4, arbitrary: fc.integer({ min: 0, max: 1000 }) }, fc.constantFrom('', 'x'.repeat(129), 1.5)),
  op: fc.oneof({ weight: 8, arbitrary: fc.constant('award') }, fc.constantFrom('status', 'Award')),
  params: fc.record({ txn_id: fc.oneof({ weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,12}$/) }, fc.constantFrom('', 'a b')), customer_id: text, basket }),
});

/**
 * The line of `value`: objects in order (depth first) counted from 0; the object `dupAt` repeats one of its
 * keys (the general way finds it), the object `extraAt` gets one more key (with a nested object: more
 * keys than the fast path keeps), `space` around colons and commas.
 */
function line(value: unknown, dupAt: number, extraAt: number, extra: [string, unknown], which: number, space: string): string {
  let objects = 0;
  const write = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(write).join(`,${space}`)}]`;
    if (typeof v !== 'object' || v === null) return JSON.stringify(v);
    const at = objects++;
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (at === extraAt) entries.push(extra);
    if (at === dupAt && entries.length > 0) entries.push(entries[which % entries.length]!);
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}${space}:${space}${write(x)}`).join(`,${space}`)}}`;
  };
  return write(value);
}

/** Keys of every object in a value (undefined ones left out, as JSON.stringify does). */
function keysOf(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + keysOf(x), 0);
  if (typeof v !== 'object' || v === null) return 0;
  return Object.values(v).reduce((n: number, x) => (x === undefined ? n : n + 1 + keysOf(x)), 0);
}

/** The general way: what Connection.handleLine decides for an award line without the one walk. */
function general(text: string, protocol: 1 | 2): { id: unknown; params: unknown } | undefined {
  const frame = decodeFrame(text);
  if (!frame.ok) return undefined;
  const envelope = parseRequest(frame.value);
  if (!envelope.ok || envelope.value.op !== 'award') return undefined;
  const params = parseParams('award', envelope.value.params, protocol);
  return params.ok ? { id: envelope.value.id, params: params.value } : undefined;
}

t.test('awardFrame: the general way\'s value, or undefined only for a line with more colons than kept keys', async (t) => {
  let taken = 0;
  let cleanLines = 0;
  const extra = fc.tuple(fc.constantFrom('note', 'txn_id', 'qty', 'x'), fc.oneof(text, fc.constant({ a: 1, b: { c: 2 } }), fc.integer()));
  const dup = fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, fc.nat({ max: 8 }));
  fc.assert(fc.property(request, dup, dup, extra, fc.nat(), fc.constantFrom('', ' '), fc.constantFrom(1, 2) as fc.Arbitrary<1 | 2>,
    (req, dupAt, extraAt, extraEntry, which, space, protocol) => {
      const text = line(req, dupAt, extraAt, extraEntry, which, space);
      const want = general(text, protocol);
      const got = awardFrame(text, JSON.parse(text), protocol === 2);
      // Valid, nothing repeated or dropped, no colon inside a string: the one walk takes it.
      const clean = dupAt === -1 && extraAt === -1 && want !== undefined && text.split(':').length - 1 === keysOf(req) &&
        keysOf(want.params) === keysOf(req.params); // a v1 basket's channel and payments are dropped
      if (clean) cleanLines++;
      if (got === undefined) return !clean;
      taken++;
      return want !== undefined && JSON.stringify(got.id) === JSON.stringify(want.id) && JSON.stringify(got.params) === JSON.stringify(want.params);
    }), RUNS);
  t.ok(cleanLines > RUNS.numRuns / 20, `the generator reaches valid award lines (${cleanLines}; ${taken} taken in all)`);
});

t.test('awardFrame: examples', async (t) => {
  const params = { txn_id: 'sale-1', customer_id: 'P-1001', basket: { currency: 'EUR', total: 5, items: [{ sku: 'A', name: 'Espresso', qty: 1, unit_price: 5, amount: 5 }] } };
  const ok = JSON.stringify({ id: 'r1', op: 'award', params });
  const taken = awardFrame(ok, JSON.parse(ok), false);
  t.equal(taken?.id, 'r1');
  t.same(taken?.params, (parseParams('award', params, 1) as { value: unknown }).value);
  const refused: Array<[string, string]> = [
    [ok.replace('"qty":1', '"qty":1,"qty":1'), 'a key repeated in an item'],
    [ok.replace('"txn_id":"sale-1"', '"txn_id":"sale-0","txn_id":"sale-1"'), 'a key repeated in the params'],
    [ok.replace('"op":"award"', '"op":"status","op":"award"'), 'the op repeated (JSON.parse keeps the last)'],
    [ok.replace('"id":"r1"', '"id":"r0","id":"r1"'), 'the id repeated'],
    [ok.replace('"total":5', '"total":5,"note":{"a":1}'), 'a v1 key the schema drops'],
    [ok.replace('"award"', '"status"'), 'another op'],
  ];
  for (const [text, why] of refused) t.equal(awardFrame(text, JSON.parse(text), false), undefined, why);
  const colon = ok.replace('Espresso', '12:30');
  t.equal(awardFrame(colon, JSON.parse(colon), false), undefined, 'a colon inside a string: more colons than keys, the general way');
  t.ok(general(colon, 1), '... which takes it');
  const extraEnvelope = ok.replace('"id":"r1"', '"id":"r1","trace":"x"');
  t.same(awardFrame(extraEnvelope, JSON.parse(extraEnvelope), false)?.id, 'r1', 'an envelope key the schema ignores is counted, not refused');
});
