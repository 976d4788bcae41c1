// The whole chain against the SessionM simulator: POS socket → real agent process → real
// mosquitto → host process (backend: sessionm) → simulator in this test process.
import t from 'tap';
import { outboxDrained } from '../helpers/pos-queries.ts';
import { tillWithPrinter } from '../helpers/till-with-printer.ts';
import { SM_KEY, SM_SECRET, startSessionmSim } from '../helpers/sessionm-sim.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000 }] };
/** The host's config for the SessionM simulator at `url` (short timeouts, one retry). */
const sessionmHost = (url: string) => ({
  seed: undefined, backend: 'sessionm',
  sessionm: { url, key: SM_KEY, secret: SM_SECRET, client_id: 'C1', currency: 'EUR', timeout_ms: 1000, retries: 1, max_delay_ms: 50 },
});

t.test('identify → preview → award through SessionM; a spend, a void, a return, a catalogue upload and a voucher are refused UNSUPPORTED before they are committed', async (t) => {
  const sim = await startSessionmSim(t);
  const sys = await startSystem(t, {
    hostConfig: sessionmHost(sim.server.url),
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  // The POS is told what the host cannot do, so it hides those buttons (LOCAL.md, "Identifying a customer").
  const cannot = ['products.sync', 'refund', 'spend', 'void', 'voucher.redeem'];
  t.match(await pos.request('identify', { by: 'card', value: '6006 4912 3456 7890' }), { ok: true, result: { customer: { id: 'U1', name: 'Alice Martin', balance: { amount: 120 } }, unsupported_ops: cannot, offers: [{ id: 'O1', reward: { kind: 'amount', amount: 0, amount_unknown: true } }, { id: 'O2', reward: { amount_unknown: true } }] } });
  t.match(await pos.request('offers', { customer_id: 'U1' }), { ok: true, result: { offers: [{ id: 'O1', reward: { amount_unknown: true } }, { id: 'O2' }] } }, 'offers without a basket: the discount is not known either');
  t.match(await pos.request('preview', { customer_id: 'U1', basket }), { ok: true, result: { offers: [{ id: 'O2', award_amount: 100 }] } });
  sim.server.inject({ kind: 'status', status: 503, endpoint: 'api/2.0/send_transaction', count: 3 });
  t.match(await pos.request('award', { txn_id: 'sale-1', customer_id: 'U1', basket }), { ok: true });
  await waitFor(() => sim.points('U1') === 140, { what: 'transaction at SessionM', timeout: 30_000 });
  t.equal(sim.transactions.size, 1);
  // SessionM has no void: a reinstate after the sale's award is not refused by the till (the host's
  // backend decides: it is the only way to give a cancelled sale's offer back there).
  t.match(await pos.request('redeem', { redemption_id: 'red-1', txn_id: 'sale-r', customer_id: 'U1', offer_id: 'O1', basket }), { ok: true, result: { status: 'redeemed' } });
  t.match(await pos.request('award', { txn_id: 'sale-r', customer_id: 'U1', basket }), { ok: true, result: { status: 'awarded' } });
  t.match(await pos.request('reinstate', { redemption_id: 'red-1' }), { ok: true, result: { status: 'reinstated', offer_id: 'O1' } });

  // SessionM has no wallet spend: the host said so in its identify answer (unsupported_ops), so the till
  // refuses the spend before committing it. It was committed, sent and dead-lettered; offline the till
  // approved it from the customer's points shown as EUR, the POS deducted it, and it could never be applied.
  const spend = { txn_id: 'sale-1', customer_id: 'U1', amount: 100, currency: 'EUR' };
  t.match(await pos.request('spend', spend), { ok: false, error: { code: 'UNSUPPORTED', retryable: false } });
  await sys.goOffline();
  t.match(await pos.request('spend', spend), { ok: false, error: { code: 'UNSUPPORTED' } }, 'offline: not approved');
  t.match(await pos.request('identify', { by: 'card', value: '6006 4912 3456 7890' }), { ok: true, result: { stale: true, unsupported_ops: cannot } }, 'offline: the kept list, with the cached customer');
  // Nor a void or a return, which SessionM's POS API does not take either: they were answered "queued", then dead-lettered.
  t.match(await pos.request('void', { txn_id: 'sale-1' }), { ok: false, error: { code: 'UNSUPPORTED', message: /void/ } });
  t.match(await pos.request('refund', { refund_id: 'r-1', txn_id: 'sale-1', currency: 'EUR', items: [{ sku: 'COFFEE', qty: 1, amount: 1000 }] }), { ok: false, error: { code: 'UNSUPPORTED', message: /refund/ } });
  // Nor a catalogue upload or a refund voucher, which this host lists too: answered "accepted" and
  // dead-lettered batch by batch (status's dead count grew), refused now before anything is written.
  t.match(await pos.request('products.sync', { products: [{ sku: 'COFFEE', name: 'Coffee' }] }), { ok: false, error: { code: 'UNSUPPORTED', message: /products\.sync/ } });
  t.match(await pos.request('voucher.redeem', { txn_id: 'sale-2', code: 'RV-7K2M9Q4T8B3D', currency: 'EUR' }), { ok: false, error: { code: 'UNSUPPORTED', message: /voucher\.redeem/ } });
  t.match(await pos.request('outbox.list', { state: 'pending' }), { ok: true, result: { pending: 0, dead: 0, messages: [] } }, 'nothing committed');
  const logs = sys.host?.output() ?? '';
  for (const secret of [SM_SECRET, '6006491234567890']) t.notOk(logs.includes(secret), 'host logs carry no secret or card');
});

// SessionM earns a sale's points after send_transaction answers ("an asynchronous flow"): the host
// answered award_amount 0 and every receipt printed "Awarded 0.00". Now the award says award_pending,
// online and when a queued award is delivered later, and the receipt says the points come later.
t.test('a SessionM preview and award: award_pending to the POS, online and once a queued award is delivered; the receipt says "Points added later"', async (t) => {
  const sim = await startSessionmSim(t);
  const till = await tillWithPrinter(t, {
    hostConfig: sessionmHost(sim.server.url),
  });
  const { sys, pos } = till;
  const receipt = (txn: string) => till.receipt(txn, 2000);
  const sale = (txn: string) => pos.request('award', { txn_id: txn, customer_id: 'U1', basket });

  // What the basket will earn is not known before the sale either: preview says so, not "earns 0".
  t.match(await pos.request('preview', { customer_id: 'U1', basket }), { ok: true, result: { award_amount: 0, award_pending: true, offers: [{ id: 'O2' }] } });

  t.match(await sale('sale-1'), { ok: true, result: { status: 'awarded', award_amount: 0, award_pending: true, balance: { amount: 140 } } });
  const online = await receipt('sale-1');
  t.ok(online.some((l) => /^Points +added later$/.test(l)), `the points come later: ${online.join(' | ')}`);
  t.notOk(online.some((l) => /^Awarded/.test(l)), 'not "Awarded 0.00"');
  t.ok(online.some((l) => /^Balance +1\.40 EUR$/.test(l)), 'the balance SessionM reported');

  await sys.goOffline();
  t.match(await sale('sale-2'), { ok: true, result: { status: 'queued', txn_id: 'sale-2' } });
  const queued = await receipt('sale-2');
  t.ok(queued.some((l) => /queued offline/.test(l)), `queued: ${queued.join(' | ')}`);
  await sys.broker.restart();
  await sys.waitOnline();
  await outboxDrained(pos);
  t.equal(sim.points('U1'), 160, 'delivered once');
  t.match(await sale('sale-2'), { ok: true, result: { status: 'awarded', award_amount: 0, award_pending: true } }, 'the repeat of the delivered award says so too');
  const delivered = await receipt('sale-2');
  t.ok(delivered.some((l) => /^Points +added later$/.test(l)), `delivered: ${delivered.join(' | ')}`);
  t.notOk(delivered.some((l) => /^Awarded/.test(l)));
});
