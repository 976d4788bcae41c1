// Property-based tests (fast-check) of money arithmetic, basket validation and the free-text
// card-number check, against BigInt and simple reference models.
import t from 'tap';
import fc from 'fast-check';
import { basketSchema, basketSchemaV2 } from '../../protocol/basket.ts';
import { MAX_AMOUNT, addAmounts, formatMoney, exponentOf, isPointsUnit, percentOf, prorate, sumAmounts } from '../../protocol/money.ts';
import { findPanInText, gtinValid, luhnValid, maskPansIn } from '../../protocol/pan.ts';
import { MAX_QTY } from '../../protocol/schema.ts';

const RUNS = { numRuns: 500 };
const SAFE = Number.MAX_SAFE_INTEGER;
const isSafe = (n: bigint) => n >= BigInt(-SAFE) && n <= BigInt(SAFE);

t.test('sumAmounts is the exact BigInt sum, or null when that leaves the safe integers', async (t) => {
  const amount = fc.oneof(fc.integer({ min: -SAFE, max: SAFE }), fc.constantFrom(SAFE, -SAFE, SAFE - 1, 0, 1), fc.integer({ min: -1000, max: 1000 }));
  fc.assert(fc.property(fc.array(amount, { maxLength: 50 }), (values) => {
    let exact = 0n;
    let overflow = false;
    for (const v of values) {
      exact += BigInt(v);
      if (!isSafe(exact)) overflow = true; // a prefix overflow is refused even if later terms bring it back
    }
    const got = sumAmounts(values);
    return overflow ? got === null : got === Number(exact);
  }), RUNS);
  fc.assert(fc.property(fc.double(), fc.integer(), (x, y) => {
    return Number.isSafeInteger(x) || sumAmounts([x, y]) === null;
  }), RUNS);
  fc.assert(fc.property(fc.integer({ min: -SAFE, max: SAFE }), fc.integer({ min: -SAFE, max: SAFE }), (a, b) => {
    const exact = BigInt(a) + BigInt(b);
    try {
      return addAmounts(a, b) === Number(exact) && isSafe(exact);
    } catch {
      return !isSafe(exact);
    }
  }), RUNS);
});

t.test('percentOf and prorate floor exactly like BigInt arithmetic', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: SAFE }), fc.integer({ min: 0, max: 10_000 }), (amount, bp) =>
    percentOf(amount, bp) === Number((BigInt(amount) * BigInt(bp)) / 10_000n)), RUNS);
  fc.assert(fc.property(fc.integer({ min: 0, max: MAX_AMOUNT }), fc.integer({ min: 0, max: MAX_AMOUNT }), fc.integer({ min: 1, max: MAX_AMOUNT }), (a, n, d) =>
    prorate(a, n, d) === Number((BigInt(a) * BigInt(n)) / BigInt(d))), RUNS);
});

t.test('formatMoney shows every minor unit: parsing the digits back gives the amount', async (t) => {
  fc.assert(fc.property(fc.integer({ min: -MAX_AMOUNT, max: MAX_AMOUNT }), fc.constantFrom('EUR', 'JPY', 'KWD', 'USD'), (amount, currency) => {
    const text = formatMoney({ amount, currency });
    const [number, code] = text.split(' ');
    const decimals = number!.split('.')[1]?.length ?? 0;
    return code === currency && decimals === exponentOf(currency) && BigInt(number!.replace('.', '')) === BigInt(amount);
  }), RUNS);
});

const amountArb = fc.oneof(fc.integer({ min: 0, max: MAX_AMOUNT }), fc.integer({ min: 0, max: 10_000 }));
const qtyArb = fc.oneof(fc.integer({ min: 1, max: MAX_QTY }), fc.integer({ min: 1, max: 1_000_000 }).map((n) => n / 1000));
const itemArb = fc.record({ sku: fc.stringMatching(/^[A-Z0-9]{1,12}$/), qty: qtyArb, unit_price: amountArb, amount: amountArb });
const discountArb = fc.record({ code: fc.constantFrom('STAFF', 'PROMO'), amount: amountArb });

t.test('a basket within the limits is accepted exactly when its total is items minus discounts', async (t) => {
  fc.assert(fc.property(fc.array(itemArb, { minLength: 1, maxLength: 30 }), fc.array(discountArb, { maxLength: 5 }), fc.integer({ min: -3, max: 3 }), (items, discounts, skew) => {
    const exact = items.reduce((s, i) => s + BigInt(i.amount), 0n) - discounts.reduce((s, d) => s + BigInt(d.amount), 0n);
    const total = Number(exact) + skew;
    const result = basketSchema.safeParse({ currency: 'EUR', total, items, discounts });
    const shouldPass = skew === 0 && total >= 0 && total <= MAX_AMOUNT;
    return result.success === shouldPass;
  }), RUNS);
});

t.test('a basket is priced in a currency: any points unit is refused, any 3-letter non-points code passes', async (t) => {
  const items = [{ sku: 'A', qty: 1, unit_price: 100, amount: 100 }];
  fc.assert(fc.property(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,17}$/), (code) => {
    const ok = basketSchema.safeParse({ currency: code, total: 100, items }).success;
    return ok === (/^[A-Z]{3}$/.test(code) && !isPointsUnit(code));
  }), RUNS);
});

t.test('whatever a POS sends, a basket that passes keeps every invariant', async (t) => {
  const wild = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(SAFE, SAFE + 1, 2 ** 53, -1, 0, 1e300, 0.1, 5e-324, Infinity), fc.string({ maxLength: 3 }), fc.constant(null));
  const hostileItem = fc.record({ sku: fc.oneof(fc.string({ maxLength: 70 }), fc.constant('4111111111111111')), qty: wild, unit_price: wild, amount: wild }, { requiredKeys: [] });
  fc.assert(fc.property(fc.array(hostileItem, { maxLength: 8 }), fc.array(fc.record({ code: fc.string({ maxLength: 5 }), amount: wild }), { maxLength: 3 }), wild, (items, discounts, total) => {
    const result = basketSchema.safeParse({ currency: 'EUR', total, items, discounts });
    if (!result.success) return true;
    const b = result.data;
    const amounts = [b.total, ...b.items.flatMap((i) => [i.amount, i.unit_price]), ...(b.discounts ?? []).map((d) => d.amount)];
    const inRange = amounts.every((a) => Number.isSafeInteger(a) && a >= 0 && a <= MAX_AMOUNT);
    const qtyOk = b.items.every((i) => i.qty > 0 && i.qty <= MAX_QTY && Number.isInteger(Math.round(i.qty * 1000)) && /^\d+(\.\d{1,3})?$/.test(String(i.qty)));
    const sums = b.items.reduce((s, i) => s + BigInt(i.amount), 0n) - (b.discounts ?? []).reduce((s, d) => s + BigInt(d.amount), 0n) === BigInt(b.total);
    const noCard = b.items.every((i) => findPanInText(i.sku) === null);
    return inRange && qtyOk && sums && noCard;
  }), { numRuns: 2000 });
});

// Protocol 2 (SessionM Send Transaction): tax amounts, payments, channel, and no unknown key anywhere.
const KNOWN = {
  basket: ['currency', 'total', 'tax_total', 'store', 'channel', 'items', 'discounts', 'payments'],
  item: ['sku', 'name', 'qty', 'unit_price', 'amount', 'category', 'tax_included'],
  discount: ['code', 'amount'],
  payment: ['method', 'amount'],
};

t.test('protocol 2: a basket with taxes within amounts and positive payments is accepted exactly when its total adds up', async (t) => {
  const taxedItem = itemArb.chain((i) => fc.integer({ min: 0, max: i.amount }).map((tax) => ({ ...i, tax_included: tax })));
  const payment = fc.record({ method: fc.constantFrom('card', 'cash', 'voucher'), amount: fc.integer({ min: 1, max: MAX_AMOUNT }) });
  fc.assert(fc.property(fc.array(taxedItem, { minLength: 1, maxLength: 20 }), fc.array(discountArb, { maxLength: 3 }), fc.array(payment, { maxLength: 5 }), fc.integer({ min: -2, max: 2 }), (items, discounts, payments, skew) => {
    const exact = items.reduce((s, i) => s + BigInt(i.amount), 0n) - discounts.reduce((s, d) => s + BigInt(d.amount), 0n);
    const total = Number(exact) + skew;
    const ok = basketSchemaV2.safeParse({ currency: 'EUR', total, channel: 'bar', items, discounts, payments }).success;
    return ok === (skew === 0 && total >= 0 && total <= MAX_AMOUNT);
  }), RUNS);
});

t.test('protocol 2: one unknown key anywhere refuses the basket; protocol 1 drops it', async (t) => {
  const where = fc.constantFrom('basket', 'item', 'discount', 'payment');
  const key = fc.stringMatching(/^[a-z_]{1,12}$/).filter((k) => !Object.values(KNOWN).flat().includes(k) && k !== '__proto__');
  fc.assert(fc.property(where, key, fc.jsonValue(), (at, k, value) => {
    const b: Record<string, unknown> = { currency: 'EUR', total: 400, items: [{ sku: 'A', qty: 1, unit_price: 500, amount: 500 }], discounts: [{ code: 'D', amount: 100 }] };
    const v2: Record<string, unknown> = { ...b, payments: [{ method: 'card', amount: 400 }] };
    const put = (target: Record<string, unknown>) => {
      const copy = structuredClone(target);
      const first = (list: string) => (copy[list] as Array<Record<string, unknown>> | undefined)?.[0];
      const into = at === 'basket' ? copy : first(at === 'item' ? 'items' : at === 'discount' ? 'discounts' : 'payments');
      if (into) into[k] = value;
      return copy;
    };
    const v1Result = basketSchema.safeParse(put(b));
    const v1Ok = at === 'payment' || (v1Result.success && !JSON.stringify(Object.keys(v1Result.data)).includes(`"${k}"`));
    return !basketSchemaV2.safeParse(put(v2)).success && v1Ok;
  }), RUNS);
});

t.test('protocol 2: whatever a POS sends, an accepted basket keeps the Send Transaction invariants', async (t) => {
  const wild = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, 1, -1, MAX_AMOUNT, MAX_AMOUNT + 1, 2 ** 53, true, false), fc.string({ maxLength: 3 }), fc.constant(null));
  const anItem = fc.record({ sku: fc.constantFrom('A', 'B'), qty: fc.constantFrom(1, 0.5, 0), unit_price: wild, amount: wild, tax_included: wild, extra: wild }, { requiredKeys: ['sku', 'qty'] });
  const aPayment = fc.record({ method: fc.constantFrom('card', '', 'cash'), amount: wild, extra: wild }, { requiredKeys: [] });
  fc.assert(fc.property(fc.array(anItem, { maxLength: 4 }), fc.array(aPayment, { maxLength: 3 }), wild, wild, (items, payments, total, taxTotal) => {
    const r = basketSchemaV2.safeParse({ currency: 'EUR', total, tax_total: taxTotal, items, payments });
    if (!r.success) return true;
    const b = r.data;
    const int = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= MAX_AMOUNT;
    return b.items.every((i) => (i.tax_included === undefined || (int(i.tax_included) && i.tax_included <= i.amount)) && Object.keys(i).every((k) => KNOWN.item.includes(k)))
      && (b.payments ?? []).every((p) => int(p.amount) && p.amount > 0 && p.method.length > 0 && Object.keys(p).every((k) => KNOWN.payment.includes(k)))
      && (b.tax_total === undefined || int(b.tax_total));
  }), { numRuns: 2000 });
});

/** A card number of the given length with a valid Luhn digit, from a card network prefix. */
const cardArb = fc.tuple(fc.constantFrom('4', '51', '55', '34', '37', '6011', '65', '2221', '2720', '35'), fc.integer({ min: 13, max: 19 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 19, maxLength: 19 }))
  .map(([prefix, length, digits]) => {
    const body = (prefix + digits.join('')).slice(0, length - 1);
    const check = [...'0123456789'].find((d) => luhnValid(body + d))!;
    return body + check;
  })
  .filter((pan) => !((pan.length === 13 || pan.length === 14) && gtinValid(pan)));

t.test('a card number is found however it is written into text, and masking hides it', async (t) => {
  const around = fc.string({ maxLength: 10 }).map((s) => s.replace(/[\d\uff10-\uff19]/g, 'x'));
  fc.assert(fc.property(cardArb, fc.constantFrom('', ' ', '-'), fc.integer({ min: 2, max: 6 }), around, around, (pan, sep, group, before, after) => {
    const written = pan.match(new RegExp(`.{1,${group}}`, 'g'))!.join(sep);
    const text = `${before} ${written} ${after}`;
    return findPanInText(text) === pan && !maskPansIn(text).replace(/[ -]/g, '').includes(pan);
  }), RUNS);
  fc.assert(fc.property(fc.string({ maxLength: 60 }).map((s) => s.replace(/[\d\uff10-\uff19\u0660-\u0669]/g, '')), (text) => findPanInText(text) === null), RUNS);
});
