// Version 2: an award repeated after spends on its sale reports the sale as it is now — its
// redemption total counts the spends, and its balance is after them, not the first answer's
// (LOCAL.md "Redemption total"). Real agent, mosquitto and reference host (test/fixtures/seed.yaml:
// alice 10.00, 10 % back).
import t from 'tap';
import type { PosClient } from '../helpers/pos-client.ts';
import { aliceBalance, outboxDrained } from '../helpers/pos-queries.ts';
import { startSystem } from '../helpers/system.ts';

const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };
const award = (pos: PosClient, txn: string) => pos.request('award', { txn_id: txn, customer_id: 'alice', basket });
const spend = (pos: PosClient, txn: string, spendId: string, amount: number) =>
  pos.request('spend', { txn_id: txn, spend_id: spendId, customer_id: 'alice', amount, currency: 'EUR' });

t.test('version 2: an award repeated after its sale\'s spends gives the balance after them, online and offline', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  t.equal(await aliceBalance(pos), 1000);
  t.match(await award(pos, 's-1'), { ok: true, result: { status: 'awarded', award_amount: 100, balance: { amount: 1100 }, total_spend_amount: 0 } });
  t.match(await spend(pos, 's-1', 'a', 300), { ok: true, result: { status: 'spent', spent_amount: 300, balance: { amount: 800 } } });
  // The repeat: the whole redemption and the balance after it (it said 11.00, the first answer's).
  t.match(await award(pos, 's-1'), {
    ok: true,
    result: { status: 'awarded', award_amount: 100, additional_spend_amount: 300, total_spend_amount: 300, balance: { amount: 800, currency: 'EUR' } },
  });
  t.equal(await aliceBalance(pos), 800, 'nothing applied twice');
  // Version 1 keeps its contract: the first outcome, balance included.
  const v1 = await sys.pos();
  const first = await award(v1, 's-1');
  t.match(first, { ok: true, result: { status: 'awarded', total_spend_amount: 0, balance: { amount: 1100 } } });
  t.notOk(first.ok && 'additional_spend_amount' in (first.result as object), 'no additional_spend_amount in version 1');
  // Without a spend on the sale the repeat is the first outcome, as before.
  t.match(await award(pos, 's-2'), { ok: true, result: { status: 'awarded', balance: { amount: 900 } } });
  t.match(await spend(pos, 's-3-never', 'x', 1), { ok: false, error: { code: 'SALE_NOT_FOUND' } });

  // Offline: a spend approved by the till is in no balance the host gave yet; the repeat counts it, as the spend answered.
  await sys.goOffline();
  t.match(await spend(pos, 's-1', 'b', 200), { ok: true, result: { status: 'queued', offline: true, spent_amount: 200, balance: { amount: 700 } } });
  t.match(await award(pos, 's-1'), { ok: true, result: { status: 'awarded', additional_spend_amount: 500, total_spend_amount: 500, balance: { amount: 700 } } });

  // Back online, the host confirms it: the same balance, from the host.
  await sys.broker.restart();
  await sys.waitOnline();
  await outboxDrained(pos);
  t.match(await award(pos, 's-1'), { ok: true, result: { status: 'awarded', total_spend_amount: 500, balance: { amount: 700 } } });
  t.equal(await aliceBalance(pos), 700);
});

t.test('version 2: a spend repeated after later spends of its sale gives the balance after them, as a repeated award does', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  t.equal(await aliceBalance(pos), 1000);
  t.match(await award(pos, 's-1'), { ok: true, result: { status: 'awarded', balance: { amount: 1100 } } });
  t.match(await spend(pos, 's-1', 'a', 300), { ok: true, result: { spent_amount: 300, balance: { amount: 800 } } });
  t.match(await spend(pos, 's-1', 'a', 300), { ok: true, result: { total_spend_amount: 300, balance: { amount: 800 } } }, 'no later spend: the first outcome');
  t.match(await spend(pos, 's-1', 'b', 100), { ok: true, result: { spent_amount: 100, balance: { amount: 700 } } });
  // The repeat of a (a POS recovering its lost answer after b) counts b in its totals: its balance is after b too (it said 8.00).
  t.match(await spend(pos, 's-1', 'a', 300), {
    ok: true, result: { status: 'spent', spend_id: 'a', spent_amount: 300, additional_spend_amount: 400, total_spend_amount: 400, balance: { amount: 700, currency: 'EUR' } },
  });
  t.equal(await aliceBalance(pos), 700, 'nothing applied twice');

  // Offline: a later spend approved by the till counts too, as its own answer said.
  await sys.goOffline();
  t.match(await spend(pos, 's-1', 'c', 50), { ok: true, result: { status: 'queued', offline: true, spent_amount: 50, balance: { amount: 650 } } });
  t.match(await spend(pos, 's-1', 'b', 100), { ok: true, result: { total_spend_amount: 450, balance: { amount: 650 } } });
  await sys.broker.restart();
  await sys.waitOnline();
  await outboxDrained(pos);
  t.match(await spend(pos, 's-1', 'a', 300), { ok: true, result: { total_spend_amount: 450, balance: { amount: 650 } } });
  t.equal(await aliceBalance(pos), 650);

  // Version 1 keeps the first outcome's balance.
  const v1 = await sys.pos();
  t.match(await v1.request('spend', { txn_id: 's-1', customer_id: 'alice', amount: 10, currency: 'EUR' }), { ok: true, result: { spent_amount: 10, balance: { amount: 640 } } });
  t.match(await spend(pos, 's-1', 'd', 10), { ok: true, result: { balance: { amount: 630 } } });
  t.match(await v1.request('spend', { txn_id: 's-1', customer_id: 'alice', amount: 10, currency: 'EUR' }), { ok: true, result: { balance: { amount: 640 } } });
});

t.test('version 2: an award or spend repeated after a return of its sale gives the balance after it, not the first answer\'s', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  const two = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 600, amount: 600 }, { sku: 'COFFEE', qty: 1, unit_price: 400, amount: 400 }] };
  t.match(await pos.request('award', { txn_id: 'r-1', customer_id: 'alice', basket: two }), { ok: true, result: { status: 'awarded', award_amount: 100, balance: { amount: 1100 } } });
  // A return alone (no spend on the sale): the 6.00 item back takes its 0.60 of the award back.
  const ret = (id: string, amount: number) => pos.request('refund', { refund_id: id, txn_id: 'r-1', currency: 'EUR', items: [{ sku: 'COFFEE', qty: 1, amount }] });
  t.match(await ret('ret-1', 600), { ok: true, result: { status: 'refunded', reversed_award_amount: 60, balance: { amount: 1040 } } });
  t.match(await pos.request('award', { txn_id: 'r-1', customer_id: 'alice', basket: two }), { ok: true, result: { status: 'awarded', award_amount: 100, balance: { amount: 1040, currency: 'EUR' } } },
    'the balance after the return (it said 11.00)');
  t.equal(await aliceBalance(pos), 1040, 'nothing applied twice');
  // A spend, then a later return: the spend's repeat is after the return too.
  t.match(await spend(pos, 'r-1', 'a', 100), { ok: true, result: { spent_amount: 100, balance: { amount: 940 } } });
  const second = await ret('ret-2', 400);
  t.match(second, { ok: true, result: { status: 'refunded' } });
  const after = (second as { result: { balance: { amount: number } } }).result.balance.amount;
  t.match(await spend(pos, 'r-1', 'a', 100), { ok: true, result: { spent_amount: 100, balance: { amount: after } } }, 'the spend repeated after the return');
  t.match(await pos.request('award', { txn_id: 'r-1', customer_id: 'alice', basket: two }), { ok: true, result: { balance: { amount: after } } });
  // Version 1 keeps the first outcome.
  const v1 = await sys.pos();
  t.match(await v1.request('award', { txn_id: 'r-1', customer_id: 'alice', basket: two }), { ok: true, result: { balance: { amount: 1100 } } });
});
