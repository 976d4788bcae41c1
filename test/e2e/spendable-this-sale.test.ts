// The host setting spend.this_sale_award (host/README.md): whether a sale's own award may be spent
// in that same sale. Default per the CRM.COM guide (../shared/seeds/000_*.txt): "The amount that a
// customer can spend is the total amount that the customer was awarded from previous purchases"
// (excluded). Under either setting preview.spendable_amount is exactly what a spend right after
// the award of that basket gets (issue 8 item 2). Real agent, mosquitto and reference host.
import t, { type Test } from 'tap';
import type { PosClient } from '../helpers/pos-client.ts';
import type { Response } from '../../protocol/local.ts';
import { startSystem } from '../helpers/system.ts';

const basket = (total: number) => ({ currency: 'EUR', total, items: [{ sku: 'COFFEE', qty: 1, unit_price: total, amount: total }] });
const spendableOf = (r: Response) => (r.ok ? (r.result as { spendable_amount: number }).spendable_amount : NaN);

/** preview, award, then spend far more than there is: the spend must get what preview said. */
async function previewThenSpend(t: Test, pos: PosClient, customer: string, txn: string, total: number, expected: number) {
  const preview = await pos.request('preview', { customer_id: customer, basket: basket(total) });
  t.equal(spendableOf(preview), expected, `${txn}: preview.spendable_amount`);
  t.match(await pos.request('award', { txn_id: txn, customer_id: customer, basket: basket(total) }), { ok: true, result: { status: 'awarded' } });
  t.match(await pos.request('spend', { txn_id: txn, customer_id: customer, amount: 100_000, currency: 'EUR' }), { ok: true, result: { spent_amount: expected } }, `${txn}: the spend right after gets it`);
}

t.test('included: the sale\'s own award is spendable in the sale, and preview says so', async (t) => {
  const sys = await startSystem(t, { hostConfig: { spend: { this_sale_award: 'included' } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  // alice 1000, 10% back: 3000 awards 300, all of 1300 spendable (the default would say 1000).
  await previewThenSpend(t, pos, 'alice', 'big', 3000, 1300);
  // Now 0 of earlier purchases: only this sale's 47, up to what is left to pay.
  await previewThenSpend(t, pos, 'alice', 'small', 470, 47);
  // bob (300, automatic spend): the award spends his 300 at once; its own 100 is left to spend.
  await previewThenSpend(t, pos, 'bob', 'auto', 1000, 100);
});

t.test('excluded (default): only what earlier purchases left, preview and spend alike', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  await previewThenSpend(t, pos, 'alice', 'big', 3000, 1000);
  await previewThenSpend(t, pos, 'alice', 'small', 470, 300);
  await previewThenSpend(t, pos, 'bob', 'auto', 1000, 0);
});
