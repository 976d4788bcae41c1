// Whole host answers (protocol/upstream.ts, hostResultSchemas) for tests that build outbox rows by
// hand: the till reads answers typed, so a row's result is a complete answer. Each builder starts
// from a valid answer in EUR with nothing in it and takes the fields the test is about.
import type { HostResult } from '../../protocol/upstream.ts';

const eur = (amount: number) => ({ amount, currency: 'EUR' });

export function awardAnswer(fields: Partial<HostResult<'award'>> = {}): HostResult<'award'> {
  return {
    currency: 'EUR', award_amount: 0, instant_spend_amount: 0, automatic_spend_amount: 0, total_spend_amount: 0,
    balance: eur(0), reduction: 'front_end', offers: [], ...fields,
  };
}

export function spendAnswer(fields: Partial<HostResult<'spend'>> = {}): HostResult<'spend'> {
  return { currency: 'EUR', spent_amount: 0, balance: eur(0), offline: false, ...fields };
}

export function voidAnswer(fields: Partial<HostResult<'void'>> = {}): HostResult<'void'> {
  return { reversed_award_amount: 0, reversed_spend_amount: 0, ...fields };
}

export function refundAnswer(fields: Partial<HostResult<'refund'>> = {}): HostResult<'refund'> {
  return {
    currency: 'EUR', sale_txn_id: 'sale-1', returned_amount: 0, reversed_award_amount: 0, unrecovered_award_amount: 0,
    credited_spend_amount: 0, ...fields,
  };
}
