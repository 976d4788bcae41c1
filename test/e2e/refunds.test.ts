// Returns through a real agent, mosquitto and the reference host. Issue 8 item 9: "the award is
// reversed in proportion to the returned amount, rounded in the merchant's favour, never below
// zero; spends on that sale are credited back as the merchant configures ... Idempotent by its
// own refund id." Anchors: Square (prorated, never more than earned, balance stops at zero,
// redeemed rewards not given back = `none`) and Talon.One (returned items' effects rolled back).
import t from 'tap';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';
import type { PosClient } from '../helpers/pos-client.ts';

// 333 + 667 = 1000: alice's 10% award is 100, and a return of the 333 item is 33.3% of it.
const sale = {
  currency: 'EUR', total: 1000,
  items: [{ sku: 'MUG', qty: 1, unit_price: 333, amount: 333 }, { sku: 'COFFEE', qty: 2, unit_price: 334, amount: 667 }],
};

const balanceOf = async (pos: PosClient, card: string) => {
  const r = await pos.request('identify', { by: 'card', value: card });
  return (r as { result: { customer: { balance: { amount: number } } } }).result.customer.balance.amount;
};

t.test('partial returns: proportional, merchant-favoured, idempotent, then a void reverses the rest', async (t) => {
  const sys = await startSystem(t); // refunds.spend_credit defaults to proportional
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('award', { txn_id: 's-1', customer_id: 'alice', basket: sale }), { ok: true, result: { award_amount: 100, balance: { amount: 1100 } } });
  t.match(await pos.request('spend', { txn_id: 's-1', customer_id: 'alice', amount: 150, currency: 'EUR' }), { ok: true, result: { spent_amount: 150 } });
  // 1000 + 100 - 150 = 950

  const mug = { refund_id: 'r-1', txn_id: 's-1', currency: 'EUR', items: [{ sku: 'MUG', qty: 1, amount: 333 }], reason: 'chipped' };
  const first = await pos.request('refund', mug);
  // award: ceil(100 × 333 / 1000) = 34 taken back; spend: floor(150 × 333 / 1000) = 49 given back.
  t.match(first, {
    ok: true,
    result: {
      status: 'refunded', refund_id: 'r-1', txn_id: 's-1', currency: 'EUR', returned_amount: 333,
      reversed_award_amount: 34, unrecovered_award_amount: 0, credited_spend_amount: 49, balance: { amount: 965, currency: 'EUR' },
    },
  });
  t.same(await pos.request('refund', mug).then((r) => r.ok && r.result), (first as { result: unknown }).result, 'same refund_id: same outcome, applied once');
  t.match(await pos.request('refund', { ...mug, items: [{ sku: 'COFFEE', qty: 1, amount: 334 }] }), { ok: false, error: { code: 'CONFLICT' } });
  t.equal(await balanceOf(pos, '6006490000000001'), 965);

  // More than was sold (counting the earlier return) is refused whole, nothing recorded.
  t.match(await pos.request('refund', { ...mug, refund_id: 'r-2' }), { ok: false, error: { code: 'BAD_REQUEST', message: /items\[0\]\.amount: MUG sold for 333, 333 of it already returned/ } });
  t.match(await pos.request('refund', { ...mug, refund_id: 'r-3', items: [{ sku: 'TEA', qty: 1, amount: 1 }] }), { ok: false, error: { code: 'BAD_REQUEST', message: /params\.items\[0\]\.sku: TEA was not sold/ } });
  t.match(await pos.request('refund', { ...mug, refund_id: 'r-3', items: [{ sku: 'COFFEE', qty: 3, amount: 1 }] }), { ok: false, error: { code: 'BAD_REQUEST', message: /params\.items\[0\]\.qty/ } });
  t.equal(await balanceOf(pos, '6006490000000001'), 965, 'refused returns changed nothing');

  // One coffee of two: cumulative 333 + 334 = 667 → award ceil(66.7) = 67 in all, 33 now; spend floor(100.05) = 100, 51 now.
  t.match(await pos.request('refund', { refund_id: 'r-4', txn_id: 's-1', currency: 'EUR', items: [{ sku: 'COFFEE', qty: 1, amount: 334 }] }), {
    ok: true, result: { reversed_award_amount: 33, credited_spend_amount: 51, balance: { amount: 983 } },
  });
  // A void now reverses only what the returns left: award 100 - 67, spend 150 - 100.
  t.match(await pos.request('void', { txn_id: 's-1' }), { ok: true, result: { status: 'voided', reversed_award_amount: 33, reversed_spend_amount: 50, balance: { amount: 1000 } } });
  t.match(await pos.request('refund', { refund_id: 'r-5', txn_id: 's-1', currency: 'EUR', items: [{ sku: 'COFFEE', qty: 1, amount: 333 }] }), { ok: false, error: { code: 'CONFLICT' } });
  t.match(await pos.request('refund', { refund_id: 'r-6', txn_id: 'never', currency: 'EUR', items: [{ sku: 'MUG', qty: 1, amount: 1 }] }), { ok: false, error: { code: 'NOT_FOUND' } });

  // Returning everything in steps reverses exactly the award (never more).
  await pos.request('award', { txn_id: 's-2', customer_id: 'alice', basket: sale });
  const parts = [[333, 'MUG'], [334, 'COFFEE'], [333, 'COFFEE']] as const;
  let reversed = 0;
  for (const [i, [amount, sku]] of parts.entries()) {
    const r = await pos.request('refund', { refund_id: `s2-r${i}`, txn_id: 's-2', currency: 'EUR', items: [{ sku, qty: 1, amount }] });
    reversed += (r as { result: { reversed_award_amount: number } }).result.reversed_award_amount;
  }
  t.equal(reversed, 100, 'a whole sale returned in three parts reverses its award once');
  t.equal(await balanceOf(pos, '6006490000000001'), 1000);

  // Bad params: BAD_REQUEST naming the field.
  t.match(await pos.request('refund', { txn_id: 's-2', currency: 'EUR', items: [{ sku: 'MUG', qty: 1, amount: 1 }] }), { ok: false, error: { code: 'BAD_REQUEST', message: /params\.refund_id/ } });
  t.match(await pos.request('refund', { refund_id: 'x', txn_id: 's-2', currency: 'EUR', items: [] }), { ok: false, error: { code: 'BAD_REQUEST', message: /params\.items/ } });
  t.match(await pos.request('refund', { refund_id: 'x', txn_id: 's-2', currency: 'EUR', items: [{ sku: 'MUG', qty: 1, amount: 1.5 }] }), { ok: false, error: { code: 'BAD_REQUEST', message: /params\.items\[0\]\.amount/ } });
  t.match(await pos.request('refund', { refund_id: 'x', txn_id: 's-2', currency: 'EUR', items: [{ sku: 'MUG', qty: 1, amount: 1, price: 1 }] }), { ok: false, error: { code: 'BAD_REQUEST', message: /price/ } });
  t.match(await pos.request('refund', { refund_id: 'x', txn_id: 's-2', currency: 'USD', items: [{ sku: 'MUG', qty: 1, amount: 1 }] }), { ok: false, error: { code: 'BAD_REQUEST', message: /params\.currency/ } });
  t.match(await pos.request('status'), { ok: true, result: { outbox: { dead: 0 } } });
});

t.test('a return while offline is committed and applied once the host is back', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  await pos.request('award', { txn_id: 'o-1', customer_id: 'alice', basket: sale });
  await sys.goOffline();
  const queued = await pos.request('refund', { refund_id: 'o-r1', txn_id: 'o-1', currency: 'EUR', items: [{ sku: 'MUG', qty: 1, amount: 333 }] });
  t.match(queued, { ok: true, result: { status: 'queued', refund_id: 'o-r1', returned_amount: 333 } });
  await sys.broker.restart();
  await sys.waitOnline();
  await waitFor(async () => {
    const r = await pos.request('refund', { refund_id: 'o-r1', txn_id: 'o-1', currency: 'EUR', items: [{ sku: 'MUG', qty: 1, amount: 333 }] });
    return r.ok && (r.result as { status: string }).status === 'refunded';
  }, { what: 'queued refund applied', timeout: 20_000 });
  t.equal(await balanceOf(pos, '6006490000000001'), 1066, '1000 + 100 - ceil(33.3)');
});

t.test('spend_credit none: spends stay spent, the balance stops at zero', async (t) => {
  const sys = await startSystem(t, { hostConfig: { refunds: { spend_credit: 'none' } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  // Bob (300, automatic spend): sale A awards 500 and spends his 300; sale B spends A's 500.
  const big = { currency: 'EUR', total: 5000, items: [{ sku: 'COFFEE', qty: 5, unit_price: 1000, amount: 5000 }] };
  t.match(await pos.request('award', { txn_id: 'a', customer_id: 'bob', basket: big }), { ok: true, result: { award_amount: 500, automatic_spend_amount: 300, balance: { amount: 500 } } });
  t.match(await pos.request('award', { txn_id: 'b', customer_id: 'bob', basket: sale }), { ok: true, result: { automatic_spend_amount: 500, balance: { amount: 100 } } });
  // Returning all of A: 500 to take back, only 100 there; no spend credit under `none`.
  t.match(await pos.request('refund', { refund_id: 'a-r', txn_id: 'a', currency: 'EUR', items: [{ sku: 'COFFEE', qty: 5, amount: 5000 }] }), {
    ok: true, result: { reversed_award_amount: 100, unrecovered_award_amount: 400, credited_spend_amount: 0, balance: { amount: 0 } },
  });
  t.equal(await balanceOf(pos, '6006490000000002'), 0, 'never below zero');
});
