// Pure: what a return takes back and gives back. Integer minor units only.
//
// Issue 8 item 9: "the award is reversed in proportion to the returned amount, rounded in the
// merchant's favour, never below zero; spends on that sale are credited back as the merchant
// configures". Anchors: Square prorates the deduction by the refunded amount, never deducts more
// than the sale earned and stops the balance at zero; it does not give back redeemed rewards
// (our `none`). Talon.One rolls a returned item's effects back (our `proportional`).
//
// Every figure is computed on the sale's running total of returned goods, then the earlier
// refunds are subtracted: rounding never accumulates, and returning everything (in any number of
// steps) reverses exactly the award and credits exactly the spends. A spend made after a return
// paid for the goods still kept then, so a later return credits it in proportion to those goods
// only (its share of the whole basket would credit more than the returned goods are worth). Points a sale earned (a points
// wallet such as PTS) are reversed by the same rule as the money award, each wallet stopping at zero.
import { AgentError } from '../protocol/errors.ts';
import { returnProblem, type ReturnedItem } from '../protocol/credit.ts';
import type { Basket } from '../protocol/basket.ts';
import { prorate } from '../protocol/money.ts';
import type { RefundTotals } from './credit-store.ts';

export const SPEND_CREDITS = ['none', 'proportional', 'full_return'] as const;
/** How spends on a sale come back on a return: never, in proportion, or once everything is returned. */
export type SpendCredit = (typeof SPEND_CREDITS)[number];

export interface RefundInput {
  basket: Basket;
  award_amount: number;
  /** The sale's spends now (all of them, also those made after earlier returns). */
  spent_amount: number;
  before: RefundTotals;
  items: readonly ReturnedItem[];
  /** The wallet balance now, before this refund. */
  balance: number;
  spend_credit: SpendCredit;
  /** Points wallets the sale credited (seed 004 point accounts): what it awarded and the balance now. */
  points?: ReadonlyArray<{ unit: string; awarded: number; balance: number }>;
}

/** One points unit of a return: taken back from its wallet, and what a zero balance left behind. */
export interface PointsReversal {
  currency: string;
  reversed: number;
  unrecovered: number;
}

export interface RefundOutcome {
  returned_amount: number;
  reversed_award_amount: number;
  unrecovered_award_amount: number;
  credited_spend_amount: number;
  /** Per points unit the sale awarded, in the order given. */
  points: PointsReversal[];
}


/** ceil(amount * numerator / denominator) in integer arithmetic. */
export function prorateUp(amount: number, numerator: number, denominator: number): number {
  if (denominator === 0) return 0;
  const d = BigInt(denominator);
  return Number((BigInt(amount) * BigInt(numerator) + d - 1n) / d);
}

/** Returned items against the sale and earlier returns; throws BAD_REQUEST naming the item. */
export function checkReturnedItems(basket: Basket, before: RefundTotals, items: readonly ReturnedItem[]): number {
  const problem = returnProblem(basket, before.returned, items);
  if (problem !== undefined) throw new AgentError('BAD_REQUEST', problem, false);
  return items.reduce((sum, item) => sum + item.amount, 0);
}

export function computeRefund(input: RefundInput): RefundOutcome {
  const { basket, before } = input;
  const returned = checkReturnedItems(basket, before, input.items);
  const gross = basket.items.reduce((sum, item) => sum + item.amount, 0);
  const returnedSoFar = before.returned_amount + returned;

  let credit = 0;
  if (input.spend_credit === 'proportional') {
    // Floored: a credit rounds in the merchant's favour by giving back less.
    const owed = spendTranches(input.spent_amount, before).reduce(
      (sum, t) => sum + (gross > t.returned_before ? prorate(t.amount, returnedSoFar - t.returned_before, gross - t.returned_before) : 0), 0);
    credit = owed - before.credited_spend_amount;
  } else if (input.spend_credit === 'full_return' && returnedSoFar === gross) {
    credit = input.spent_amount - before.credited_spend_amount;
  }
  credit = Math.max(0, credit);

  // The spend credit lands first; the reversal then stops at a zero balance (Square's rule).
  const money = reverse(input.award_amount, returnedSoFar, gross, before.reversed_award_amount + before.unrecovered_award_amount, input.balance + credit);
  // Points the sale earned go back the same way, each wallet on its own (never against money).
  const points = (input.points ?? []).map((p) => {
    const earlier = before.points.get(p.unit);
    const r = reverse(p.awarded, returnedSoFar, gross, (earlier?.reversed ?? 0) + (earlier?.unrecovered ?? 0), p.balance);
    return { currency: p.unit, reversed: r.reversed, unrecovered: r.unrecovered };
  });
  return {
    returned_amount: returned,
    reversed_award_amount: money.reversed,
    unrecovered_award_amount: money.unrecovered,
    credited_spend_amount: credit,
    points,
  };
}

/**
 * The sale's spends grouped by what had been returned when they were made: those before the first
 * return, those between each two returns, those since the last. Returns recorded before the
 * snapshot existed (or spends that went down, which no op does) give the earlier rule: every
 * spend counted against the whole basket.
 */
export function spendTranches(spentNow: number, before: RefundTotals): Array<{ returned_before: number; amount: number }> {
  const snapshots = before.spends_at_returns;
  const legacy = [{ returned_before: 0, amount: spentNow }];
  if (snapshots === null) return legacy;
  const ordered = [...snapshots].sort((a, b) => a.returned_before - b.returned_before);
  const tranches: Array<{ returned_before: number; amount: number }> = [];
  let spentBefore = 0;
  for (const s of ordered) {
    tranches.push({ returned_before: s.returned_before, amount: s.spent - spentBefore });
    spentBefore = s.spent;
  }
  tranches.push({ returned_before: before.returned_amount, amount: spentNow - spentBefore });
  return tranches.some((t) => t.amount < 0) ? legacy : tranches.filter((t) => t.amount > 0);
}

/**
 * The part of `awarded` a return takes back: ceiled (the merchant's favour), never past the award,
 * on the running total so rounding never adds up; less what earlier returns took (or could not);
 * stopped at a zero balance.
 */
export function reverse(awarded: number, returnedSoFar: number, gross: number, takenBefore: number, balance: number): { reversed: number; unrecovered: number } {
  const target = Math.min(awarded, prorateUp(awarded, returnedSoFar, gross));
  const due = Math.max(0, target - takenBefore);
  const reversed = Math.min(due, Math.max(0, balance));
  return { reversed, unrecovered: due - reversed };
}
