// What is left to pay on a sale after a partial return, through a real agent, mosquitto and the
// reference host. Issue 8: a spend takes at most what the customer "should pay for" (the CRM.COM
// guide, ../shared/seeds/000_*.txt: "Spend is the awarded amount that will be deducted from the
// basket's total amount that the customer should pay for"). After a return the customer pays for
// the goods kept only: the returned share of the total is no longer to pay, and a spend the return
// credited back to the wallet no longer pays for anything.
import t from 'tap';
import type { PosClient } from '../helpers/pos-client.ts';
import { aliceBalance, outboxDrained } from '../helpers/pos-queries.ts';
import { startSystem } from '../helpers/system.ts';

// 333 + 667 = 1000: alice's 10% award is 100; returning the 333 item reverses ceil(33.3) = 34.
const sale = {
  currency: 'EUR', total: 1000,
  items: [{ sku: 'MUG', qty: 1, unit_price: 333, amount: 333 }, { sku: 'COFFEE', qty: 2, unit_price: 334, amount: 667 }],
};
const mug = (refundId: string) => ({ refund_id: refundId, txn_id: 's', currency: 'EUR', items: [{ sku: 'MUG', qty: 1, amount: 333 }] });
const spend = (pos: PosClient, spendId: string, amount: number) =>
  pos.request('spend', { txn_id: 's', spend_id: spendId, customer_id: 'alice', amount, currency: 'EUR' });

t.test('online: a spend after a partial return takes at most what the kept goods still cost', async (t) => {
  const sys = await startSystem(t); // refunds.spend_credit: proportional (default)
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  t.match(await pos.request('award', { txn_id: 's', customer_id: 'alice', basket: sale }), { ok: true, result: { award_amount: 100, balance: { amount: 1100 } } });
  t.match(await spend(pos, 'a', 200), { ok: true, result: { spent_amount: 200, balance: { amount: 900 } } });
  // The mug comes back: 34 of the award reversed, floor(200 × 333/1000) = 66 of the spend credited back.
  t.match(await pos.request('refund', mug('r-1')), { ok: true, result: { status: 'refunded', reversed_award_amount: 34, credited_spend_amount: 66, balance: { amount: 932 } } });
  // Left to pay: 1000 − 333 returned − (200 − 66) still spent = 533 (before the fix: 1000 − 200 = 800).
  t.match(await spend(pos, 'b', 5000), { ok: true, result: { spent_amount: 533, balance: { amount: 399 } } });
  t.match(await spend(pos, 'c', 100), { ok: true, result: { spent_amount: 0 } }, 'nothing more to pay');
  // Everything else comes back: the spends are credited back in full, nothing is left to pay.
  t.match(await pos.request('refund', { refund_id: 'r-2', txn_id: 's', currency: 'EUR', items: [{ sku: 'COFFEE', qty: 2, amount: 667 }] }), {
    ok: true, result: { reversed_award_amount: 66, credited_spend_amount: 667, balance: { amount: 1000 } },
  });
  t.match(await spend(pos, 'd', 100), { ok: true, result: { spent_amount: 0 } });
  t.equal(await aliceBalance(pos), 1000);
});

t.test('spend_credit none: the spends stay spent and still count as paid', async (t) => {
  const sys = await startSystem(t, { hostConfig: { refunds: { spend_credit: 'none' } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  t.match(await pos.request('award', { txn_id: 's', customer_id: 'alice', basket: sale }), { ok: true });
  t.match(await spend(pos, 'a', 200), { ok: true, result: { spent_amount: 200 } });
  t.match(await pos.request('refund', mug('r-1')), { ok: true, result: { credited_spend_amount: 0, balance: { amount: 866 } } });
  // 1000 − 333 − 200 = 467.
  t.match(await spend(pos, 'b', 5000), { ok: true, result: { spent_amount: 467, balance: { amount: 399 } } });
});

t.test('offline: the till lowers the cap by the returns it knows, a queued one included', async (t) => {
  const sys = await startSystem(t, { agent: { offline: { spend_floor_limit: 5000 } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  t.equal(await aliceBalance(pos), 1000);
  t.match(await pos.request('award', { txn_id: 's', customer_id: 'alice', basket: sale }), { ok: true, result: { balance: { amount: 1100 } } });
  t.match(await spend(pos, 'a', 200), { ok: true, result: { spent_amount: 200, balance: { amount: 900 } } });
  await sys.goOffline();
  t.match(await pos.request('refund', mug('r-1')), { ok: true, result: { status: 'queued' } });
  // The host has not said what it credits back: the till counts nothing credited (1000 − 333 − 200).
  t.match(await spend(pos, 'b', 5000), { ok: true, result: { status: 'queued', spent_amount: 467 } });
  t.match(await spend(pos, 'c', 10), { ok: false, error: { code: 'OFFLINE_SPEND_DECLINED', message: /nothing is left to pay/ } });
  await sys.broker.restart();
  await outboxDrained(pos);
  // 900 + 66 credited − 34 reversed − 467.
  t.equal(await aliceBalance(pos), 465);
  // Online now the host knows the credit: 1000 − 333 − (200 + 467 − 66) = 66 left.
  t.match(await spend(pos, 'd', 100), { ok: true, result: { status: 'spent', spent_amount: 66 } });
});

t.test('offline after an answered return: the same cap as the host', async (t) => {
  const sys = await startSystem(t, { agent: { offline: { spend_floor_limit: 5000 } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  t.equal(await aliceBalance(pos), 1000);
  t.match(await pos.request('award', { txn_id: 's', customer_id: 'alice', basket: sale }), { ok: true });
  t.match(await spend(pos, 'a', 200), { ok: true, result: { spent_amount: 200 } });
  t.match(await pos.request('refund', mug('r-1')), { ok: true, result: { status: 'refunded', balance: { amount: 932 } } });
  await sys.goOffline();
  // 1000 − 333 − (200 − 66) = 533 left to pay; the wallet has 932 − (100 − 34) of earlier purchases.
  t.match(await spend(pos, 'b', 5000), { ok: true, result: { status: 'queued', spent_amount: 533 } });
  await sys.broker.restart();
  await outboxDrained(pos);
  t.equal(await aliceBalance(pos), 399);
});
