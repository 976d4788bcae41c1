import type { AwardResult, Params } from '../../protocol/local.ts';
import { answerOf, resultOf } from '../upstream/host-results.ts';
import type { OutboxRow } from '../upstream/outbox.ts';
import type { OpsContext } from './context.ts';
import { keepJson } from '../../runtime/kept-json.ts';
import { awardTexts, checkedAwardTexts } from './award-texts.ts';
import { isFastAward } from '../../protocol/fast-path.ts';
import { commitAndAwait, deadLetterError, fingerprint, fingerprintOf, newMessage } from './outcome.ts';
import { balanceAfterSpends as afterSpends, currentBalance, redemption, saleOf, type Sale } from './sale.ts';
import { followSale } from './display.ts';

/** Always accepted: committed first, then "awarded" if the host answers in time, else "queued". */
export async function award(ctx: OpsContext, p: Params<'award'>): Promise<AwardResult> {
  // Before the commit: a unit the host would refuse is the POS's mistake, not a dead letter.
  ctx.currencies.check(p.basket.currency);
  const payload = { customer_id: p.customer_id, basket: p.basket };
  // Link down: the answer will be "queued", so the first send already says so. Written out, not
  // `{ ...payload, pos_reduced: false }`: a key after a spread is defined through V8's slow path on
  // every call and the copy gets a map of its own, so each later read of its keys (the outbox's
  // sale_txn_id, pos_reduced below) missed the inline caches (~8 k instructions an offline award, issue 10).
  const stored = ctx.uplink.connected ? payload : { customer_id: p.customer_id, basket: p.basket, pos_reduced: false };
  // The fingerprint's canonical JSON and the stored JSON in one pass (award-texts.ts), without checking
  // the shape again when the fast path made the params; another shape the generic way (canonicalJson
  // here, JSON.stringify when the outbox stores it).
  const texts = isFastAward(p) ? checkedAwardTexts(p) : awardTexts(payload);
  if (texts) keepJson(stored, stored === payload ? texts.json : texts.offlineJson);
  const row = await commitAndAwait(ctx, newMessage(ctx, 'award', {
    txn_id: p.txn_id,
    fingerprint: texts ? fingerprintOf(texts.canonical) : fingerprint(payload),
    customer_id: p.customer_id,
    payload: stored,
    offline: false,
    amount: null,
    currency: p.basket.currency,
  }));
  const result = saleState(ctx, awardResult(queuedWithoutReductions(ctx, row)), row);
  // The customer display follows the sale (ops/index.ts dispatch leaves it to the award).
  followSale(ctx, 'award', p, result);
  return result;
}

/**
 * "queued" tells the POS of no instant or automatic spend, so it deducts none: the row must say so
 * to the host (pos_reduced: false) before the POS hears it. If the host already applied an earlier
 * send with reductions (a timeout), its dedup keeps that outcome and a repeated award reports it.
 */
function queuedWithoutReductions(ctx: OpsContext, row: OutboxRow): OutboxRow {
  if (row.state !== 'pending' || row.payload.pos_reduced === false) return row;
  return ctx.outbox.withholdReductions(row.id) ?? row;
}

/**
 * A repeated award reports the sale as it is now, not as it was when first awarded: after a void,
 * the current balance and (version 2) status "voided"; in version 2 the redemption total counts the
 * sale's spends too (CRM.COM Step 5: total_spend_amount = instant + additional + automatic).
 */
function saleState(ctx: OpsContext, out: AwardResult, row: OutboxRow): AwardResult {
  // The sale's void after this award, if any (one index probe: (txn_id, op) is unique; none when the
  // outbox knows no void was created since); its other rows, spends and
  // returns are read only when the answer needs them (an unvoided "queued" award, the offline case,
  // does not).
  const voidRow = ctx.outbox.findByTxnAfter('void', row.txn_id!, row.seq);
  const voided = voidRow && voidRow.state !== 'dead' ? voidRow : undefined;
  const wantsRedemption = ctx.protocol >= 2 && out.status === 'awarded' && !voided;
  if (!wantsRedemption && !voided) return out;
  const sale = saleOf(ctx, row.txn_id!);
  // This award as answered: the forwarder settles an online award's row just after the POS's answer
  // (forwarder.ts answerFirst), so the stored one may still be pending.
  if (sale.award?.id === row.id) sale.award = row;
  if (wantsRedemption) {
    const r = redemption(sale);
    out.additional_spend_amount = r.additional_spend_amount;
    out.total_spend_amount = r.total_spend_amount;
    // A return alone moves the balance too (its reversed award, a spend credited back).
    if (sale.spends.some((s) => s.state !== 'dead') || (sale.refunds ?? []).length > 0) balanceAfterSpends(ctx, out, row.customer_id, sale);
  }
  if (!voided) return out;
  const balance = voided.state === 'done' ? currentBalance(ctx, row.customer_id, sale) : undefined;
  if (balance) out.balance = balance;
  else delete out.balance;
  if (ctx.protocol < 2) return { ...out, voided: true };
  const v: AwardResult = {
    status: 'voided',
    txn_id: out.txn_id,
    currency: out.currency,
    void_status: voided.state === 'done' ? 'voided' : 'queued',
    ...(balance ? { balance } : {}),
  };
  // The award's answer is what was asked for: a void answer the till could not read leaves its amounts out.
  const reversed = resultOf(voided, 'void');
  if (reversed) {
    v.reversed_award_amount = reversed.reversed_award_amount;
    v.reversed_spend_amount = reversed.reversed_spend_amount;
  }
  return v;
}

/**
 * Version 2, an award repeated after spends or returns on its sale: its redemption total counts the
 * spends, so its balance is after them too, and after the returns, not the first answer's (LOCAL.md
 * "Redemption total", "Returns"). The latest known
 * balance (as after a void) less the customer's spends the host has not confirmed yet, as a spend
 * approved offline answered (ops/spend.ts). The money wallet in `wallets` says the same.
 */
function balanceAfterSpends(ctx: OpsContext, out: AwardResult, customerId: string | null, sale: Sale): void {
  const balance = afterSpends(ctx, customerId, sale, out.balance?.currency);
  if (!balance) return;
  out.balance = balance;
  if (out.wallets) out.wallets = out.wallets.map((w) => (w.currency === balance.currency ? balance : w));
}

export function awardResult(row: OutboxRow): AwardResult {
  const currency = row.currency ?? '';
  if (row.state === 'dead') throw deadLetterError(row);
  if (row.state === 'pending') return { status: 'queued', txn_id: row.txn_id!, currency };
  const r = answerOf(row, 'award');
  const out: AwardResult = {
    status: 'awarded', txn_id: row.txn_id!, currency,
    award_amount: r.award_amount,
    instant_spend_amount: r.instant_spend_amount,
    automatic_spend_amount: r.automatic_spend_amount,
    total_spend_amount: r.total_spend_amount,
    balance: r.balance,
    reduction: r.reduction,
    offers: r.offers,
  };
  if (r.points) out.points = r.points;
  if (r.wallets) out.wallets = r.wallets;
  if (r.unknown_skus && r.unknown_skus.length > 0) out.unknown_skus = r.unknown_skus;
  if (r.voucher) out.voucher = r.voucher;
  // Only when set (SessionM): the common answer gets no key, and false says no more than absent.
  if (r.award_pending) out.award_pending = true;
  return out;
}
