// The till's view of one sale (agent/ops/sale.ts): the redemption total (CRM.COM Step 5: "The
// total_spend_amount is also the sum of total_instant_spend_amount, total_additional_spend_amount
// and total_automatic_spend_amount") and what is left to pay, from outbox rows in each state.
import t from 'tap';
import type { OutboxRow } from '../../agent/upstream/outbox.ts';
import { awardCredit, redemption, remainingToPay } from '../../agent/ops/sale.ts';
import { awardAnswer, refundAnswer, spendAnswer } from '../helpers/host-answers.ts';

let seq = 0;
function row(op: OutboxRow['op'], fields: Partial<OutboxRow>): OutboxRow {
  seq++;
  return {
    seq, id: `m${seq}`, op, txn_id: 's1', fingerprint: 'f', customer_id: 'alice', payload: {}, offline: false, amount: null,
    currency: 'EUR', state: 'done', attempts: 1, result: null, error: null, created_at: '', updated_at: '', ...fields,
  };
}
const basket = { currency: 'EUR', total: 1000, items: [] };
const awarded = row('award', { payload: { basket }, result: awardAnswer({ award_amount: 150, instant_spend_amount: 50, automatic_spend_amount: 300 }) });

t.test('an answered award and an answered spend', async (t) => {
  const sale = { award: awarded, spends: [row('spend', { result: spendAnswer({ spent_amount: 200 }) })] };
  t.same(redemption(sale), { instant_spend_amount: 50, automatic_spend_amount: 300, additional_spend_amount: 200, total_spend_amount: 550 });
  t.equal(remainingToPay(sale), 450);
  t.equal(awardCredit(sale), 100, 'award − instant stays in the wallet');
});

t.test('a queued award counts no instant or automatic spend: the POS was told of none', async (t) => {
  const sale = { award: { ...awarded, state: 'pending' as const, result: null }, spends: [row('spend', { state: 'pending', offline: true, amount: 300 })] };
  t.same(redemption(sale), { instant_spend_amount: 0, automatic_spend_amount: 0, additional_spend_amount: 300, total_spend_amount: 300 });
  t.equal(remainingToPay(sale), 700);
  t.equal(awardCredit(sale), 0);
});

t.test('an online spend the host has not answered, or refused, counts nothing; no award: no remaining', async (t) => {
  const pending = row('spend', { state: 'pending', offline: false, amount: 300 });
  const dead = row('spend', { state: 'dead', amount: 300 });
  t.equal(redemption({ award: awarded, spends: [pending, dead] }).additional_spend_amount, 0);
  // ... but what is left to pay (the offline cap) holds whatever the host decides: it may take all it asked.
  t.equal(remainingToPay({ award: awarded, spends: [pending, dead] }), 350);
  t.equal(remainingToPay({ spends: [] }), undefined);
  t.equal(remainingToPay({ award: { ...awarded, result: awardAnswer({ award_amount: 150, instant_spend_amount: 50, automatic_spend_amount: 2000 }) }, spends: [] }), 0, 'never below 0');
});

t.test('returns lower what is left to pay: the returned share of the total, less the spends credited back', async (t) => {
  // Items 333 + 667 (total 1000), 200 spent; the 333 item returned.
  const sold = { currency: 'EUR', total: 1000, items: [{ sku: 'MUG', amount: 333 }, { sku: 'COFFEE', amount: 667 }] };
  const award = row('award', { payload: { basket: sold }, result: awardAnswer({ award_amount: 100 }) });
  const spent = row('spend', { result: spendAnswer({ spent_amount: 200 }) });
  const items = [{ sku: 'MUG', qty: 1, amount: 333 }];
  const queued = row('refund', { txn_id: 'r1', state: 'pending', payload: { sale_txn_id: 's1', items } });
  t.equal(remainingToPay({ award, spends: [spent], refunds: [queued] }), 467, 'a queued return credits nothing yet');
  t.equal(awardCredit({ award, spends: [spent], refunds: [queued] }), 100);
  const answered = { ...queued, state: 'done' as const, result: refundAnswer({ credited_spend_amount: 66, reversed_award_amount: 34 }) };
  t.equal(remainingToPay({ award, spends: [spent], refunds: [answered] }), 533);
  t.equal(awardCredit({ award, spends: [spent], refunds: [answered] }), 66, 'the reversed part of the award is no longer in the wallet');
  t.equal(remainingToPay({ award, spends: [spent], refunds: [{ ...queued, state: 'dead' as const }] }), 800, 'a refused return changes nothing');
  const all = row('refund', { txn_id: 'r2', payload: { sale_txn_id: 's1', items: [{ sku: 'COFFEE', qty: 2, amount: 667 }] }, result: refundAnswer({ credited_spend_amount: 134 }) });
  t.equal(remainingToPay({ award, spends: [spent], refunds: [answered, all] }), 0, 'everything returned: nothing left');
});
