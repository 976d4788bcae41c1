// Property-based tests (fast-check) of agent/ops/award-texts.ts: an award payload's two texts, made in
// one pass, are byte for byte canonicalJson (the fingerprint, compared with fingerprints already in
// an outbox) and JSON.stringify (the stored payload, sent upstream) of the same payload; anything not
// of the validated shape gives undefined (the generic way), never another text.
import t from 'tap';
import fc from 'fast-check';
import { basketArbitrary, maybe } from '../helpers/basket-arbitrary.ts';
import { awardTexts, checkedAwardTexts } from '../../agent/ops/award-texts.ts';
import { fastAward, isFastAward } from '../../protocol/fast-path.ts';
import { canonicalJson } from '../../protocol/canonical-json.ts';
import { paramSchemas, paramSchemasV2, parseParams } from '../../protocol/local.ts';

const RUNS = { numRuns: 3000 };

// Texts JSON escapes (quotes, backslashes, control characters, lone surrogates) and others.
const text = (max: number) => fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9 -]{1,12}$/) },
  fc.string({ maxLength: max }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('"', '\\', 'a\u0000b', '\ud800', 'x\udfffy', '😀', 'é', '\u2028', '</script>', '4006381333931'),
);
const amount = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 5000 }) }, fc.constantFrom(0, -0));

const item = fc.record({
  sku: text(64),
  name: maybe(text(64)),
  qty: fc.constantFrom(1, 2, 0.5, 1.25, 0.001, 1_000_000, 3),
  unit_price: amount,
  amount,
  category: maybe(text(64)),
  tax_included: maybe(fc.oneof(fc.boolean(), fc.integer({ min: 0, max: 5000 }))),
}, { requiredKeys: ['sku', 'qty', 'unit_price', 'amount'] });
const pair = (key: 'code' | 'method') => fc.record({ [key]: text(64), amount }, { requiredKeys: [key, 'amount'] });

const basket = basketArbitrary({ currency: fc.constantFrom('EUR', 'USD', 'JPY'), text: text(64), amount, item, pair });

const params = fc.record({ txn_id: fc.stringMatching(/^[a-z0-9-]{1,12}$/), customer_id: text(128), basket });

/** Both texts as the generic code writes them. */
function generic(payload: Record<string, unknown>) {
  return { canonical: canonicalJson(payload), json: JSON.stringify(payload) };
}

t.test('an award payload of validated params: both texts, exactly the generic ones', async (t) => {
  let checked = 0;
  fc.assert(fc.property(params, fc.constantFrom(1, 2) as fc.Arbitrary<1 | 2>, fc.boolean(), (p, protocol, viaZod) => {
    const wire = JSON.parse(JSON.stringify(p)) as unknown;
    // The fast path's value, or zod's (what a request the fast path gives up on gets).
    const parsed = viaZod
      ? (protocol === 2 ? paramSchemasV2.award : paramSchemas.award).safeParse(wire)
      : (({ ok, value }) => ({ success: ok, data: value }))(parseParams('award', wire, protocol) as { ok: boolean; value: unknown });
    if (!parsed.success) return true;
    checked++;
    const v = parsed.data as { customer_id: string; basket: Record<string, unknown> };
    const payload = { customer_id: v.customer_id, basket: v.basket };
    const texts = awardTexts(payload);
    if (texts === undefined) return false;
    const want = generic(payload);
    return texts.canonical === want.canonical && texts.json === want.json &&
      texts.offlineJson === JSON.stringify({ ...payload, pos_reduced: false });
  }), RUNS);
  t.ok(checked > RUNS.numRuns / 3, `the generator reaches validated params (${checked} of ${RUNS.numRuns})`);
});

t.test('params the fast path returned: written without the shape check, exactly the generic texts', async (t) => {
  let fast = 0;
  fc.assert(fc.property(params, fc.constantFrom(1, 2) as fc.Arbitrary<1 | 2>, (p, protocol) => {
    const wire = JSON.parse(JSON.stringify(p)) as unknown;
    const parsed = parseParams('award', wire, protocol);
    if (!parsed.ok || !isFastAward(parsed.value)) return true;
    fast++;
    const v = parsed.value as { customer_id: string; basket: Record<string, unknown> };
    const payload = { customer_id: v.customer_id, basket: v.basket };
    const texts = checkedAwardTexts(v);
    const want = generic(payload);
    return texts.canonical === want.canonical && texts.json === want.json &&
      texts.offlineJson === JSON.stringify({ ...payload, pos_reduced: false });
  }), RUNS);
  t.ok(fast > RUNS.numRuns / 3, `the fast path makes most validated params (${fast} of ${RUNS.numRuns})`);
});

t.test('isFastAward: only the value fastAward returned last, not a copy, zod\'s value or an earlier one', async (t) => {
  const wire = () => JSON.parse(JSON.stringify({ txn_id: 'sale-1', customer_id: 'P-1001', basket: { currency: 'EUR', total: 5, items: [{ sku: 'A', qty: 1, unit_price: 5, amount: 5 }] } })) as unknown;
  const first = fastAward(wire(), false)!;
  t.ok(isFastAward(first), 'the value just returned');
  t.notOk(isFastAward({ ...first }), 'a copy (its keys may since be others)');
  t.notOk(isFastAward(paramSchemas.award.parse(wire()) as object), "zod's value: the shape is checked");
  const second = fastAward(wire(), true)!;
  t.ok(isFastAward(second));
  t.notOk(isFastAward(first), 'an earlier value: checked again');
  t.equal(fastAward({ ...(wire() as object), txn_id: '' }, false), undefined);
  t.ok(isFastAward(second), 'a refused request leaves the mark as it was');
});

t.test('anything else: undefined, or exactly the generic texts', async (t) => {
  // Payload-like objects bent out of shape: keys moved, extra, missing or undefined, leaves of other types, holes.
  const wild = fc.oneof(fc.anything({ maxDepth: 2, withSparseArray: true, withNullPrototype: true, withDate: true }), fc.constant(undefined), fc.double(), text(8));
  const bent = fc.tuple(params, fc.array(fc.tuple(fc.constantFrom('payload', 'basket', 'item', 'discount'), fc.constantFrom(
    'customer_id', 'basket', 'currency', 'total', 'tax_total', 'store', 'channel', 'items', 'discounts', 'payments',
    'sku', 'name', 'qty', 'unit_price', 'amount', 'category', 'tax_included', 'code', 'method', 'extra', '0',
  ), fc.constantFrom('delete', 'set', 'move'), wild), { maxLength: 3 })).map(([p, edits]) => {
    const payload: Record<string, unknown> = structuredClone({ customer_id: p.customer_id, basket: p.basket });
    for (const [where, key, how, value] of edits) {
      const b = payload.basket as Record<string, unknown>;
      const items = b?.items as Array<Record<string, unknown>> | undefined;
      const target = where === 'payload' ? payload : where === 'basket' ? b : where === 'item' ? items?.[0] : ((b?.discounts as Array<Record<string, unknown>> | undefined)?.[0] ?? b);
      if (typeof target !== 'object' || target === null) continue;
      if (how === 'delete') delete target[key];
      else if (how === 'set') target[key] = value;
      else if (key in target) {
        const moved = target[key];
        delete target[key];
        target[key] = moved;
      }
    }
    return payload;
  });
  let same = 0;
  fc.assert(fc.property(bent, (payload) => {
    let texts;
    try {
      texts = awardTexts(payload);
    } catch {
      return false;
    }
    if (texts === undefined) return true;
    same++;
    let want;
    try {
      want = generic(payload);
    } catch {
      return false; // the generic way throws (a BigInt): so must this, not give texts
    }
    return texts.canonical === want.canonical && texts.json === want.json && texts.offlineJson === JSON.stringify({ ...payload, pos_reduced: false });
  }), RUNS);
  t.ok(same > 0, `some bent payloads still have the shape (${same})`);
});

t.test('the sample sale: its texts, pinned', async (t) => {
  const payload = {
    customer_id: 'P-1001',
    basket: {
      currency: 'EUR', total: 470, tax_total: 43, store: 'S1',
      items: [
        { sku: '4006381333931', name: 'Espresso', qty: 2, unit_price: 160, amount: 320, category: 'hot-drinks', tax_included: true },
        { sku: '3017620422003', name: 'Croissant', qty: 1, unit_price: 150, amount: 150, category: 'bakery', tax_included: true },
      ],
    },
  };
  t.same(awardTexts(payload), { ...generic(payload), offlineJson: JSON.stringify({ ...payload, pos_reduced: false }) });
  t.equal(awardTexts(payload)?.canonical.slice(0, 64), '{"basket":{"currency":"EUR","items":[{"amount":320,"category":"h');
  t.equal(awardTexts({ basket: payload.basket, customer_id: 'P-1001' }), undefined, 'keys in another order: the generic way');
});
