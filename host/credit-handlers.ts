// Host side of refund vouchers and returns: the `refund` and `voucher.redeem` handlers, and the
// hooks the award and void handlers call (handlers.ts). Runs inside the batch transaction.
//
//   award (back_end, redemption > 0) → voucher issued for total_spend_amount, in the award answer
//   spend (online) on a back_end sale → voucher issued for spent_amount, in the spend answer
//   voucher.redeem                   → issued → redeemed (once); refused: an answer, not a failure
//   void of the sale that issued it  → issued → voided (a redeemed one is reported, not undone)
//   void of the sale that redeemed it → redeemed → issued again (reinstated)
//   refund                           → award (money and points) reversed in proportion, spends credited per policy
import type { Basket } from '../protocol/basket.ts';
import type { HostRefundResult, HostVoucherRedeemResult } from '../protocol/credit.ts';
import { AgentError } from '../protocol/errors.ts';
import type { HostAwardResult, HostSpendResult, HostVoidResult } from '../protocol/upstream.ts';
import { isPointsUnit } from '../protocol/money.ts';
import type { Rewards } from './engine.ts';
import type { MessageOf, OpContext } from './op-context.ts';
import type { Entry } from './ledger.ts';
import { decideReduction } from './reduction.ts';
import { computeRefund } from './refund-math.ts';
import { mapPacked } from '../runtime/packed.ts';

const permanent = (code: 'NOT_FOUND' | 'BAD_REQUEST' | 'CONFLICT', message: string) => new AgentError(code, message, false);

/** The purchase's reduction method by the host's rules (store, awarded offers). */
export function withReduction(ctx: OpContext, r: Rewards, store: string): Rewards {
  const reduction = decideReduction(ctx.settings.reduction, ctx.settings.reduction_rules ?? [], store, mapPacked(r.offers, (o) => o.id));
  return reduction === r.reduction ? r : { ...r, reduction };
}

/** After an award is booked: keep the basket for returns; back_end: the redemption becomes a voucher. */
export function afterAward(
  ctx: OpContext, m: MessageOf<'award'>, participantId: string, r: Rewards, result: HostAwardResult,
): HostAwardResult {
  const txnId = m.txn_id!;
  const basket: Basket = m.payload.basket;
  ctx.ledger.credit.recordSale({
    terminal: ctx.terminal, txn_id: txnId, participant_id: participantId, currency: r.currency, basket,
    award_amount: r.award_amount, reduction: r.reduction,
  });
  if (r.reduction !== 'back_end' || r.total_spend_amount <= 0) return result;
  const voucher = ctx.ledger.credit.issueVoucher({
    participant_id: participantId, amount: r.total_spend_amount, currency: r.currency, terminal: ctx.terminal, txn_id: txnId,
  }, m.id);
  return { ...result, voucher };
}

/**
 * An online spend on a back_end sale is credited as a voucher too: the customer pays in full.
 * An offline spend is not: the till approved it as a deduction without knowing the host's rule.
 */
export function afterSpend(ctx: OpContext, m: MessageOf<'spend'>, participantId: string, result: HostSpendResult): HostSpendResult {
  const txnId = m.payload.sale_txn_id ?? m.txn_id; // a named spend names its sale in the payload
  if (m.payload.offline || result.spent_amount <= 0 || txnId === null) return result;
  const sale = ctx.ledger.credit.sale(ctx.terminal, txnId);
  if (sale?.reduction !== 'back_end') return result;
  const voucher = ctx.ledger.credit.issueVoucher({
    participant_id: participantId, amount: result.spent_amount, currency: result.currency, terminal: ctx.terminal, txn_id: txnId,
  }, m.id);
  return { ...result, reduction: 'back_end', voucher };
}

export interface VoidCredit {
  /** What is left to reverse of a sale entry once its refunds are accounted for (positive = credit entry). */
  remaining(entry: Entry): number;
  /** Voids the sale's vouchers, reinstates those redeemed in it; the answer's `vouchers`. */
  vouchers(): NonNullable<HostVoidResult['vouchers']>;
}

/** A void after partial returns reverses only what the returns left; vouchers follow the sale. */
export function voidCredit(ctx: OpContext, txnId: string): VoidCredit {
  const store = ctx.ledger.credit;
  const totals = store.refundTotals(ctx.terminal, txnId);
  // Returns took back part of the award in the sale's money wallet and in each points wallet.
  const unit = store.sale(ctx.terminal, txnId)?.currency;
  const awardTaken = new Map<string, number>([...totals.points].map(([u, p]) => [u, p.reversed]));
  if (unit !== undefined) awardTaken.set(unit, totals.reversed_award_amount);
  let spendGiven = totals.credited_spend_amount;
  return {
    remaining(entry) {
      if (entry.kind === 'award') {
        const taken = awardTaken.get(entry.currency) ?? 0;
        const take = Math.min(taken, entry.amount);
        awardTaken.set(entry.currency, taken - take);
        return entry.amount - take;
      }
      if (entry.currency !== unit) return entry.amount;
      // Spends are negative entries; a return may already have credited part of them back.
      const give = Math.min(spendGiven, -entry.amount);
      spendGiven -= give;
      return entry.amount + give;
    },
    vouchers() {
      const { issued, redeemedHere } = store.vouchersOfSale(ctx.terminal, txnId);
      const out: NonNullable<HostVoidResult['vouchers']> = [];
      for (const v of issued) {
        if (v.state === 'issued') store.setVoucherState(v.code, 'voided');
        out.push({ code: v.code, amount: v.amount, currency: v.currency, state: v.state === 'redeemed' ? 'redeemed' : 'voided' });
      }
      for (const v of redeemedHere) {
        store.setVoucherState(v.code, 'issued');
        out.push({ code: v.code, amount: v.amount, currency: v.currency, state: 'reinstated' });
      }
      if (redeemedHere.length > 0 || issued.some((v) => v.state === 'redeemed')) {
        ctx.log.info({ terminal: ctx.terminal, txn_id: txnId, vouchers: out.map((v) => v.state) }, 'void: vouchers of the sale');
      }
      return out;
    },
  };
}

export function voucherRedeem(ctx: OpContext, m: MessageOf<'voucher.redeem'>): HostVoucherRedeemResult {
  const { code, currency, sale_txn_id: saleTxn } = m.payload;
  const store = ctx.ledger.credit;
  const v = store.voucher(code);
  // Never echo the code in a refusal: it is worth money to whoever reads the log.
  if (!v) return { redeemed: false, code: 'NOT_FOUND', message: 'no refund voucher with this code' };
  if (v.currency !== currency) {
    return { redeemed: false, code: 'BAD_REQUEST', message: `currency: the voucher is in ${v.currency}, not ${currency}` };
  }
  if (v.state === 'voided') return { redeemed: false, code: 'VOUCHER_VOIDED', message: 'this voucher was voided with the sale that issued it' };
  if (v.state === 'redeemed') return { redeemed: false, code: 'VOUCHER_REDEEMED', message: 'this voucher was already redeemed' };
  store.markRedeemed(code, ctx.terminal, saleTxn);
  return { redeemed: true, voucher: { code: v.code, amount: v.amount, currency: v.currency } };
}

export function refund(ctx: OpContext, m: MessageOf<'refund'>): HostRefundResult {
  const refundId = m.txn_id;
  if (refundId === null || refundId === '') throw permanent('BAD_REQUEST', 'txn_id: a refund message carries its refund_id as txn_id');
  const { sale_txn_id: saleTxn, items, currency } = m.payload;
  const store = ctx.ledger.credit;
  const sale = store.sale(ctx.terminal, saleTxn);
  if (!sale) throw permanent('NOT_FOUND', `no awarded sale ${saleTxn} from this till (a return goes to the till that made the sale)`);
  if (sale.currency !== currency) throw permanent('BAD_REQUEST', `currency: sale ${saleTxn} was in ${sale.currency}, not ${currency}`);
  if (store.saleVoided(ctx.terminal, saleTxn)) throw permanent('CONFLICT', `sale ${saleTxn} was voided: nothing left to return`);
  // A points-only customer has no money wallet: the sale then awarded and spent no money either.
  const wallet = ctx.ledger.walletIn(sale.participant_id, sale.currency);
  const spent = store.saleSpends(ctx.terminal, saleTxn, currency);
  if (!wallet && (sale.award_amount > 0 || spent > 0)) throw permanent('NOT_FOUND', `no ${currency} wallet for the sale's customer`);
  const before = store.refundTotals(ctx.terminal, saleTxn);
  const outcome = computeRefund({
    basket: sale.basket, award_amount: sale.award_amount, spent_amount: spent,
    before, items, balance: wallet?.balance ?? 0, spend_credit: ctx.settings.refunds?.spend_credit ?? 'proportional',
    points: pointsAwarded(ctx, saleTxn, sale.participant_id),
  });
  const base = {
    participant_id: sale.participant_id, terminal: ctx.terminal, txn_id: saleTxn, message_id: m.id, currency,
    kind: 'reversal' as const, note: `refund ${refundId}`,
  };
  let balance = wallet?.balance ?? 0;
  // Credit first: the reversal after it may use it (computeRefund assumed this order).
  if (outcome.credited_spend_amount > 0) balance = ctx.ledger.append({ ...base, amount: outcome.credited_spend_amount });
  if (outcome.reversed_award_amount > 0) balance = ctx.ledger.append({ ...base, amount: -outcome.reversed_award_amount });
  for (const p of outcome.points) if (p.reversed > 0) ctx.ledger.append({ ...base, currency: p.currency, amount: -p.reversed });
  store.recordRefund({
    terminal: ctx.terminal, refund_id: refundId, txn_id: saleTxn, message_id: m.id,
    items: items.map((i) => ({ sku: i.sku, qty: i.qty, amount: i.amount })), ...outcome,
    spent_before: spent, returned_before: before.returned_amount,
  });
  const unrecoveredPoints = outcome.points.filter((p) => p.unrecovered > 0);
  if (outcome.unrecovered_award_amount > 0 || unrecoveredPoints.length > 0) {
    ctx.log.info({
      terminal: ctx.terminal, txn_id: saleTxn, refund_id: refundId, unrecovered: outcome.unrecovered_award_amount,
      unrecovered_points: unrecoveredPoints.map((p) => ({ amount: p.unrecovered, currency: p.currency })),
    }, 'refund: the balance stops at zero, part of the award was not recovered');
  }
  const { points, ...money } = outcome;
  const result: HostRefundResult = { currency, sale_txn_id: saleTxn, ...money };
  if (wallet) result.balance = { amount: balance, currency };
  if (points.length > 0) {
    result.reversed_points = points.map((p) => ({ amount: p.reversed, currency: p.currency }));
    result.unrecovered_points = points.map((p) => ({ amount: p.unrecovered, currency: p.currency }));
    result.wallets = ctx.ledger.wallets(sale.participant_id).map((w) => ({ amount: w.balance, currency: w.currency }));
  }
  return result;
}

/** The points the sale earned, per points unit, with the wallet's balance now. */
function pointsAwarded(ctx: OpContext, txnId: string, participantId: string): Array<{ unit: string; awarded: number; balance: number }> {
  const awarded = new Map<string, number>();
  for (const e of ctx.ledger.reversibleEntries(ctx.terminal, txnId)) {
    if (e.kind !== 'award' || e.participant_id !== participantId || !isPointsUnit(e.currency)) continue;
    awarded.set(e.currency, (awarded.get(e.currency) ?? 0) + e.amount);
  }
  return [...awarded].map(([unit, amount]) => ({ unit, awarded: amount, balance: ctx.ledger.walletIn(participantId, unit)?.balance ?? 0 }));
}
