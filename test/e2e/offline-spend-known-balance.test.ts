// An offline spend is approved against the customer's last known balance (LOCAL.md "Durability and
// the offline policy"): a balance the host reported in an answer this till recorded (an award, a
// spend, a void) is known, whether or not the customer was identified on this till. Before, only
// the identify cache counted: a customer awarded here without an identify (a POS that keeps the
// customer id of its loyalty card) was OFFLINE_SPEND_DECLINED "no recent balance known" right after
// the host had told the till the balance. Real agent, mosquitto and reference host
// (test/fixtures/seed.yaml: alice 10.00, 10 % back; the test config's floor limit is 5.00).
import t from 'tap';
import type { PosClient } from '../helpers/pos-client.ts';
import { aliceBalance, outboxDrained } from '../helpers/pos-queries.ts';
import { startSystem } from '../helpers/system.ts';

const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };
const award = (pos: PosClient, txn: string) => pos.request('award', { txn_id: txn, customer_id: 'alice', basket });
const spend = (pos: PosClient, txn: string, spendId: string, amount: number) =>
  pos.request('spend', { txn_id: txn, spend_id: spendId, customer_id: 'alice', amount, currency: 'EUR' });

t.test('offline spend for a customer never identified here: the balance of the last answer this till recorded', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  // No identify: the POS had the customer id already.
  t.match(await award(pos, 'k-1'), { ok: true, result: { status: 'awarded', award_amount: 100, balance: { amount: 1100 } } });
  t.match(await spend(pos, 'k-1', 'a', 200), { ok: true, result: { status: 'spent', spent_amount: 200, balance: { amount: 900 } } });
  await sys.goOffline();
  // 9.00 known, less this sale's award (1.00): 8.00 spendable; 8.00 left to pay on the sale.
  t.match(await spend(pos, 'k-1', 'b', 300), {
    ok: true, result: { status: 'queued', offline: true, spent_amount: 300, balance: { amount: 600, currency: 'EUR' }, total_spend_amount: 500 },
  });
  // The next sale, awarded offline ("queued"): its spend is capped by what is known, less what is queued.
  t.match(await award(pos, 'k-2'), { ok: true, result: { status: 'queued' } });
  t.match(await spend(pos, 'k-2', 'a', 500), { ok: true, result: { status: 'queued', offline: true, spent_amount: 500, balance: { amount: 100 } } });
  t.match(await spend(pos, 'k-2', 'b', 200), { ok: true, result: { spent_amount: 100, balance: { amount: 0 } } }, 'only 1.00 left: approved as far as it goes');
  t.match(await spend(pos, 'k-2', 'c', 100), { ok: false, error: { code: 'OFFLINE_SPEND_DECLINED' } }, 'nothing left');
  // The host applies them as approved.
  await sys.broker.restart();
  await sys.waitOnline();
  await outboxDrained(pos);
  t.equal(await aliceBalance(pos), 1100 - 200 - 300 + 100 - 500 - 100);
});

t.test('a customer with no answer recorded on this till: still declined, nothing known', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  await sys.goOffline();
  t.match(await pos.request('spend', { txn_id: 'n-1', customer_id: 'alice', amount: 100, currency: 'EUR' }),
    { ok: false, error: { code: 'OFFLINE_SPEND_DECLINED', message: /no recent balance known/ } });
});
