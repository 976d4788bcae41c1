// The host's spend caps against a real SQLite ledger (host/sale.ts). The seed (CRM.COM guide, 000):
// "Spend is the awarded amount that will be deducted from the basket's total amount that the customer
// should pay for. The amount that a customer can spend is the total amount that the customer was
// awarded from previous purchases." Before: a spend took min(asked, balance) whatever the sale.
import t from 'tap';
import { award, basket, message, request, seededService, spend, voidTxn } from '../helpers/host-fixtures.ts';
import { spendKey } from '../../protocol/upstream.ts';


const setup = seededService;

t.test('a spend takes at most what is still to pay on its sale', async (t) => {
  const { one } = await setup(t);
  const b = basket([['COFFEE', 470]]);
  t.match(one(request([award('P1', b, 'small')])), { award_amount: 47, basket_total: 470, balance: { amount: 1047 } });
  t.match(one(request([spend('P1', 2000, 'small')])), { spent_amount: 470, balance: { amount: 577 } }, 'not 1047: the sale was 4.70');
});

t.test('spendable excludes this sale\'s award; preview.spendable_amount is what the spend gets', async (t) => {
  const { one } = await setup(t);
  const b = basket([['COFFEE', 3000]]);
  const preview = one(request([message('preview', { customer_id: 'P1', basket: b })]));
  t.match(preview, { award_amount: 300, spendable_amount: 1000 });
  one(request([award('P1', b, 'big')]));
  t.match(one(request([spend('P1', 5000, 'big')])), { spent_amount: preview.spendable_amount, balance: { amount: 300 } }, 'the 3.00 awarded now stays for later');
});

t.test('instant spend: remaining = total − instant, spendable = earlier balance', async (t) => {
  const { one } = await setup(t);
  const b = basket([['CROISSANT', 200], ['COFFEE', 800]]);
  const preview = one(request([message('preview', { customer_id: 'P1', basket: b })]));
  t.match(preview, { award_amount: 150, instant_spend_amount: 50, spendable_amount: 950 });
  one(request([award('P1', b, 'mixed')]));
  t.match(one(request([spend('P1', 5000, 'mixed')])), { spent_amount: 950 });
});

t.test('automatic spend leaves nothing to spend on the same sale', async (t) => {
  const { one } = await setup(t);
  const b = basket([['COFFEE', 1000]]);
  t.match(one(request([message('preview', { customer_id: 'P2', basket: b })])), { automatic_spend_amount: 500, spendable_amount: 0 });
  one(request([award('P2', b, 'auto')]));
  t.match(one(request([spend('P2', 100, 'auto')])), { spent_amount: 0, balance: { amount: 100 } });
});

t.test('a voided sale has nothing left to pay; a sale never awarded here is capped by the balance only (v1)', async (t) => {
  const { one } = await setup(t);
  one(request([award('P1', basket([['COFFEE', 1000]]), 'gone')]));
  one(request([voidTxn('gone')]));
  t.match(one(request([spend('P1', 100, 'gone')])), { spent_amount: 0, balance: { amount: 1000 } });
  t.match(one(request([spend('P1', 5000, 'no-award')])), { spent_amount: 1000, balance: { amount: 0 } });
});

t.test('an offline spend stands as the till approved it', async (t) => {
  const { one } = await setup(t);
  one(request([award('P1', basket([['COFFEE', 470]]), 'off')]));
  t.match(one(request([spend('P1', 400, 'off', true)])), { spent_amount: 400, offline: true });
});

t.test('what is left to pay counts the sale\'s spends from any wallet (a v1 POS may spend another customer\'s)', async (t) => {
  const { one } = await setup(t);
  t.match(one(request([award('P2', basket([['COFFEE', 1000]]), 'bruno')])), { automatic_spend_amount: 500 });
  t.match(one(request([spend('P1', 800, 'bruno')])), { spent_amount: 500 }, '10.00 − 5.00 automatic');
});

t.test('a partial return after a spend made after an earlier return credits no more than the goods returned', async (t) => {
  const { one } = await setup(t);
  // Named spends (v2 spend_id): several on one sale, each its own message.
  const named = (spendId: string, amount: number) => message('spend', { customer_id: 'P1', amount, currency: 'EUR', offline: false, sale_txn_id: 'parts', spend_id: spendId }, { txn_id: spendKey('parts', spendId) });
  const refund = (refundId: string, sku: string, amount: number) =>
    message('refund', { sale_txn_id: 'parts', customer_id: null, currency: 'EUR', items: [{ sku, qty: 1, amount }] }, { txn_id: refundId });
  t.match(one(request([award('P1', basket([['MUG', 333], ['COFFEE', 334], ['TEA', 333]]), 'parts')])), { award_amount: 100, balance: { amount: 1100 } });
  t.match(one(request([named('a', 200)])), { spent_amount: 200, balance: { amount: 900 } });
  t.match(one(request([refund('ret-1', 'MUG', 333)])), { credited_spend_amount: 66, reversed_award_amount: 34, balance: { amount: 932 } });
  t.match(one(request([named('b', 5000)])), { spent_amount: 533, balance: { amount: 399 } }, 'the kept goods, paid with points');
  // The coffee was paid for by 20% of the first spend and 80% of the second: 133 − 66 + 266, not
  // the whole-basket share of both (422, more than the coffee's 334).
  t.match(one(request([refund('ret-2', 'COFFEE', 334)])), { credited_spend_amount: 333, reversed_award_amount: 33, balance: { amount: 699 } });
  t.match(one(request([refund('ret-3', 'TEA', 333)])), { credited_spend_amount: 334, reversed_award_amount: 33, balance: { amount: 1000 } }, 'all back: exactly what was spent');
});
