import t from 'tap';
import { MAX_BASKET_ITEMS } from '../../protocol/basket.ts';
import { parseParams } from '../../protocol/local.ts';
import { MAX_AMOUNT } from '../../protocol/money.ts';
import { MAX_QTY } from '../../protocol/schema.ts';

const item = (over: Record<string, unknown> = {}) => ({ sku: 'A', qty: 1, unit_price: 500, amount: 500, ...over });
const basket = (over: Record<string, unknown> = {}) => ({ currency: 'EUR', total: 500, items: [item()], ...over });
const award = (b: unknown) => parseParams('award', { txn_id: 't1', customer_id: 'c1', basket: b });

t.test('a valid basket passes', async (t) => {
  t.ok(award(basket()).ok);
  t.ok(award(basket({ total: 400, discounts: [{ code: 'X', amount: 100 }] })).ok, 'discounts are subtracted');
  t.ok(award(basket({ items: [item({ qty: 1.25, amount: 500 })] })).ok, 'weighted quantities');
  t.ok(award(basket({ items: [item({ qty: 0.001, amount: 500 })] })).ok, 'one gram');
  t.ok(award(basket({ items: [item({ qty: MAX_QTY, unit_price: MAX_AMOUNT, amount: MAX_AMOUNT })], total: MAX_AMOUNT })).ok, 'the largest amounts');
  const max = Array.from({ length: MAX_BASKET_ITEMS }, () => item({ unit_price: MAX_AMOUNT, amount: MAX_AMOUNT }));
  const discounts = Array.from({ length: 100 }, () => ({ code: 'D', amount: MAX_AMOUNT }));
  const huge = award(basket({ items: max, discounts, total: MAX_AMOUNT }));
  t.notOk(huge.ok, 'items beyond the total limit');
  if (!huge.ok) t.match(huge.errors.join(), /items add up to 500000000000000 minus discounts 100000000000000 = 400000000000000, not 1000000000000/, 'exact sums in the message');
});

const cases: Array<[string, unknown, RegExp]> = [
  ['negative amount', basket({ items: [item({ amount: -1 })], total: -1 }), /params\.basket\.items\[0\]\.amount: must not be negative/],
  ['float amount', basket({ items: [item({ amount: 4.99 })], total: 4.99 }), /params\.basket\.items\[0\]\.amount: .*integer/],
  ['float total', basket({ total: 5.0001 }), /params\.basket\.total/],
  ['sum mismatch', basket({ total: 600 }), /params\.basket\.total: items add up to 500/],
  ['discount mismatch', basket({ discounts: [{ code: 'X', amount: 100 }] }), /params\.basket\.total: items add up to 500 minus discounts 100 = 400, not 500/],
  ['too many items', basket({ items: Array.from({ length: MAX_BASKET_ITEMS + 1 }, () => item({ amount: 1 })), total: MAX_BASKET_ITEMS + 1 }), /at most 500 items/],
  ['missing sku', basket({ items: [{ qty: 1, unit_price: 500, amount: 500 }] }), /params\.basket\.items\[0\]\.sku: is required/],
  ['missing currency', { total: 500, items: [item()] }, /params\.basket\.currency: is required/],
  ['bad currency', basket({ currency: 'euro' }), /params\.basket\.currency: must be an ISO 4217/],
  ['no items', basket({ items: [], total: 0 }), /at least one item/],
  // Issue 8 item 11: points are a wallet unit, never the unit a basket is priced in.
  ['basket in points', basket({ currency: 'PTS' }), /params\.basket\.currency: is a points unit/],
  ['zero qty', basket({ items: [item({ qty: 0 })] }), /params\.basket\.items\[0\]\.qty/],
  ['string amount', basket({ items: [item({ amount: '500' })] }), /params\.basket\.items\[0\]\.amount/],
  ['missing basket', undefined, /params\.basket/],
  // Item 8 of issue 7: float sums made [MAX_SAFE_INTEGER, 1, 1] - 1 equal MAX_SAFE_INTEGER.
  ['float-rounded sum', basket({ items: [item({ amount: Number.MAX_SAFE_INTEGER }), item({ amount: 1 }), item({ amount: 1 })], discounts: [{ code: 'X', amount: 1 }], total: Number.MAX_SAFE_INTEGER }),
    /params\.basket\.items\[0\]\.amount: must be at most 1000000000000 minor units/],
  ['amount over the limit', basket({ items: [item({ amount: MAX_AMOUNT + 1 })], total: MAX_AMOUNT + 1 }), /params\.basket\.items\[0\]\.amount: must be at most/],
  ['unit price over the limit', basket({ items: [item({ unit_price: MAX_AMOUNT + 1 })] }), /params\.basket\.items\[0\]\.unit_price: must be at most/],
  ['total over the limit', basket({ total: MAX_AMOUNT + 1 }), /params\.basket\.total: must be at most/],
  ['discount over the limit', basket({ discounts: [{ code: 'X', amount: MAX_AMOUNT + 1 }] }), /params\.basket\.discounts\[0\]\.amount: must be at most/],
  ['too many discounts', basket({ discounts: Array.from({ length: 101 }, () => ({ code: 'X', amount: 0 })) }), /params\.basket\.discounts: must contain at most 100 discounts/],
  ['qty over the limit', basket({ items: [item({ qty: MAX_QTY + 1 })] }), /params\.basket\.items\[0\]\.qty: must be at most 1000000/],
  ['qty with 4 decimals', basket({ items: [item({ qty: 1.0001 })] }), /params\.basket\.items\[0\]\.qty: must have at most 3 decimals/],
  ['denormal qty', basket({ items: [item({ qty: 5e-324 })] }), /params\.basket\.items\[0\]\.qty: must have at most 3 decimals/],
  ['infinite qty', basket({ items: [item({ qty: Infinity })] }), /params\.basket\.items\[0\]\.qty/],
];

for (const [name, b, message] of cases) {
  t.test(`rejected: ${name}`, async (t) => {
    const r = award(b);
    t.notOk(r.ok);
    if (!r.ok) t.match(r.errors.join('; '), message);
  });
}

t.test('a negative quantity is refused once, as not greater than 0 (not also "at most 3 decimals")', async (t) => {
  for (const qty of [-1, -2.5, -0.001]) {
    const r = award(basket({ items: [item({ qty })] }));
    t.same(r.ok ? [] : r.errors, ['params.basket.items[0].qty: must be greater than 0'], `basket qty ${qty}`);
  }
  const refund = parseParams('refund', { refund_id: 'r', txn_id: 't', currency: 'EUR', items: [{ sku: 'A', qty: -1, amount: 100 }] }, 2);
  t.same(refund.ok ? [] : refund.errors, ['params.items[0].qty: must be greater than 0'], 'a returned item');
  const r = award(basket({ items: [item({ qty: -1.0001 })] }));
  t.same(r.ok ? [] : r.errors, ['params.basket.items[0].qty: must be greater than 0', 'params.basket.items[0].qty: must have at most 3 decimals'], 'both when both are wrong');
});

t.test('op params name their fields', async (t) => {
  const r = parseParams('spend', { txn_id: 't', customer_id: 'c', amount: -5, currency: 'EUR' });
  t.notOk(r.ok);
  if (!r.ok) t.match(r.errors[0], /^params\.amount: must not be negative/);
  const i = parseParams('identify', { by: 'iris', value: 'x' });
  t.notOk(i.ok);
  if (!i.ok) t.match(i.errors[0], /^params\.by: must be one of card, phone, email, token/);
  const v = parseParams('void', { txn_id: 'has space' });
  t.notOk(v.ok);
  const big = parseParams('spend', { txn_id: 't', customer_id: 'c', amount: Number.MAX_SAFE_INTEGER, currency: 'EUR' });
  t.notOk(big.ok);
  if (!big.ok) t.match(big.errors[0], /^params\.amount: must be at most 1000000000000 minor units/);
  const s = parseParams('spend', { txn_id: 't', customer_id: 'c', amount: 5 });
  t.notOk(s.ok);
  if (!s.ok) t.match(s.errors[0], /^params\.currency:/);
});
