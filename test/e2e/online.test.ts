// Every op online, through a real agent process, a real mosquitto and the reference host.
import t from 'tap';
import { MAX_LINE_BYTES } from '../../protocol/local.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000 }] };

t.test('identify → preview → award → spend → void, products and status', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();

  const hello = await pos.request('hello');
  t.match(hello, { ok: true, result: { protocol: 1, terminal: 'T1', store: 'S1', merchant: 'M1' } });

  const id = await pos.request('identify', { by: 'card', value: '6006 4900 0000 0001' });
  t.match(id, { ok: true, result: { customer: { id: 'alice', name: 'Alice Martin', tier: 'gold', balance: { amount: 1000, currency: 'EUR' } }, stale: false } });
  t.notOk('unsupported_ops' in ((id as { result?: object }).result ?? {}), 'the ledger offers every op: no unsupported_ops');
  t.match(await pos.request('identify', { by: 'email', value: ' Alice@Example.com ' }), { ok: true, result: { customer: { id: 'alice' } } });
  t.match(await pos.request('identify', { by: 'card', value: '6006490000009999' }), { ok: false, error: { code: 'NOT_FOUND', retryable: false } });

  const preview = await pos.request('preview', { customer_id: 'alice', basket });
  t.match(preview, {
    ok: true,
    result: { award_amount: 200, instant_spend_amount: 0, automatic_spend_amount: 0, spendable_amount: 1000, balance: { amount: 1000 }, reduction: 'front_end' },
  });
  t.match((preview as { result: { offers: unknown[] } }).result.offers, [{ id: 'ten-percent', award_amount: 200 }]);

  const award = await pos.request('award', { txn_id: 'sale-1', customer_id: 'alice', basket });
  t.match(award, { ok: true, result: { status: 'awarded', txn_id: 'sale-1', currency: 'EUR', award_amount: 200, total_spend_amount: 0, balance: { amount: 1200 } } });

  const spend = await pos.request('spend', { txn_id: 'sale-1', customer_id: 'alice', amount: 500, currency: 'EUR' });
  t.match(spend, { ok: true, result: { status: 'spent', spent_amount: 500, balance: { amount: 700 }, offline: false } });

  const greedy = await pos.request('spend', { txn_id: 'sale-2', customer_id: 'alice', amount: 5000, currency: 'EUR' });
  t.match(greedy, { ok: true, result: { status: 'spent', spent_amount: 700, balance: { amount: 0 } } }, 'insufficient balance spends what there is');

  const voided = await pos.request('void', { txn_id: 'sale-1', reason: 'customer changed mind' });
  t.match(voided, { ok: true, result: { status: 'voided', reversed_award_amount: 200, reversed_spend_amount: 500, balance: { amount: 300 } } });
  t.match(await pos.request('void', { txn_id: 'never-happened' }), { ok: false, error: { code: 'NOT_FOUND' } });

  // 2,100 short products fit one 64 KiB line and go upstream as 3 batches of at most 1,000.
  const products = Array.from({ length: 2100 }, (_, i) => ({ sku: `${i}`, name: 'p' }));
  t.match(await pos.request('products.sync', { products }), { ok: true, result: { accepted: 2100, batches: 3 } });
  await waitFor(async () => {
    const s = await pos.request('status');
    return s.ok && (s.result as { outbox: { pending: number } }).outbox.pending === 0;
  }, { what: 'product batches delivered' });

  const status = await pos.request('status');
  t.match(status, { ok: true, result: { uplink: { connected: true }, outbox: { dead: 0 }, devices: [] } });
  t.match(await pos.request('outbox.list'), { ok: true, result: { dead: 0, messages: [] } });
});

t.test('idempotent replay and CONFLICT', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  const first = await pos.request('award', { txn_id: 'sale-9', customer_id: 'alice', basket });
  const again = await pos.request('award', { txn_id: 'sale-9', customer_id: 'alice', basket });
  t.same(again, { ...first, id: again.id }, 'the same request returns the first outcome');
  const other = { ...basket, total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };
  t.match(await pos.request('award', { txn_id: 'sale-9', customer_id: 'alice', basket: other }), { ok: false, error: { code: 'CONFLICT', retryable: false } });

  const s1 = await pos.request('spend', { txn_id: 'sale-9', customer_id: 'alice', amount: 100, currency: 'EUR' });
  const s2 = await pos.request('spend', { txn_id: 'sale-9', customer_id: 'alice', amount: 100, currency: 'EUR' });
  t.same(s2, { ...s1, id: s2.id });
  t.match(await pos.request('spend', { txn_id: 'sale-9', customer_id: 'alice', amount: 101, currency: 'EUR' }), { ok: false, error: { code: 'CONFLICT' } });

  const v1 = await pos.request('void', { txn_id: 'sale-9' });
  const v2 = await pos.request('void', { txn_id: 'sale-9' });
  t.same(v2, { ...v1, id: v2.id });
  t.match(await pos.request('void', { txn_id: 'sale-9', reason: 'other' }), { ok: false, error: { code: 'CONFLICT' } });

  // The host applied everything once: alice is back to her opening balance after the void.
  t.match(await pos.request('identify', { by: 'token', value: 'tok-alice' }), { ok: true, result: { customer: { balance: { amount: 1000 } } } });
});

t.test('validation errors from the real agent', async (t) => {
  const sys = await startSystem(t);
  const pos = await sys.pos();
  t.match(await pos.request('award', { txn_id: 'x', customer_id: 'alice', basket: { ...basket, total: 1999 } }),
    { ok: false, error: { code: 'BAD_REQUEST', message: /params\.basket\.total/ } });
  t.match(await pos.request('teleport'), { ok: false, error: { code: 'UNKNOWN_OP' } });
  pos.send('{not json\n');
  t.match(await pos.nextFrame(), { id: null, ok: false, error: { code: 'BAD_FRAME' } });
  t.match(await pos.request('status'), { ok: true }, 'connection still usable after BAD_FRAME');
  pos.send(Buffer.alloc(MAX_LINE_BYTES + 6 * 1024, 0x61));
  t.match(await pos.nextFrame(), { id: null, ok: false, error: { code: 'FRAME_TOO_LARGE' } });
  await pos.closed;
});

t.test("an award repeated with the till's own store in its basket (or without it) is the same award; another store is CONFLICT", async (t) => {
  // The host reads an absent basket.store as the till's (S1): both ways it applies the same sale.
  const sys = await startSystem(t, { startHost: false });
  let pos = await sys.pos();
  const own = { ...basket, store: 'S1' };
  const a1 = await pos.request('award', { txn_id: 'st-1', customer_id: 'alice', basket }, 'a');
  t.match(a1, { ok: true, result: { status: 'queued' } });
  t.same(await pos.request('award', { txn_id: 'st-1', customer_id: 'alice', basket: own }, 'a'), a1, 'offline: the same outcome, not CONFLICT');
  t.match(await pos.request('award', { txn_id: 'st-1', customer_id: 'alice', basket: { ...basket, store: 'S2' } }),
    { ok: false, error: { code: 'CONFLICT' } }, 'another store is another sale');
  const a2 = await pos.request('award', { txn_id: 'st-2', customer_id: 'alice', basket: own }, 'b');
  t.same(await pos.request('award', { txn_id: 'st-2', customer_id: 'alice', basket }, 'b'), a2, 'and the other way round');

  // The rows as stored (read back after a restart) still match, online too, and each was applied once.
  await sys.agent.kill('SIGKILL');
  await sys.startAgent();
  await sys.startHost();
  await sys.waitOnline();
  pos = await sys.pos();
  await waitFor(async () => {
    const s = await pos.request('status');
    return s.ok && (s.result as { outbox: { pending: number } }).outbox.pending === 0;
  }, { what: 'queued awards delivered' });
  t.match(await pos.request('award', { txn_id: 'st-1', customer_id: 'alice', basket: own }), { ok: true, result: { status: 'awarded', award_amount: 200 } });
  t.match(await pos.request('award', { txn_id: 'st-2', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded', award_amount: 200 } });
  t.match(await pos.request('identify', { by: 'token', value: 'tok-alice' }), { ok: true, result: { customer: { balance: { amount: 1400 } } } }, 'two awards of 200, once each');
});

t.test('an award repeated with `discounts: []` or without the key is the same award (an empty list is none); a discount is other content', async (t) => {
  // Every host reads an absent discounts list as an empty one (engine, CRM.COM, SessionM connectors).
  const sys = await startSystem(t);
  await sys.waitOnline();
  for (const protocol of [1, 2]) {
    const pos = await sys.pos();
    t.match(await pos.request('hello', { protocol }), { ok: true, result: { protocol } });
    const [none, empty] = [`d-${protocol}-1`, `d-${protocol}-2`];
    const a1 = await pos.request('award', { txn_id: none, customer_id: 'alice', basket });
    t.match(a1, { ok: true, result: { status: 'awarded', award_amount: 200 } });
    t.match(await pos.request('award', { txn_id: none, customer_id: 'alice', basket: { ...basket, discounts: [] } }),
      { ok: true, result: { status: 'awarded', award_amount: 200, balance: (a1 as { result: { balance: unknown } }).result.balance } }, `v${protocol}: discounts [] after none`);
    const a2 = await pos.request('award', { txn_id: empty, customer_id: 'alice', basket: { ...basket, discounts: [] } });
    t.match(a2, { ok: true, result: { status: 'awarded' } });
    t.match(await pos.request('award', { txn_id: empty, customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded' } }, `v${protocol}: none after discounts []`);
    const discounted = { ...basket, total: 1900, discounts: [{ code: 'STAFF', amount: 100 }] };
    t.match(await pos.request('award', { txn_id: empty, customer_id: 'alice', basket: discounted }), { ok: false, error: { code: 'CONFLICT' } }, 'a discount is other content');
  }
  const pos = await sys.pos();
  t.match(await pos.request('identify', { by: 'token', value: 'tok-alice' }), { ok: true, result: { customer: { balance: { amount: 1800 } } } }, 'four awards of 200, once each');
});
