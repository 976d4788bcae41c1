// Receipt lines of a back-end sale's refund voucher and of a return.
import t from 'tap';
import type { OutboxRow } from '../../../agent/upstream/outbox.ts';
import { layoutReceipt } from '../../../agent/receipts/layout.ts';
import { loyaltySection } from '../../../agent/receipts/loyalty-section.ts';
import { receiptDocumentSchema } from '../../../protocol/receipt.ts';
import { awardAnswer, refundAnswer, spendAnswer, voidAnswer } from '../../helpers/host-answers.ts';

const doc = receiptDocumentSchema.parse({ currency: 'EUR', items: [{ name: 'Coffee', amount: 2000 }], total: 2000 });
const row = (over: Partial<OutboxRow>): OutboxRow => ({
  seq: 1, id: 'm1', op: 'award', txn_id: 'sale-1', fingerprint: 'f', customer_id: 'bob', payload: {}, offline: false,
  amount: null, currency: 'EUR', state: 'done', attempts: 1, result: null, error: null,
  created_at: '2026-11-24T08:00:00.000Z', updated_at: '2026-11-24T08:00:01.000Z', ...over,
});
const texts = (section: ReturnType<typeof loyaltySection>) =>
  layoutReceipt(doc, { width: 42 }, section ?? undefined).flatMap((o) => (o.kind === 'text' ? [o.text] : []));

const backEnd = row({ result: awardAnswer({
  award_amount: 200, automatic_spend_amount: 300, total_spend_amount: 300, reduction: 'back_end',
  balance: { amount: 200, currency: 'EUR' }, voucher: { code: 'RV-7K2M9Q4T8B3D', amount: 300, currency: 'EUR' },
}) });

t.test('a back-end sale prints its refund voucher', async (t) => {
  const section = loyaltySection([backEnd], 'Bob Stone')!;
  t.match(section, { vouchers: [{ code: 'RV-7K2M9Q4T8B3D', amount: 300, state: 'issued' }] });
  const lines = texts(section);
  t.ok(lines.some((l) => /^Refund voucher RV-7K2M9Q4T8B3D +3\.00 EUR$/.test(l)), 'code and amount on one line');
  t.ok(lines.some((l) => /present this code/.test(l)));

  const voided = loyaltySection([backEnd, row({ id: 'm2', op: 'void', result: voidAnswer({
    reversed_award_amount: 200, reversed_spend_amount: 300, vouchers: [{ code: 'RV-7K2M9Q4T8B3D', amount: 300, currency: 'EUR', state: 'voided' }],
  }) })])!;
  t.match(voided, { vouchers: [{ state: 'voided' }] });
  t.ok(texts(voided).some((l) => /voided with this sale/.test(l)));
  t.notOk(loyaltySection([row({ result: awardAnswer({ award_amount: 1, reduction: 'front_end' }) })])!.vouchers, 'front-end: none');
  const withSpend = loyaltySection([backEnd, row({ id: 'm3', op: 'spend', result: spendAnswer({
    spent_amount: 150, reduction: 'back_end', voucher: { code: 'RV-AAAABBBBCCCC', amount: 150, currency: 'EUR' }, balance: { amount: 50, currency: 'EUR' },
  }) })])!;
  t.match(withSpend.vouchers, [{ code: 'RV-7K2M9Q4T8B3D', amount: 300 }, { code: 'RV-AAAABBBBCCCC', amount: 150 }], "a back-end sale's spend voucher too");
});

t.test('a return prints what came back', async (t) => {
  const refund = row({ op: 'refund', txn_id: 'ret-1', payload: { sale_txn_id: 'sale-1', items: [{ sku: 'MUG', qty: 1, amount: 333 }] }, result: refundAnswer({
    returned_amount: 333, reversed_award_amount: 34, credited_spend_amount: 49, balance: { amount: 965, currency: 'EUR' },
  }) });
  const section = loyaltySection([refund], 'Alice')!;
  t.match(section, { refund: { returned: 333, reversed_award: 34, credited_spend: 49 }, balance: 965 });
  const lines = texts(section);
  t.ok(lines.some((l) => /^Returned +-3\.33 EUR$/.test(l)));
  t.ok(lines.some((l) => /^Award reversed +-0\.34 EUR$/.test(l)));
  t.ok(lines.some((l) => /^Spend credited back +0\.49 EUR$/.test(l)));
  t.ok(lines.some((l) => /^New balance +9\.65 EUR$/.test(l)));
  const queued = loyaltySection([{ ...refund, state: 'pending', result: null }])!;
  t.match(queued, { refund: { returned: 333, queued: true } });
  t.match(queued.notes.join('\n'), /Return queued offline/);
});

t.test('a return prints the points it took back and the points balance, as whole points', async (t) => {
  const refund = row({ op: 'refund', txn_id: 'ret-2', payload: { sale_txn_id: 'sale-2', items: [{ sku: 'COLA', qty: 1, amount: 300 }] }, result: refundAnswer({
    returned_amount: 300, reversed_award_amount: 39, credited_spend_amount: 0, balance: { amount: 1123, currency: 'EUR' },
    reversed_points: [{ amount: 21, currency: 'PTS' }], unrecovered_points: [{ amount: 0, currency: 'PTS' }],
    wallets: [{ amount: 1123, currency: 'EUR' }, { amount: 165, currency: 'PTS' }],
  }) });
  const section = loyaltySection([refund], 'Gina')!;
  t.match(section, { refund: { reversed_award: 39, reversed_points: [{ amount: 21, currency: 'PTS' }] }, balance: 1123, points_balances: [{ amount: 165, currency: 'PTS' }] });
  const lines = texts(section);
  t.ok(lines.some((l) => /^Points reversed +-21 PTS$/.test(l)), 'whole points, never as money');
  t.ok(lines.some((l) => /^Points balance +165 PTS$/.test(l)));
  t.ok(lines.some((l) => /^New balance +11\.23 EUR$/.test(l)));
  // A points-only customer: no money balance to print.
  const pointsOnly = loyaltySection([row({ ...refund, result: refundAnswer({ returned_amount: 300, reversed_points: [{ amount: 15, currency: 'PTS' }], wallets: [{ amount: 87, currency: 'PTS' }] }) })])!;
  t.equal(pointsOnly.balance, undefined);
  t.ok(texts(pointsOnly).some((l) => /^Points balance +87 PTS$/.test(l)));
  // Nothing reversed: no line.
  t.notOk(loyaltySection([row({ ...refund, result: refundAnswer({ returned_amount: 300, reversed_points: [{ amount: 0, currency: 'PTS' }] }) })])!.refund!.reversed_points);
});

t.test("a sale's receipt never shows another sale's return keyed by the same id (refund_id = that sale's txn_id)", async (t) => {
  // Two counters at the POS: sale K-2 and the return K-2 of sale K-1, both on this till.
  const sale = row({ txn_id: 'K-2', result: awardAnswer({ award_amount: 75, balance: { amount: 112, currency: 'EUR' } }) });
  const otherReturn = row({ id: 'm9', op: 'refund', txn_id: 'K-2', payload: { sale_txn_id: 'K-1', items: [{ sku: 'A', qty: 1, amount: 500 }] },
    result: refundAnswer({ returned_amount: 500, reversed_award_amount: 38, credited_spend_amount: 0, balance: { amount: 37, currency: 'EUR' } }),
    updated_at: '2026-11-24T08:00:02.000Z' });
  const section = loyaltySection([sale, otherReturn], 'Chiara')!;
  t.equal(section.refund, undefined, 'no return lines on the sale');
  t.equal(section.balance, 112, "the sale's balance, not the other return's");
  t.notOk(texts(section).some((l) => /Returned|Award reversed/.test(l)));
  // A return of this very sale under its txn_id, and a return alone, are printed as before.
  const ownReturn = { ...otherReturn, payload: { ...otherReturn.payload, sale_txn_id: 'K-2' } };
  t.match(loyaltySection([sale, ownReturn])!, { refund: { returned: 500 } });
  t.match(loyaltySection([otherReturn])!, { refund: { returned: 500, reversed_award: 38 }, balance: 37 });
});
