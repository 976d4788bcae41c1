// Version 1 spends are not tied to an award on this till, but a voided sale has nothing left to pay
// (LOCAL.md "Spend is tied to its sale"; the host answers an online one spent_amount 0). Offline the
// till approved one all the same, and the host applies an offline spend as approved: the customer
// paid for a sale that was voided, and the void, already applied, could not give it back. Real
// agent, mosquitto and reference host (test/fixtures/seed.yaml: alice 10.00, 10 % back; floor limit 5.00).
import t from 'tap';
import type { PosClient } from '../helpers/pos-client.ts';
import { aliceBalance, outboxDrained } from '../helpers/pos-queries.ts';
import { startSystem } from '../helpers/system.ts';

const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };
const spend = (pos: PosClient, txn: string) => pos.request('spend', { txn_id: txn, customer_id: 'alice', amount: 100, currency: 'EUR' });

t.test('version 1, offline: a spend on a voided sale is declined (nothing left to pay), as the host answers it online', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.equal(await aliceBalance(pos), 1000);
  // Online the host spends nothing on a voided sale.
  t.match(await pos.request('award', { txn_id: 'x-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded' } });
  t.match(await pos.request('void', { txn_id: 'x-1' }), { ok: true, result: { status: 'voided' } });
  t.match(await spend(pos, 'x-1'), { ok: true, result: { status: 'spent', spent_amount: 0 } }, 'online: spent_amount 0');
  // Offline, after a void made online, and after one queued offline.
  t.match(await pos.request('award', { txn_id: 'x-2', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded' } });
  t.match(await pos.request('void', { txn_id: 'x-2' }), { ok: true, result: { status: 'voided' } });
  await sys.goOffline();
  const declined = { ok: false, error: { code: 'OFFLINE_SPEND_DECLINED', retryable: false, message: /voided/ } };
  t.match(await spend(pos, 'x-2'), declined, 'a void delivered');
  t.match(await pos.request('award', { txn_id: 'x-3', customer_id: 'alice', basket }), { ok: true, result: { status: 'queued' } });
  t.match(await pos.request('void', { txn_id: 'x-3' }), { ok: true, result: { status: 'queued' } });
  t.match(await spend(pos, 'x-3'), declined, 'a void queued');
  t.match(await spend(pos, 'x-4'), { ok: true, result: { status: 'queued', spent_amount: 100 } }, 'a sale not voided: approved');
  await sys.broker.restart();
  await sys.waitOnline();
  await outboxDrained(pos);
  t.equal(await aliceBalance(pos), 900, 'only the spend of the sale not voided');
});
