// Protocol 2 basket (SessionM "Send Transaction", seed 003): tax_included is the item's tax
// amount, payments and channel are carried, unknown keys are errors. Protocol 1 is unchanged.
import t from 'tap';
import { MAX_BASKET_PAYMENTS } from '../../protocol/basket.ts';
import { parseParams } from '../../protocol/local.ts';
import { MAX_AMOUNT } from '../../protocol/money.ts';
import { parseUpstreamRequest } from '../../protocol/upstream.ts';

const item = (over: Record<string, unknown> = {}) => ({ sku: 'A', qty: 1, unit_price: 500, amount: 500, ...over });
const basket = (over: Record<string, unknown> = {}) => ({ currency: 'EUR', total: 500, items: [item()], ...over });
const award = (b: unknown, protocol: 1 | 2 = 2, extra: Record<string, unknown> = {}) =>
  parseParams('award', { txn_id: 't1', customer_id: 'c1', basket: b, ...extra }, protocol);

t.test('protocol 2 accepts the whole Send Transaction basket and keeps every field', async (t) => {
  const b = basket({
    tax_total: 95, channel: 'patio', store: 'S1',
    items: [item({ tax_included: 80, name: 'Burrito', category: 'food' })],
    discounts: [{ code: 'STAFF', amount: 0 }],
    payments: [{ method: 'card', amount: 400 }, { method: 'cash', amount: 100 }],
  });
  const r = award(b);
  t.ok(r.ok);
  if (r.ok) t.same(r.value.basket, b, 'nothing dropped');
  t.ok(award(basket({ items: [item({ tax_included: 500 })] })).ok, 'all of the amount may be tax');
  t.ok(award(basket({ items: [item({ tax_included: 0 })] })).ok, 'zero tax');
  t.ok(award(basket({ tax_total: 9999 })).ok, 'tax_total is not a summary of the items (seed 003): not checked against them');
  t.ok(award(basket({ payments: [] })).ok, 'no payments yet');
});

const refusedV2: Array<[string, unknown, RegExp, Record<string, unknown>?]> = [
  ['unknown basket key', basket({ loyalty: 1 }), /^params\.basket: unknown key\(s\): loyalty$/],
  ['unknown item key', basket({ items: [item({ vat_rate: 20 })] }), /^params\.basket\.items\[0\]: unknown key\(s\): vat_rate$/],
  ['unknown discount key', basket({ total: 400, discounts: [{ code: 'X', amount: 100, reason: 'x' }] }), /^params\.basket\.discounts\[0\]: unknown key\(s\): reason$/],
  ['unknown payment key', basket({ payments: [{ method: 'card', amount: 500, last4: '1234' }] }), /^params\.basket\.payments\[0\]: unknown key\(s\): last4$/],
  ['unknown params key', basket(), /^params: unknown key\(s\): cashier$/, { cashier: 'Ann' }],
  ['tax flag', basket({ items: [item({ tax_included: true })] }), /^params\.basket\.items\[0\]\.tax_included: must be an integer amount/],
  ['tax over amount', basket({ items: [item({ tax_included: 501 })] }), /^params\.basket\.items\[0\]\.tax_included: is more than the item's amount/],
  ['negative tax', basket({ items: [item({ tax_included: -1 })] }), /^params\.basket\.items\[0\]\.tax_included: must not be negative/],
  ['float tax', basket({ items: [item({ tax_included: 1.5 })] }), /^params\.basket\.items\[0\]\.tax_included: must be an integer/],
  ['zero payment', basket({ payments: [{ method: 'card', amount: 0 }] }), /^params\.basket\.payments\[0\]\.amount: must be greater than 0/],
  ['negative payment', basket({ payments: [{ method: 'card', amount: -5 }] }), /^params\.basket\.payments\[0\]\.amount: must not be negative/],
  ['payment over the limit', basket({ payments: [{ method: 'card', amount: MAX_AMOUNT + 1 }] }), /^params\.basket\.payments\[0\]\.amount: must be at most/],
  ['payment without method', basket({ payments: [{ amount: 5 }] }), /^params\.basket\.payments\[0\]\.method: is required/],
  ['card number as method', basket({ payments: [{ method: 'card 4111 1111 1111 1111', amount: 5 }] }), /^params\.basket\.payments\[0\]\.method: must not contain a payment card number$/],
  ['too many payments', basket({ payments: Array.from({ length: MAX_BASKET_PAYMENTS + 1 }, () => ({ method: 'cash', amount: 1 })) }), /must contain at most 20 payments/],
  ['empty channel', basket({ channel: '' }), /^params\.basket\.channel: must not be empty/],
];

for (const [name, b, message, extra] of refusedV2) {
  t.test(`protocol 2 refuses: ${name}`, async (t) => {
    const r = award(b, 2, extra);
    t.notOk(r.ok);
    if (!r.ok) t.match(r.errors.join('\n'), message);
    if (!r.ok) t.notMatch(r.errors.join('\n'), /4111/, 'a card number is never echoed');
  });
}

t.test('protocol 1 is unchanged: a flag, unknown keys (payments, channel too) dropped', async (t) => {
  const r = award(basket({ loyalty: 1, channel: 'patio', payments: [{ method: 'card', amount: -1 }], items: [item({ tax_included: true, vat_rate: 20 })] }), 1, { cashier: 'Ann' });
  t.ok(r.ok);
  if (r.ok) t.same(r.value, { txn_id: 't1', customer_id: 'c1', basket: basket({ items: [item({ tax_included: true })] }) });
  t.notOk(award(basket({ items: [item({ tax_included: 80 })] }), 1).ok, 'an amount is a version 2 basket');
  t.notOk(parseParams('preview', { customer_id: 'c1', basket: basket(), extra: 1 }, 2).ok, 'preview is strict in version 2 too');
  t.ok(parseParams('preview', { customer_id: 'c1', basket: basket(), extra: 1 }, 1).ok);
});

t.test('the host takes both shapes: a v1 flag still queued in an outbox, or a v2 amount', async (t) => {
  const request = (b: unknown) => parseUpstreamRequest({
    v: 1, request_id: 'r', reply_to: 'x', source: { merchant: 'M', store: 'S', terminal: 'T' }, sent_at: '2026-03-04T10:00:00Z',
    messages: [{ id: 'm', op: 'award', txn_id: 't', created_at: '2026-03-04T10:00:00Z', payload: { customer_id: 'c', basket: b } }],
  });
  t.ok(request(basket({ items: [item({ tax_included: true })] })).ok);
  const v2 = basket({ channel: 'bar', items: [item({ tax_included: 80 })], payments: [{ method: 'card', amount: 500 }] });
  const r = request(v2);
  t.ok(r.ok);
  if (r.ok) t.same((r.value.messages[0]!.payload as { basket: unknown }).basket, v2);
  t.notOk(request(basket({ payments: [{ method: 'card', amount: -500 }] })).ok, 'the host checks payments too');
  t.notOk(request(basket({ items: [item({ tax_included: 600 })] })).ok, 'and the tax amount');
});
