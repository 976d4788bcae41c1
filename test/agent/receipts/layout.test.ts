import t from 'tap';
import { RECEIPT_WIDTHS, columns, layoutReceipt, wrap } from '../../../agent/receipts/layout.ts';
import { loyaltySection } from '../../../agent/receipts/loyalty-section.ts';
import type { OutboxRow } from '../../../agent/upstream/outbox.ts';
import { receiptDocumentSchema } from '../../../protocol/receipt.ts';
import { awardAnswer, spendAnswer, voidAnswer } from '../../helpers/host-answers.ts';

const doc = receiptDocumentSchema.parse({
  currency: 'EUR',
  header: ['Café Zürich', 'Bahnhofstraße 1, 8001 Zürich'],
  items: [
    { name: 'Espresso', qty: 2, amount: 320 },
    { name: 'Extraordinarily long product name that certainly will not fit on one line of any printer', amount: 1999 },
    { name: 'Piña colada', amount: 650 },
  ],
  discounts: [{ name: 'Staff', amount: 100 }],
  taxes: [{ name: 'VAT 8.1%', amount: 217 }],
  total: 2869,
  payments: [{ method: 'Card', amount: 2869 }],
  footer: ['Danke für Ihren Besuch!'],
});

const row = (over: Partial<OutboxRow>): OutboxRow => ({
  seq: 1, id: 'm1', op: 'award', txn_id: 'sale-1', fingerprint: 'f', customer_id: 'P-1001', payload: {}, offline: false,
  amount: null, currency: 'EUR', state: 'done', attempts: 1, result: null, error: null,
  created_at: '2026-11-24T08:00:00.000Z', updated_at: '2026-11-24T08:00:01.000Z', ...over,
});

t.test('wrap and columns', async (t) => {
  t.same(wrap('a bb ccc dddd', 6), ['a bb', 'ccc', 'dddd']);
  t.same(wrap('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
  t.same(columns('Espresso', '3.20 EUR', 20), ['Espresso    3.20 EUR']);
  t.same(columns('Piña', '1.00 EUR', 14), ['Piña  1.00 EUR'], 'counts characters, not bytes');
});

for (const width of RECEIPT_WIDTHS) {
  t.test(`every line fits ${width} columns`, async (t) => {
    const ops = layoutReceipt(doc, { width }, undefined, 'sale-1');
    for (const op of ops) {
      if (op.kind !== 'text') continue;
      const limit = op.size === 2 ? Math.floor(width / 2) : width;
      t.ok([...op.text].length <= limit, `"${op.text}" fits ${limit}`);
    }
    const texts = ops.flatMap((o) => (o.kind === 'text' ? [o.text] : []));
    t.ok(texts.some((l) => /^TOTAL +28\.69 EUR$/.test(l)), 'total right-aligned');
    t.ok(texts.some((l) => l.includes('Piña colada')), 'non-ASCII kept for the code page to handle');
    t.match(ops.filter((o) => o.kind === 'qr'), [{ data: 'sale-1' }]);
    t.equal(ops.at(-1)?.kind, 'cut');
  });
}

t.test('loyalty section from the sale rows', async (t) => {
  const section = loyaltySection([
    row({ result: awardAnswer({ award_amount: 143, instant_spend_amount: 50, automatic_spend_amount: 0, balance: { amount: 2593, currency: 'EUR' }, reduction: 'front_end', offers: [{ id: 'B', name: '5% on everything', award_amount: 93 }] }) }),
    row({ id: 'm2', op: 'spend', result: spendAnswer({ spent_amount: 200, balance: { amount: 2393, currency: 'EUR' } }), updated_at: '2026-11-24T08:00:02.000Z' }),
  ], 'Alice Martin')!;
  t.match(section, { customer: 'Alice Martin', awarded: 143, instant_spend: 50, additional_spend: 200, redemption_total: 250, balance: 2393, notes: [] });
  const texts = layoutReceipt(doc, { width: 42 }, section).flatMap((o) => (o.kind === 'text' ? [o.text] : []));
  t.ok(texts.some((l) => /^Awarded +1\.43 EUR$/.test(l)));
  t.ok(texts.some((l) => /^Redemption total +-2\.50 EUR$/.test(l)));
  t.ok(texts.some((l) => /^New balance +23\.93 EUR$/.test(l)));

  const queued = loyaltySection([row({ state: 'pending' }), row({ id: 'm2', op: 'spend', state: 'pending', offline: true, amount: 300 })])!;
  t.match(queued, { additional_spend: 300, redemption_total: 300 });
  t.match(queued.notes.join('\n'), /queued offline/);
  t.match(queued.notes.join('\n'), /spent while offline/);
  const backEnd = loyaltySection([row({ result: awardAnswer({ award_amount: 1, reduction: 'back_end' }) })])!;
  t.match(backEnd.notes, [/back-end/]);
  t.equal(loyaltySection([]), null);
});

t.test('spends approved offline are taken off the new balance, as the spend answer did', async (t) => {
  // Awarded online (balance 1075), 3.00 spent online (775), then 1.00 approved offline: the POS was
  // answered balance 675; the host has not seen that spend, so no row's balance counts it yet.
  const section = loyaltySection([
    row({ result: awardAnswer({ award_amount: 75, balance: { amount: 1075, currency: 'EUR' } }) }),
    row({ id: 'm2', op: 'spend', result: spendAnswer({ spent_amount: 300, balance: { amount: 775, currency: 'EUR' } }), updated_at: '2026-11-24T08:00:02.000Z' }),
    row({ id: 'm3', op: 'spend', state: 'pending', offline: true, amount: 100, updated_at: '2026-11-24T08:00:03.000Z' }),
  ], 'Alice Martin')!;
  t.match(section, { additional_spend: 400, redemption_total: 400, balance: 675 });
  const texts = layoutReceipt(doc, { width: 42 }, section).flatMap((o) => (o.kind === 'text' ? [o.text] : []));
  t.ok(texts.some((l) => /^New balance +6\.75 EUR$/.test(l)));
  // Once the host confirmed it, its own answer's balance is printed.
  const confirmed = loyaltySection([
    row({ result: awardAnswer({ award_amount: 75, balance: { amount: 1075, currency: 'EUR' } }) }),
    row({ id: 'm3', op: 'spend', offline: true, amount: 100, result: spendAnswer({ spent_amount: 100, balance: { amount: 975, currency: 'EUR' } }), updated_at: '2026-11-24T08:00:03.000Z' }),
  ])!;
  t.match(confirmed, { balance: 975 });
});

t.test('a spend approved offline: the balance counts the customer\'s offline spends on other sales up to this sale', async (t) => {
  // Sale 1 awarded online (balance 1075, as the cache still holds it), 2.00 approved offline on
  // another sale (seq 2), then 1.00 on this one (seq 3): the POS was answered 775. A spend approved
  // after this sale's last row (seq 4) is not on its receipt.
  const rows = [
    row({ result: awardAnswer({ award_amount: 75, balance: { amount: 1075, currency: 'EUR' } }) }),
    row({ seq: 3, id: 'm3', op: 'spend', state: 'pending', offline: true, amount: 100, updated_at: '2026-11-24T08:00:03.000Z' }),
  ];
  const customer = { balance: { amount: 1075, currency: 'EUR' }, spends: [{ seq: 2, amount: 200 }, { seq: 3, amount: 100 }, { seq: 4, amount: 50 }] };
  t.match(loyaltySection(rows, 'Alice Martin', customer), { additional_spend: 100, balance: 775 });
  // The cache may hold a newer balance than the sale's rows (another sale's award answered after it): that one.
  t.match(loyaltySection(rows, undefined, { ...customer, balance: { amount: 1175, currency: 'EUR' } }), { balance: 875 });
  // Without a spend of its own pending offline the sale's rows say it all, as before.
  t.match(loyaltySection([rows[0]!], undefined, customer), { balance: 1075 });
  // A points-only customer's cache balance is not money: the sale's own rows, less its own spend.
  t.match(loyaltySection(rows, undefined, { balance: { amount: 40, currency: 'PTS' }, spends: [] }), { balance: 975 });
});

t.test('a voided sale shows the balance after the void', async (t) => {
  const sale = [
    row({ result: awardAnswer({ award_amount: 105, balance: { amount: 2605, currency: 'EUR' } }) }),
    row({ id: 'm2', op: 'spend', result: spendAnswer({ spent_amount: 200, balance: { amount: 2405, currency: 'EUR' } }), updated_at: '2026-11-24T08:00:02.000Z' }),
  ];
  const voided = loyaltySection([...sale, row({ id: 'm3', op: 'void', updated_at: '2026-11-24T08:05:00.000Z',
    result: voidAnswer({ reversed_award_amount: 105, reversed_spend_amount: 200, balance: { amount: 2500, currency: 'EUR' } }) })], 'Alice Martin')!;
  t.match(voided, { customer: 'Alice Martin', balance: 2500, notes: ['This sale was voided'] });
  const queuedVoid = loyaltySection([...sale, row({ id: 'm3', op: 'void', state: 'pending', updated_at: '2026-11-24T08:05:00.000Z' })])!;
  t.match(queuedVoid, { balance: 2405, notes: ['Void queued offline'] }, 'a queued void does not know the new balance yet');
});

t.test('points on the receipt: earned and balance in points, never printed as money', async (t) => {
  const gold = loyaltySection([row({ result: awardAnswer({
    award_amount: 162, balance: { amount: 1162, currency: 'EUR' }, points: [{ amount: 86, currency: 'PTS' }],
    wallets: [{ amount: 1162, currency: 'EUR' }, { amount: 186, currency: 'PTS' }],
    offers: [{ id: 'c', name: '5% back', award_amount: 62 }, { id: 'b', name: 'Burrito points', award_amount: 0, points: { amount: 50, currency: 'PTS' } }],
  }) })], 'Gina')!;
  t.match(gold, { balance: 1162, points: [{ amount: 86 }], points_balances: [{ amount: 186, currency: 'PTS' }] });
  const texts = layoutReceipt(doc, { width: 42 }, gold).flatMap((o) => (o.kind === 'text' ? [o.text] : []));
  for (const re of [/^\+ Burrito points +50 PTS$/, /^Points earned +86 PTS$/, /^New balance +11\.62 EUR$/, /^Points balance +186 PTS$/]) t.ok(texts.some((l) => re.test(l)), String(re));
  const pointsOnly = loyaltySection([row({ result: awardAnswer({ award_amount: 0, balance: { amount: 102, currency: 'PTS' }, points: [{ amount: 62, currency: 'PTS' }], wallets: [{ amount: 102, currency: 'PTS' }] }) })])!;
  t.equal(pointsOnly.balance, undefined, 'a points balance is not a money balance');
  t.same(pointsOnly.points_balances, [{ amount: 102, currency: 'PTS' }]);
});

// SessionM computes a sale's points after send_transaction answers (award_pending): the receipt printed
// "Awarded 0.00" and "New balance" for every SessionM customer, as if the sale had earned nothing.
t.test('an award the platform computes later: "Points added later", the balance as known, no "Awarded 0.00"', async (t) => {
  const pending = loyaltySection([row({ result: awardAnswer({ award_amount: 0, award_pending: true, balance: { amount: 120, currency: 'EUR' } }) })], 'Alice Martin')!;
  t.match(pending, { customer: 'Alice Martin', award_pending: true, balance: 120, notes: [] });
  t.equal(pending.awarded, undefined, 'no amount awarded: it is not known');
  for (const width of RECEIPT_WIDTHS) {
    const texts = layoutReceipt(doc, { width }, pending).flatMap((o) => (o.kind === 'text' ? [o.text] : []));
    t.ok(texts.some((l) => /^Points +added later$/.test(l)), `${width}: the award is to come`);
    t.notOk(texts.some((l) => /^Awarded/.test(l)), `${width}: not "Awarded 0.00"`);
    t.ok(texts.some((l) => /^Balance +1\.20 EUR$/.test(l)), `${width}: the balance known, not called new`);
    t.notOk(texts.some((l) => /^New balance/.test(l)));
    for (const l of texts) t.ok([...l].length <= width);
  }
  // Every other backend: absent (or false), the award as before.
  for (const known of [awardAnswer({ award_amount: 0, balance: { amount: 120, currency: 'EUR' } }), awardAnswer({ award_amount: 0, award_pending: false, balance: { amount: 120, currency: 'EUR' } })]) {
    const section = loyaltySection([row({ result: known })])!;
    t.equal(section.award_pending, undefined);
    const texts = layoutReceipt(doc, { width: 42 }, section).flatMap((o) => (o.kind === 'text' ? [o.text] : []));
    t.ok(texts.some((l) => /^Awarded +0\.00 EUR$/.test(l)) && texts.some((l) => /^New balance +1\.20 EUR$/.test(l)));
  }
});
