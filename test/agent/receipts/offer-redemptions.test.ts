// A sale's receipt lists the offers it redeemed (redeem rows keyed by redemption id), not those
// reinstated since (a reinstate the host refused still lists it), nor after a void — from real outbox rows in a real SQLite file.
import t from 'tap';
import { join } from 'node:path';
import { openDb } from '../../../agent/storage/db.ts';
import { Outbox, type AppendInput } from '../../../agent/upstream/outbox.ts';
import { layoutLoyalty } from '../../../agent/receipts/layout.ts';
import { loyaltySection } from '../../../agent/receipts/loyalty-section.ts';
import { redemptionRows } from '../../../agent/receipts/offer-redemptions.ts';
import { readTxnRecords } from '../../../agent/receipts/txn-records.ts';
import { tempDir } from '../../helpers/tmp.ts';

const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000 }] };
let n = 0;
const input = (op: AppendInput['op'], txn: string, payload: Record<string, unknown>): AppendInput => ({
  id: `m${++n}`, op, txn_id: txn, fingerprint: 'f', customer_id: 'alice', payload, offline: false, amount: null, currency: 'EUR',
  created_at: new Date().toISOString(),
});
const redeemed = (name: string, discount: number) => ({ status: 'redeemed', offer_id: name, name, discount_amount: discount, currency: 'EUR' });

t.test('redeemed offers on the loyalty section of their sale', async (t) => {
  const dir = await tempDir(t, 'offer-receipt-');
  const file = join(dir, 'agent.db');
  const db = openDb(file);
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  await outbox.append(input('award', 'sale-1', { customer_id: 'alice', basket }));
  await outbox.append(input('redeem', 'r-1', { txn_id: 'sale-1', customer_id: 'alice', offer_id: 'UO-1', basket }));
  await outbox.append(input('redeem', 'r-2', { txn_id: 'sale-1', customer_id: 'alice', offer_id: 'UO-2', basket }));
  await outbox.append(input('redeem', 'r-3', { txn_id: 'sale-1', customer_id: 'alice', offer_id: 'UO-3', basket }));
  await outbox.append(input('redeem', 'r-9', { txn_id: 'other-sale', customer_id: 'alice', offer_id: 'UO-9', basket }));
  await outbox.append(input('reinstate', 'r-2', {}));
  const rows = outbox.nextPending(100);
  outbox.settle([
    { id: rows[0]!.id, ok: true, result: { award_amount: 200, offers: [] } },
    { id: rows[1]!.id, ok: true, result: redeemed('2.00 off coffee', 200) },
    { id: rows[2]!.id, ok: true, result: redeemed('10% off', 200) },
    { id: rows[3]!.id, ok: true, result: { status: 'refused', offer_id: 'UO-3', code: 'OFFER_LOCKED', message: 'locked' } },
    { id: rows[4]!.id, ok: true, result: redeemed('other', 100) },
  ]);
  const sale = [...outbox.forTxn('sale-1'), ...redemptionRows(outbox, 'sale-1')];
  const section = loyaltySection(sale);
  t.same(section?.redeemed_offers, [{ name: '2.00 off coffee', discount_amount: 200 }], 'reinstated, refused and other sales left out');
  const text = layoutLoyalty(section!, 32).map((op) => ('text' in op ? op.text : '')).join('\n');
  t.match(text, /Offer: 2\.00 off coffee\s+-2\.00/);
  t.same(loyaltySection(readTxnRecords(file, 'sale-1').rows)?.redeemed_offers, section?.redeemed_offers, 'receipt preview reads the same');
  t.same(loyaltySection(redemptionRows(outbox, 'other-sale'))?.redeemed_offers, [{ name: 'other', discount_amount: 100 }], 'a sale with only a redemption has a section');

  // A reinstate the host refused (after the sale's award, LOCAL.md): the sale keeps the discount, and its receipt says so.
  await outbox.append(input('reinstate', 'r-1', {}));
  const refusedReinstate = outbox.nextPending(10).find((r) => r.op === 'reinstate' && r.txn_id === 'r-1')!;
  outbox.settle([{ id: refusedReinstate.id, ok: false, error: { code: 'CONFLICT', message: 'redemption r-1: its sale sale-1 was awarded with its discount', permanent: true } }]);
  t.equal(outbox.get(refusedReinstate.id)?.state, 'dead');
  t.same(loyaltySection([...outbox.forTxn('sale-1'), ...redemptionRows(outbox, 'sale-1')])?.redeemed_offers, [{ name: '2.00 off coffee', discount_amount: 200 }],
    'a reinstate the host refused gave nothing back');

  await outbox.append(input('void', 'sale-1', {}));
  const v = outbox.nextPending(10).find((r) => r.op === 'void')!;
  outbox.settle([{ id: v.id, ok: true, result: { reversed_award_amount: 200, reversed_spend_amount: 0, reinstated_offers: ['UO-1'] } }]);
  t.equal(loyaltySection([...outbox.forTxn('sale-1'), ...redemptionRows(outbox, 'sale-1')])?.redeemed_offers, undefined, 'a void gave them back');
});
