// One sale as this till knows it (its outbox rows by txn_id), for the rules that tie a spend to
// its sale and give the redemption total. The CRM.COM seed (000), Step 5: "The total_spend_amount is
// also the sum of total_instant_spend_amount, total_additional_spend_amount and
// total_automatic_spend_amount as retrieved by the "purchases/create"".
import { returnedShareOfTotal } from '../../protocol/credit.ts';
import { clampToZero } from '../../protocol/money.ts';
import type { Money } from '../../protocol/money.ts';
import { balanceOf, resultOf } from '../upstream/host-results.ts';
import type { OutboxRow } from '../upstream/outbox.ts';
import type { OpsContext } from './context.ts';
import { lastKnownBalance } from './known-balance.ts';

export interface Sale {
  award?: OutboxRow;
  spends: OutboxRow[];
  void?: OutboxRow;
  /** The sale's returns (refund rows, keyed by refund_id) the host did not refuse. */
  refunds?: OutboxRow[];
}

/** rows: the outbox rows keyed by txnId (outbox.forTxn), when the caller has read them already. */
export function saleOf(ctx: OpsContext, txnId: string, rows: OutboxRow[] = ctx.outbox.forTxn(txnId)): Sale {
  const award = rows.find((r) => r.op === 'award');
  const voided = rows.find((r) => r.op === 'void');
  // The unnamed spend is keyed by the sale's txn_id; named ones (spend_id) name it in their payload.
  const spends = [...rows.filter((r) => r.op === 'spend'), ...ctx.outbox.forSale('spend', txnId)].sort((a, b) => a.seq - b.seq);
  const refunds = ctx.outbox.forSale('refund', txnId).filter((r) => r.state !== 'dead');
  return { spends, refunds, ...(award ? { award } : {}), ...(voided ? { void: voided } : {}) };
}

/**
 * Whether this till awarded the sale (an award the host did not refuse) and has not voided it (a void
 * the host refused voided nothing): then its basket, with the offers' discounts in it, is settled.
 */
export function awardedAndOpen(ctx: OpsContext, txnId: string): boolean {
  const award = ctx.outbox.findByTxn('award', txnId);
  if (award === undefined || award.state === 'dead') return false;
  const voided = ctx.outbox.findByTxn('void', txnId);
  return voided === undefined || voided.state === 'dead';
}

/** The sale a spend row belongs to: its payload's sale_txn_id (a named spend), else its own txn_id. */
export function saleTxnOf(row: OutboxRow): string {
  const sale = row.payload.sale_txn_id;
  return typeof sale === 'string' ? sale : row.txn_id!;
}

/** The redemption amounts of a sale; names map to CRM.COM's total_*_spend_amount (LOCAL.md). */
export interface Redemption {
  instant_spend_amount: number;
  automatic_spend_amount: number;
  additional_spend_amount: number;
  /** instant + additional + automatic: what the POS deducts from the bill (front-end reduction). */
  total_spend_amount: number;
}

/**
 * What the till has deducted or will deduct: an award the host has not answered has no instant or
 * automatic spend the POS knew of; a spend counts once the host answered it or the till approved
 * it offline.
 */
export function redemption(sale: Sale): Redemption {
  // An award answer the till could not read counts no reductions (UPSTREAM_BAD_ANSWER told the POS so).
  const awarded = sale.award ? resultOf(sale.award, 'award') : null;
  const instant = awarded?.instant_spend_amount ?? 0;
  const automatic = awarded?.automatic_spend_amount ?? 0;
  let additional = 0;
  for (const s of sale.spends) additional += spentBy(s);
  return {
    instant_spend_amount: instant,
    automatic_spend_amount: automatic,
    additional_spend_amount: additional,
    total_spend_amount: instant + automatic + additional,
  };
}

function spentBy(row: OutboxRow, unanswered = false): number {
  if (row.state === 'done') return resultOf(row, 'spend')?.spent_amount ?? 0;
  // An online spend the host has not answered yet may still take up to what it asked.
  if (row.state === 'pending' && (row.offline || unanswered)) return row.amount ?? 0;
  return 0;
}

/**
 * What is still to pay on the sale at this till: basket total − instant − automatic − earlier
 * spends (an online spend the host has not answered counts at what it asked: the offline cap must
 * hold whatever the host decides), lowered by its returns: the returned share of the total, less
 * the spends the host credited back (a return it has not answered credits nothing yet). undefined
 * when the till never awarded the sale.
 */
export function remainingToPay(sale: Sale): number | undefined {
  const basket = sale.award?.payload.basket as { total?: unknown; items?: Array<{ amount?: unknown }> } | undefined;
  if (typeof basket?.total !== 'number') return undefined;
  const r = redemption({ ...sale, spends: [] });
  let spent = 0;
  for (const s of sale.spends) spent += spentBy(s, true);
  const gross = (basket.items ?? []).reduce((sum, i) => sum + (typeof i.amount === 'number' ? i.amount : 0), 0);
  const { returned, credited } = returnsOf(sale);
  return clampToZero(basket.total - r.total_spend_amount - spent - returnedShareOfTotal(basket.total, returned, gross) + credited);
}

/** The sale's returns as the till knows them: the returned item amounts, and what the host credited back or reversed. */
function returnsOf(sale: Sale): { returned: number; credited: number; reversed: number } {
  const out = { returned: 0, credited: 0, reversed: 0 };
  for (const row of sale.refunds ?? []) {
    if (row.state === 'dead') continue;
    for (const item of (row.payload.items ?? []) as Array<{ amount: number }>) out.returned += item.amount;
    if (row.state !== 'done') continue;
    const r = resultOf(row, 'refund');
    out.credited += r?.credited_spend_amount ?? 0;
    out.reversed += r?.reversed_award_amount ?? 0;
  }
  return out;
}

/**
 * What this sale's award left in the wallet (award − instant spend − what answered returns took
 * back of it), once the host answered it.
 */
export function awardCredit(sale: Sale): number {
  const a = sale.award ? resultOf(sale.award, 'award') : null;
  return clampToZero((a?.award_amount ?? 0) - (a?.instant_spend_amount ?? 0) - returnsOf(sale).reversed);
}

/** The customer's balance as last known on this till (known-balance.ts), else the newest row of the sale. */
export function currentBalance(ctx: OpsContext, customerId: string | null, sale: Sale): Money | undefined {
  const known = customerId ? lastKnownBalance(ctx, customerId) : undefined;
  if (known) return known;
  const rows = [sale.void, ...sale.spends, sale.award].filter((r): r is OutboxRow => r?.state === 'done');
  rows.sort((a, b) => b.seq - a.seq);
  return rows.map(balanceOf).find((b) => b !== undefined);
}

/**
 * The customer's balance after every spend this till knows of: the latest known (currentBalance)
 * less the customer's spends the host has not confirmed yet, as a spend approved offline answers
 * it (ops/spend.ts). undefined when none is known in `currency`.
 */
export function balanceAfterSpends(ctx: OpsContext, customerId: string | null, sale: Sale, currency: string | undefined): Money | undefined {
  const known = currentBalance(ctx, customerId, sale);
  if (!known || customerId === null || known.currency !== currency) return undefined;
  return { amount: known.amount - ctx.outbox.pendingSpend(customerId, known.currency), currency: known.currency };
}
