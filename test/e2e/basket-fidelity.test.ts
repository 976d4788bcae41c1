// Basket fidelity (issue 8 item 10; SessionM "Send Transaction", seed 003), through a real agent,
// mosquitto and the reference host. Seed 003: "The tax_included field, which is in the payload's
// items section, specifies how much tax is associated with the item. In the transaction header,
// there is a tax_total field. Note that this is not a summary." and "Items and payment do have
// positive values." Protocol 2 carries all of it to the host; a protocol 1 POS keeps working as before.
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import t from 'tap';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const SEED = fileURLToPath(new URL('../fixtures/seed-points.yaml', import.meta.url));
type Ok = { ok: true; result: Record<string, unknown> };

const v2Basket = {
  currency: 'EUR', total: 1250, tax_total: 114, channel: 'patio',
  items: [
    { sku: 'BURRITO-L', qty: 1, unit_price: 950, amount: 950, tax_included: 86 },
    { sku: 'COLA', qty: 1, unit_price: 300, amount: 300, tax_included: 28 },
  ],
  payments: [{ method: 'card', amount: 1000 }, { method: 'cash', amount: 250 }],
};

t.test('protocol 2: tax amounts, tax_total, payments and channel reach the host; unknown SKUs come back', async (t) => {
  const sys = await startSystem(t, { hostConfig: { seed: SEED } });
  await sys.waitOnline();
  const wire = await mqtt.connectAsync(sys.broker.url, { protocolVersion: 5, clean: true });
  t.teardown(() => wire.endAsync(true));
  const sent: Array<{ messages: Array<{ op: string; txn_id: string; payload: { basket?: unknown } }> }> = [];
  wire.on('message', (_topic, payload) => sent.push(JSON.parse(payload.toString())));
  await wire.subscribeAsync('till/v1/M1/S1/T1/req', { qos: 1 });

  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  const award = await pos.request('award', { txn_id: 'f-1', customer_id: 'sam', basket: v2Basket }) as Ok;
  // The patio offer applies: the host read the channel. 5% = 62 + 100.
  t.match(award, { ok: true, result: { status: 'awarded', award_amount: 162 } });
  t.ok((award.result.offers as Array<{ id: string }>).some((o) => o.id === 'patio'), 'channel-conditioned offer applied by the host');
  t.notOk('unknown_skus' in award.result, 'every SKU known');
  await waitFor(() => sent.some((r) => r.messages.some((m) => m.txn_id === 'f-1')), { what: 'the award on the wire' });
  const onWire = sent.flatMap((r) => r.messages).find((m) => m.txn_id === 'f-1')!;
  t.same(onWire.payload.basket, v2Basket, 'the basket went upstream exactly as the POS sent it, nothing dropped');

  // Unknown SKUs are awarded under the default product and reported to the POS (preview and award).
  const withNew = { currency: 'EUR', total: 500, items: [{ sku: 'NEW-1', qty: 1, unit_price: 300, amount: 300 }, { sku: 'NEW-2', qty: 1, unit_price: 200, amount: 200 }, { sku: 'NEW-1', qty: 1, unit_price: 0, amount: 0 }] };
  t.match(await pos.request('preview', { customer_id: 'sam', basket: withNew }), { ok: true, result: { unknown_skus: ['NEW-1', 'NEW-2'] } });
  t.match(await pos.request('award', { txn_id: 'f-2', customer_id: 'sam', basket: withNew }), { ok: true, result: { status: 'awarded', award_amount: 25, unknown_skus: ['NEW-1', 'NEW-2'] } });

  // Unknown fields are an error naming the field, never silently stripped; nothing is committed.
  const refused: Array<[unknown, RegExp]> = [
    [{ ...v2Basket, loyalty_id: 'x' }, /params\.basket: unknown key\(s\): loyalty_id/],
    [{ ...v2Basket, items: [{ ...v2Basket.items[0], colour: 'red' }, v2Basket.items[1]] }, /params\.basket\.items\[0\]: unknown key\(s\): colour/],
    [{ ...v2Basket, payments: [{ method: 'card', amount: 1250, tip: 0 }] }, /params\.basket\.payments\[0\]: unknown key\(s\): tip/],
    [{ ...v2Basket, payments: [{ method: 'card', amount: -1250 }] }, /params\.basket\.payments\[0\]\.amount: must not be negative/],
    [{ ...v2Basket, payments: [{ method: 'voucher', amount: 0 }] }, /params\.basket\.payments\[0\]\.amount: must be greater than 0/],
    [{ ...v2Basket, items: [{ ...v2Basket.items[0], tax_included: true }, v2Basket.items[1]] }, /params\.basket\.items\[0\]\.tax_included: must be an integer amount/],
    [{ ...v2Basket, items: [{ ...v2Basket.items[0], tax_included: 951 }, v2Basket.items[1]] }, /params\.basket\.items\[0\]\.tax_included: is more than the item's amount/],
  ];
  for (const [i, [basket, message]] of refused.entries()) {
    t.match(await pos.request('award', { txn_id: `bad-${i}`, customer_id: 'sam', basket }), { ok: false, error: { code: 'BAD_REQUEST', message } }, String(message));
  }
  t.match(await pos.request('award', { txn_id: 'bad-x', customer_id: 'sam', basket: v2Basket, cashier: 7 }), { ok: false, error: { code: 'BAD_REQUEST', message: /params: unknown key\(s\): cashier/ } });
  t.match(await pos.request('outbox.list', { state: 'done' }), { ok: true, result: { messages: [{ txn_id: 'f-1' }, { txn_id: 'f-2' }] } }, 'no refused basket was committed');
});

t.test('protocol 1 keeps its meaning: tax_included a flag, unknown keys dropped', async (t) => {
  const sys = await startSystem(t, { hostConfig: { seed: SEED } });
  await sys.waitOnline();
  const pos = await sys.pos();
  const v1Basket = { currency: 'EUR', total: 950, tax_total: 86, items: [{ sku: 'BURRITO-L', qty: 1, unit_price: 950, amount: 950, tax_included: true, colour: 'red' }], payments: [{ method: 'card', amount: 950 }] };
  t.match(await pos.request('award', { txn_id: 'o-1', customer_id: 'sam', basket: v1Basket }), { ok: true, result: { status: 'awarded', award_amount: 47 } });
  const done = await pos.request('outbox.list', { state: 'done' }) as Ok;
  const payload = (done.result.messages as Array<{ payload: { basket: Record<string, unknown> } }>)[0]!.payload;
  t.same(payload.basket, { currency: 'EUR', total: 950, tax_total: 86, items: [{ sku: 'BURRITO-L', qty: 1, unit_price: 950, amount: 950, tax_included: true }] }, 'v1: as before');
  t.match(await pos.request('award', { txn_id: 'o-2', customer_id: 'sam', basket: { ...v1Basket, items: [{ ...v1Basket.items[0], tax_included: 86 }] } }),
    { ok: false, error: { code: 'BAD_REQUEST', message: /params\.basket\.items\[0\]\.tax_included/ } }, 'v1: a tax amount needs hello {protocol: 2}');
});

t.test('protocol 2: offers, lock and redeem take the same strict basket as award; protocol 1 as before', async (t) => {
  const sys = await startSystem(t); // test/fixtures/seed.yaml: alice holds UO-COFFEE2 (2.00 off coffee) and UO-TEN (10%)
  await sys.waitOnline();
  const coffee = {
    currency: 'EUR', total: 2000, tax_total: 182, channel: 'bar',
    items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000, tax_included: 182 }],
    payments: [{ method: 'card', amount: 2000 }],
  };
  const v2 = await sys.pos();
  t.match(await v2.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  const ops: Array<[string, Record<string, unknown>]> = [
    ['offers', { customer_id: 'alice' }],
    ['lock', { txn_id: 'l-1', customer_id: 'alice', offer_ids: ['UO-TEN'] }],
    ['redeem', { redemption_id: 'r-1', txn_id: 'l-1', customer_id: 'alice', offer_id: 'UO-COFFEE2' }],
  ];
  const refused: Array<[unknown, RegExp]> = [
    [{ ...coffee, loyalty_id: 'x' }, /^params\.basket: unknown key\(s\): loyalty_id$/],
    [{ ...coffee, items: [{ ...coffee.items[0], colour: 'red' }] }, /^params\.basket\.items\[0\]: unknown key\(s\): colour$/],
    [{ ...coffee, payments: [{ method: 'card', amount: 2000, tip: 0 }] }, /^params\.basket\.payments\[0\]: unknown key\(s\): tip$/],
    [{ ...coffee, discounts: [{ code: 'STAFF', amount: 0, reason: 'x' }] }, /^params\.basket\.discounts\[0\]: unknown key\(s\): reason$/],
  ];
  for (const [op, params] of ops) {
    for (const [basket, message] of refused) {
      t.match(await v2.request(op, { ...params, basket }), { ok: false, error: { code: 'BAD_REQUEST', message } }, `${op}: ${String(message)}`);
    }
  }
  t.match(await v2.request('outbox.list', { state: 'done' }), { ok: true, result: { messages: [] } }, 'no refused redeem was committed');
  t.match(await v2.request('unlock', { txn_id: 'l-1' }), { ok: true, result: { released_offers: [] } }, 'no refused lock was taken');

  // The v2 basket itself (a tax amount, payments, channel) is what these ops take, and it reaches the host whole.
  t.match(await v2.request('offers', { customer_id: 'alice', basket: coffee }), { ok: true, result: { offers: [{ id: 'UO-COFFEE2', discount_amount: 200 }, { id: 'UO-TEN', discount_amount: 200 }] } });
  t.match(await v2.request('lock', { txn_id: 'l-1', customer_id: 'alice', offer_ids: ['UO-TEN'], basket: coffee }), { ok: true, result: { offers: [{ id: 'UO-TEN', discount_amount: 200 }] } });
  t.match(await v2.request('redeem', { redemption_id: 'r-1', txn_id: 'l-1', customer_id: 'alice', offer_id: 'UO-COFFEE2', basket: coffee }),
    { ok: true, result: { status: 'redeemed', discount_amount: 200 } });
  const done = await v2.request('outbox.list', { state: 'done' }) as Ok;
  t.same((done.result.messages as Array<{ payload: { basket: unknown } }>)[0]!.payload.basket, coffee, 'the redeem carried the basket unchanged');

  // Protocol 1: a flag, unknown basket keys dropped, as ever.
  const v1 = await sys.pos();
  const v1Basket = { currency: 'EUR', total: 2000, colour: 'red', items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000, tax_included: true, colour: 'red' }] };
  t.match(await v1.request('offers', { customer_id: 'alice', basket: v1Basket, txn_id: 'l-1' }), { ok: true, result: { offers: [{ id: 'UO-TEN', locked: 'this_sale', discount_amount: 200 }] } });
  t.match(await v1.request('lock', { txn_id: 'l-2', customer_id: 'alice', offer_ids: ['UO-TEN'], basket: v1Basket }), { ok: false, error: { code: 'OFFER_LOCKED' } }, 'accepted, then refused by the host for l-1\'s lock');
  t.match(await v1.request('redeem', { redemption_id: 'r-2', txn_id: 'l-2', customer_id: 'bob', offer_id: 'UO-TEN', basket: v1Basket }), { ok: false, error: { code: 'NOT_FOUND' } }, 'accepted, then refused by the host: not bob\'s offer');
});
