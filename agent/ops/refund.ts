// refund: a return of some or all of a sale's items. Like void it is always accepted once the
// sale is known on this till (committed to the outbox, fsynced, then "refunded" when the host
// answers in time, else "queued"); unlike void there may be several per sale, each idempotent
// by its own refund_id (the outbox row's txn_id). The host reverses the award (money and points)
// in proportion to what came back and credits the sale's spends as the merchant configured
// (host/README.md).
import type { Basket } from '../../protocol/basket.ts';
import { returnProblem, type RefundResult } from '../../protocol/credit.ts';
import { AgentError } from '../../protocol/errors.ts';
import type { Params } from '../../protocol/local.ts';
import { answerOf } from '../upstream/host-results.ts';
import type { OutboxRow } from '../upstream/outbox.ts';
import type { OpsContext } from './context.ts';
import { awaitAnswer, commitAndAwait, deadLetterError, fingerprint, newMessage } from './outcome.ts';

export async function refund(ctx: OpsContext, p: Params<'refund'>): Promise<RefundResult> {
  const payload = {
    sale_txn_id: p.txn_id, currency: p.currency, items: p.items, ...(p.reason !== undefined ? { reason: p.reason } : {}),
  };
  const existing = ctx.outbox.findByTxn('refund', p.refund_id);
  if (existing) {
    if (existing.fingerprint !== fingerprint(payload)) {
      throw new AgentError('CONFLICT', `refund ${p.refund_id} was already submitted with different content`);
    }
    return refundResult(await awaitAnswer(ctx, existing), p);
  }
  // A host without returns (SessionM, CRM.COM) would dead-letter it, after a "queued" answer offline.
  ctx.hostOps.check('refund');
  const sale = ctx.outbox.forTxn(p.txn_id);
  const award = sale.find((r) => r.op === 'award');
  if (!award) throw new AgentError('NOT_FOUND', `params.txn_id: no award with txn_id ${p.txn_id} on this till (a return goes to the till that made the sale)`);
  if (sale.some((r) => r.op === 'void')) throw new AgentError('CONFLICT', `params.txn_id: sale ${p.txn_id} was voided, nothing left to return`);
  if (award.state === 'dead') throw new AgentError('CONFLICT', `params.txn_id: the award of sale ${p.txn_id} was refused by the host (dead letter ${award.id})`);
  if (award.currency !== p.currency) throw new AgentError('BAD_REQUEST', `params.currency: sale ${p.txn_id} was in ${award.currency}, not ${p.currency}`);
  // Nothing is committed for a return the sale cannot have had, counting its earlier returns here
  // (the host checks again: another return may have reached it from a restored till).
  const problem = returnProblem(award.payload.basket as Basket, returnedBefore(ctx, p.txn_id), p.items);
  if (problem !== undefined) throw new AgentError('BAD_REQUEST', `params.${problem}`);
  const row = await commitAndAwait(ctx, newMessage(ctx, 'refund', {
    txn_id: p.refund_id,
    fingerprint: fingerprint(payload),
    customer_id: award.customer_id,
    payload: { ...payload, customer_id: award.customer_id },
    offline: false,
    amount: null,
    currency: p.currency,
  }));
  return refundResult(row, p);
}

function returnedBefore(ctx: OpsContext, txnId: string): Map<string, { amount: number; qty: number }> {
  const out = new Map<string, { amount: number; qty: number }>();
  for (const row of ctx.outbox.forSale('refund', txnId)) {
    if (row.state === 'dead') continue;
    for (const item of row.payload.items as Array<{ sku: string; qty: number; amount: number }>) {
      const seen = out.get(item.sku) ?? { amount: 0, qty: 0 };
      out.set(item.sku, { amount: seen.amount + item.amount, qty: seen.qty + Math.round(item.qty * 1000) });
    }
  }
  return out;
}

function refundResult(row: OutboxRow, p: Params<'refund'>): RefundResult {
  if (row.state === 'dead') throw deadLetterError(row);
  const returned = p.items.reduce((sum, i) => sum + i.amount, 0);
  const base = { refund_id: p.refund_id, txn_id: p.txn_id, currency: p.currency, returned_amount: returned };
  if (row.state === 'pending') return { status: 'queued', ...base };
  const r = answerOf(row, 'refund');
  const out: RefundResult = {
    status: 'refunded', ...base,
    reversed_award_amount: r.reversed_award_amount,
    unrecovered_award_amount: r.unrecovered_award_amount,
    credited_spend_amount: r.credited_spend_amount,
  };
  if (r.balance) out.balance = r.balance;
  // Points the sale earned come back with it (host refund-math.ts); every wallet after.
  if (r.reversed_points) out.reversed_points = r.reversed_points;
  if (r.unrecovered_points) out.unrecovered_points = r.unrecovered_points;
  if (r.wallets) out.wallets = r.wallets;
  return out;
}
