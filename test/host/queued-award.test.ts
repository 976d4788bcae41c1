// An award the till answered "queued" (payload pos_reduced: false): the POS deducted no instant or
// automatic spend, so the host takes none from the wallet; the purchase still earns its award.
// Without the field (older tills) the host applies them as before. Seed (CRM.COM guide, 000):
// "Spend is the awarded amount that will be deducted from the basket's total amount that the
// customer should pay for" — what the customer was not given off the basket is not spent.
import t from 'tap';
import { award, basket, message, request, seededService, spend } from '../helpers/host-fixtures.ts';

// P2 (Bruno) has automatic spend and 5.00; CROISSANT is an instant 0.50 offer, ALL10 10% on everything.
const b = basket([['CROISSANT', 200], ['COFFEE', 800]]);

const setup = seededService;

const queuedAward = (txn: string, id?: string) =>
  message('award', { customer_id: 'P2', basket: b, pos_reduced: false }, { txn_id: txn, ...(id ? { id } : {}) });

t.test('without pos_reduced (older till) the instant and automatic spends are taken as before', async (t) => {
  const { one, ledger } = await setup(t);
  t.match(one(request([award('P2', b, 'old')])), {
    award_amount: 150, instant_spend_amount: 50, automatic_spend_amount: 500, total_spend_amount: 550, balance: { amount: 100 },
  });
  t.equal(ledger.wallet('P2')!.balance, 100);
});

t.test('pos_reduced: false earns the award and spends nothing from the wallet', async (t) => {
  const { one, ledger } = await setup(t);
  const first = one(request([queuedAward('q', 'msg-q')]));
  t.match(first, { award_amount: 150, instant_spend_amount: 0, automatic_spend_amount: 0, total_spend_amount: 0, balance: { amount: 650 }, basket_total: 1000 });
  t.equal(ledger.wallet('P2')!.balance, 650, '5.00 + 1.50 earned, no reduction paid for');
  t.same(one(request([queuedAward('q', 'msg-q')])), first, 'a resend is the same outcome, applied once');
  t.equal(ledger.wallet('P2')!.balance, 650);
  // The whole basket is still to pay; what the wallet held before the sale is spendable.
  t.match(one(request([spend('P2', 2000, 'q')])), { spent_amount: 500, balance: { amount: 150 } });
});
