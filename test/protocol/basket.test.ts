import t from 'tap';
import { MAX_BASKET_ITEMS } from '../../protocol/basket.ts';
import { parseParams } from '../../protocol/local.ts';

const item = (over: Record<string, unknown> = {}) => ({ sku: 'A', qty: 1, unit_price: 500, amount: 500, ...over });
const basket = (over: Record<string, unknown> = {}) => ({ currency: 'EUR', total: 500, items: [item()], ...over });
const award = (b: unknown) => parseParams('award', { txn_id: 't1', customer_id: 'c1', basket: b });

t.test('a valid basket passes', async (t) => {
  t.ok(award(basket()).ok);
  t.ok(award(basket({ total: 400, discounts: [{ code: 'X', amount: 100 }] })).ok, 'discounts are subtracted');
  t.ok(award(basket({ items: [item({ qty: 1.25, amount: 500 })] })).ok, 'weighted quantities');
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
  ['zero qty', basket({ items: [item({ qty: 0 })] }), /params\.basket\.items\[0\]\.qty/],
  ['string amount', basket({ items: [item({ amount: '500' })] }), /params\.basket\.items\[0\]\.amount/],
  ['missing basket', undefined, /params\.basket/],
];

for (const [name, b, message] of cases) {
  t.test(`rejected: ${name}`, async (t) => {
    const r = award(b);
    t.notOk(r.ok);
    if (!r.ok) t.match(r.errors.join('; '), message);
  });
}

t.test('op params name their fields', async (t) => {
  const r = parseParams('spend', { txn_id: 't', customer_id: 'c', amount: -5, currency: 'EUR' });
  t.notOk(r.ok);
  if (!r.ok) t.match(r.errors[0], /^params\.amount: must not be negative/);
  const i = parseParams('identify', { by: 'iris', value: 'x' });
  t.notOk(i.ok);
  if (!i.ok) t.match(i.errors[0], /^params\.by: must be one of card, phone, email, token/);
  const v = parseParams('void', { txn_id: 'has space' });
  t.notOk(v.ok);
  const s = parseParams('spend', { txn_id: 't', customer_id: 'c', amount: 5 });
  t.notOk(s.ok);
  if (!s.ok) t.match(s.errors[0], /^params\.currency:/);
});
