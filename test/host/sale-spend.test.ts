// The host's spend caps against a real SQLite ledger (host/sale.ts). The seed (CRM.COM guide, 000):
// "Spend is the awarded amount that will be deducted from the basket's total amount that the customer
// should pay for. The amount that a customer can spend is the total amount that the customer was
// awarded from previous purchases." Before: a spend took min(asked, balance) whatever the sale.
import t from 'tap';
import { award, basket, message, request, seededService, spend, voidTxn } from '../helpers/host-fixtures.ts';


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
