// The result schema of each durable op (protocol/upstream.ts, hostResultSchemas): what the till
// checks every ok answer against where it arrives. Each op's typical answer parses; a wrong one is
// refused with the fields named under `result.` and its values never quoted; fields the till does
// not know are left out of what it reads.
import t from 'tap';
import { DURABLE_OPS, hostResultSchemas, parseHostResult, type DurableOp } from '../../protocol/upstream.ts';

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const voucher = { code: 'RV-7K2M9Q4T8B3D', amount: 300, currency: 'EUR' };

const answers: Record<DurableOp, unknown[]> = {
  award: [{
    currency: 'EUR', award_amount: 150, instant_spend_amount: 50, automatic_spend_amount: 0, total_spend_amount: 50,
    balance: eur(1100), reduction: 'front_end', offers: [{ id: 'B', name: '5%', award_amount: 50, points: { amount: 5, currency: 'PTS' } }],
    points: [{ amount: 5, currency: 'PTS' }], wallets: [eur(1100), { amount: 5, currency: 'PTS' }], unknown_skus: ['X'], basket_total: 1000,
  }, {
    currency: 'EUR', award_amount: 0, instant_spend_amount: 0, automatic_spend_amount: 300, total_spend_amount: 300,
    balance: { amount: 102, currency: 'PTS' }, reduction: 'back_end', offers: [], voucher,
  }],
  spend: [{ currency: 'EUR', spent_amount: 200, balance: eur(900), offline: false }, { currency: 'EUR', spent_amount: 150, balance: eur(-50), offline: true, reduction: 'back_end', voucher }],
  void: [{ reversed_award_amount: 0, reversed_spend_amount: 0 }, {
    currency: 'EUR', reversed_award_amount: 105, reversed_spend_amount: 200, balance: eur(2500), reversed_points: [{ amount: 5, currency: 'PTS' }],
    wallets: [eur(2500)], reinstated_offers: ['UO-1'], vouchers: [{ ...voucher, state: 'voided' }],
  }],
  'products.sync': [{ accepted: 3 }, { accepted: 5, complete: true, deleted: 2 }],
  redeem: [
    { status: 'redeemed', offer_id: 'UO-1', name: '2.00 off', discount_amount: 200, currency: 'EUR' },
    { status: 'refused', offer_id: 'UO-1', code: 'OFFER_LOCKED', message: 'held by another sale' },
  ],
  reinstate: [{ offer_id: 'UO-1', reinstated_discount_amount: 200, currency: 'EUR' }],
  refund: [{
    currency: 'EUR', sale_txn_id: 's1', returned_amount: 333, reversed_award_amount: 34, unrecovered_award_amount: 0, credited_spend_amount: 49,
    balance: eur(965), reversed_points: [{ amount: 2, currency: 'PTS' }], unrecovered_points: [], wallets: [eur(965)],
  }],
  'voucher.redeem': [{ redeemed: true, voucher }, { redeemed: false, code: 'VOUCHER_REDEEMED', message: 'this voucher was already redeemed' }],
};

t.test('every durable op has a result schema, and its answers parse', async (t) => {
  t.same(Object.keys(hostResultSchemas).sort(), [...DURABLE_OPS].sort());
  for (const op of DURABLE_OPS) {
    for (const answer of answers[op]) t.same(parseHostResult(op, answer), { ok: true, value: answer }, op);
  }
});

t.test('a wrong answer names its fields under result., never their values', async (t) => {
  const award = answers.award[0] as Record<string, unknown>;
  const bad = parseHostResult('award', { ...award, award_amount: '150', balance: { amount: 10.5, currency: 'EUR' }, reduction: 'sideways' });
  t.equal(bad.ok, false);
  const errors = bad.ok ? [] : bad.errors;
  t.match(errors.join('\n'), /result\.award_amount: /);
  t.match(errors.join('\n'), /result\.balance\.amount: /);
  t.match(errors.join('\n'), /result\.reduction: /);
  t.notMatch(errors.join('\n'), /sideways|10\.5/, 'values are not quoted (a voucher code would be worth money in a log)');
  t.match(parseHostResult('spend', award), { ok: false, errors: [/result\.spent_amount: is required/] }, "an award's answer is not a spend's");
  t.match(parseHostResult('void', null), { ok: false, errors: [/^result: /] });
  const code = parseHostResult('voucher.redeem', { redeemed: false, code: 'RV-7K2M9Q4T8B3D', message: 'x' });
  t.equal(code.ok, false);
  t.notMatch(code.ok ? '' : code.errors.join('\n'), /RV-7K2M9Q4T8B3D/, 'not even a voucher code in the wrong place');
});

t.test('fields the till does not know are left out of what it reads', async (t) => {
  const r = parseHostResult('reinstate', { offer_id: 'UO-1', reinstated_discount_amount: 200, currency: 'EUR', from_a_newer_host: 1 });
  t.same(r, { ok: true, value: { offer_id: 'UO-1', reinstated_discount_amount: 200, currency: 'EUR' } });
});
