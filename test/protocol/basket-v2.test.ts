// Protocol 2 basket (SessionM "Send Transaction", seed 003): tax_included is the item's tax
// amount, payments and channel are carried, unknown keys are errors. Protocol 1 is unchanged.
import t from 'tap';
import { z } from 'zod';
import { MAX_BASKET_PAYMENTS, basketSchema } from '../../protocol/basket.ts';
import { OPS, paramSchemas, paramSchemasV2, parseParams } from '../../protocol/local.ts';
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

t.test('protocol 2: every op that takes a basket takes the strict v2 basket', async (t) => {
  // An op added later with a v1 basket and no v2 schema would silently drop unknown keys in v2.
  const withBasket = OPS.filter((op) => {
    const shape = (paramSchemas[op] as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
    const b = shape.basket;
    return b !== undefined && (b === basketSchema || (b instanceof z.ZodOptional && b.unwrap() === basketSchema));
  });
  t.same([...withBasket].sort(), ['award', 'lock', 'offers', 'preview', 'redeem']);
  for (const op of withBasket) t.ok(op in paramSchemasV2, `${op} has a v2 schema`);
  const params: Record<string, Record<string, unknown>> = {
    offers: { customer_id: 'c1' },
    lock: { txn_id: 't1', customer_id: 'c1', offer_ids: ['UO-1'] },
    redeem: { redemption_id: 'r1', txn_id: 't1', customer_id: 'c1', offer_id: 'UO-1' },
  };
  for (const [op, base] of Object.entries(params) as Array<['offers' | 'lock' | 'redeem', Record<string, unknown>]>) {
    const v2 = basket({ channel: 'patio', items: [item({ tax_included: 80 })], payments: [{ method: 'card', amount: 500 }] });
    const ok = parseParams(op, { ...base, basket: v2 }, 2);
    t.ok(ok.ok, `${op}: a v2 basket`);
    if (ok.ok) t.same((ok.value as { basket?: unknown }).basket, v2, `${op}: nothing dropped`);
    t.match(parseParams(op, { ...base, basket: basket({ items: [item({ colour: 'red' })] }) }, 2),
      { ok: false, errors: [/^params\.basket\.items\[0\]: unknown key\(s\): colour$/] }, `${op}: unknown item key`);
    t.match(parseParams(op, { ...base, basket: basket({ loyalty: 1 }) }, 2), { ok: false, errors: [/^params\.basket: unknown key\(s\): loyalty$/] }, `${op}: unknown basket key`);
    t.match(parseParams(op, { ...base, basket: basket({ payments: [{ method: 'card', amount: 500, tip: 0 }] }) }, 2),
      { ok: false, errors: [/^params\.basket\.payments\[0\]: unknown key\(s\): tip$/] }, `${op}: unknown payment key`);
    // Protocol 1 as before: unknown basket keys dropped, tax_included a flag.
    const v1 = parseParams(op, { ...base, basket: basket({ loyalty: 1, items: [item({ tax_included: true, colour: 'red' })] }) }, 1);
    t.ok(v1.ok, `${op}: v1 drops unknown basket keys`);
    if (v1.ok) t.same((v1.value as { basket?: unknown }).basket, basket({ items: [item({ tax_included: true })] }));
  }
});
