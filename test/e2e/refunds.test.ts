// Returns through a real agent, mosquitto and the reference host. Issue 8 item 9: "the award is
// reversed in proportion to the returned amount, rounded in the merchant's favour, never below
// zero; spends on that sale are credited back as the merchant configures ... Idempotent by its
// own refund id." Anchors: Square (prorated, never more than earned, balance stops at zero,
// redeemed rewards not given back = `none`) and Talon.One (returned items' effects rolled back).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startSystem } from '../helpers/system.ts';
import { tempDir } from '../helpers/tmp.ts';
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
  t.match(await pos.request('refund', { refund_id: 'r-5', txn_id: 's-1', currency: 'EUR', items: [{ sku: 'COFFEE', qty: 1, amount: 333 }] }), { ok: false, error: { code: 'CONFLICT', message: /^params\.txn_id: sale s-1 was voided/ } });
  t.match(await pos.request('refund', { refund_id: 'r-6', txn_id: 'never', currency: 'EUR', items: [{ sku: 'MUG', qty: 1, amount: 1 }] }), { ok: false, error: { code: 'NOT_FOUND', message: /^params\.txn_id: no award with txn_id never / } });

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

// Points wallets (seed 004 point accounts): a return takes back the points the sale earned by the
// same rule as the money award. Seed: test/fixtures/seed-points.yaml.
t.test('a return reverses the points the sale earned: proportional, rounded up, idempotent, on the receipt', async (t) => {
  const receipts = await tempDir(t, 'till-refund-receipts-');
  const sys = await startSystem(t, {
    hostConfig: { seed: fileURLToPath(new URL('../fixtures/seed-points.yaml', import.meta.url)) },
    agent: { devices: [{ name: 'printer0', kind: 'printer', transport: 'virtual', path: receipts, width: 42 }] },
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  const burrito = {
    currency: 'EUR', total: 1250,
    items: [{ sku: 'BURRITO-L', qty: 1, unit_price: 950, amount: 950 }, { sku: 'COLA', qty: 1, unit_price: 300, amount: 300 }],
  };
  // Gina (gold, 10.00 EUR and 100 PTS): 1.62 EUR and 86 PTS for this basket.
  t.match(await pos.request('award', { txn_id: 'g-1', customer_id: 'gina', basket: burrito }),
    { ok: true, result: { award_amount: 162, points: [{ amount: 86, currency: 'PTS' }], wallets: [{ amount: 1162, currency: 'EUR' }, { amount: 186, currency: 'PTS' }] } });

  // The cola (300 of 1250): ceil(162 × 0.24) = 39 EUR cents and ceil(86 × 0.24) = ceil(20.64) = 21 points.
  const cola = { refund_id: 'g-r1', txn_id: 'g-1', currency: 'EUR', items: [{ sku: 'COLA', qty: 1, amount: 300 }] };
  const first = await pos.request('refund', cola);
  t.match(first, {
    ok: true,
    result: {
      status: 'refunded', returned_amount: 300, reversed_award_amount: 39, balance: { amount: 1123, currency: 'EUR' },
      reversed_points: [{ amount: 21, currency: 'PTS' }], unrecovered_points: [{ amount: 0, currency: 'PTS' }],
      wallets: [{ amount: 1123, currency: 'EUR' }, { amount: 165, currency: 'PTS' }],
    },
  });
  t.same(await pos.request('refund', cola).then((r) => r.ok && r.result), (first as { result: unknown }).result, 'same refund_id: same outcome, points taken once');
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000101' }),
    { ok: true, result: { customer: { wallets: [{ amount: 1123, currency: 'EUR' }, { amount: 165, currency: 'PTS' }] } } });

  // The receipt of the return shows the points it took back and the points balance, as whole points.
  const printed = await pos.request('receipt.print', { txn_id: 'g-r1', document: { currency: 'EUR', items: [{ name: 'Cola', amount: -300 }], total: -300 } });
  t.match(printed, { ok: true, result: { loyalty: true } });
  const txt = (await readdir(receipts)).filter((f) => f.endsWith('.txt'));
  const lines = (await readFile(join(receipts, txt.at(-1)!), 'utf8')).split('\n').map((l) => l.trim());
  t.ok(lines.some((l) => /^Award reversed +-0\.39 EUR$/.test(l)), 'money award reversed');
  t.ok(lines.some((l) => /^Points reversed +-21 PTS$/.test(l)), 'points reversed');
  t.ok(lines.some((l) => /^Points balance +165 PTS$/.test(l)), 'points balance after the return');

  // The rest of the sale: exactly what is left, never more (rounding on the running total).
  t.match(await pos.request('refund', { refund_id: 'g-r2', txn_id: 'g-1', currency: 'EUR', items: [{ sku: 'BURRITO-L', qty: 1, amount: 950 }] }),
    { ok: true, result: { reversed_award_amount: 123, reversed_points: [{ amount: 65, currency: 'PTS' }], wallets: [{ amount: 1000 }, { amount: 100 }] } });

  // A void after a partial return reverses only the points the return left.
  await pos.request('award', { txn_id: 'g-2', customer_id: 'gina', basket: burrito });
  t.match(await pos.request('refund', { ...cola, refund_id: 'g2-r1', txn_id: 'g-2' }), { ok: true, result: { reversed_points: [{ amount: 21 }] } });
  t.match(await pos.request('void', { txn_id: 'g-2' }),
    { ok: true, result: { status: 'voided', reversed_award_amount: 123, reversed_points: [{ amount: 65, currency: 'PTS' }], wallets: [{ amount: 1000 }, { amount: 100 }] } });

  // A points-only customer (Pia, 40 PTS) has no money wallet: the return takes points only.
  t.match(await pos.request('award', { txn_id: 'p-1', customer_id: 'pia', basket: burrito }), { ok: true, result: { points: [{ amount: 62 }], balance: { amount: 102, currency: 'PTS' } } });
  const pia = await pos.request('refund', { ...cola, refund_id: 'p-r1', txn_id: 'p-1' });
  t.match(pia, { ok: true, result: { status: 'refunded', reversed_award_amount: 0, reversed_points: [{ amount: 15, currency: 'PTS' }], wallets: [{ amount: 87, currency: 'PTS' }] } });
  t.notOk('balance' in (pia as { result: object }).result, 'no money balance to report');
  t.match(await pos.request('status'), { ok: true, result: { outbox: { dead: 0 } } });
});
