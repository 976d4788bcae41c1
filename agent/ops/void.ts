import { AgentError } from '../../protocol/errors.ts';
import type { Params, VoidResult } from '../../protocol/local.ts';
import { answerOf, resultOf } from '../upstream/host-results.ts';
import type { OutboxRow } from '../upstream/outbox.ts';
import type { OpsContext } from './context.ts';
import { commitAndAwait, deadLetterError, fingerprint, newMessage } from './outcome.ts';

/** Reverses the award and spends of a sale. Always accepted once the sale is known here. */
export async function voidTxn(ctx: OpsContext, p: Params<'void'>): Promise<VoidResult> {
  const sale = ctx.outbox.forTxn(p.txn_id).filter((r) => r.op === 'award' || r.op === 'spend');
  // A sale may have only offer redemptions: voiding it gives them back.
  if (sale.length === 0) sale.push(...ctx.outbox.redemptionsOf(p.txn_id));
  // Or be paid only with a voucher (no loyalty customer): voiding it gives the voucher back, as the
  // answer of a voucher.redeem the host did not answer in time says. One the host refused took nothing.
  if (sale.length === 0) sale.push(...ctx.outbox.forSale('voucher.redeem', p.txn_id).filter(tookVoucher));
  if (sale.length === 0) throw new AgentError('NOT_FOUND', `no award, spend or redemption with txn_id ${p.txn_id} on this till`);
  // A host without voids (SessionM) would dead-letter it, after a "queued" answer offline; a void
  // already committed is answered as before (commitAndAwait).
  if (!ctx.outbox.findByTxn('void', p.txn_id)) ctx.hostOps.check('void');
  const payload = p.reason === undefined ? {} : { reason: p.reason };
  const first = sale[0]!;
  const row = await commitAndAwait(ctx, newMessage(ctx, 'void', {
    txn_id: p.txn_id,
    fingerprint: fingerprint(payload),
    customer_id: first.customer_id,
    payload,
    offline: false,
    amount: null,
    currency: first.currency,
  }));
  if (row.state === 'dead') throw deadLetterError(row);
  if (row.state === 'pending') return { status: 'queued', txn_id: p.txn_id, ...(row.currency ? { currency: row.currency } : {}) };
  const r = answerOf(row, 'void');
  const out: VoidResult = {
    status: 'voided',
    txn_id: p.txn_id,
    reversed_award_amount: r.reversed_award_amount,
    reversed_spend_amount: r.reversed_spend_amount,
  };
  if (row.currency) out.currency = row.currency;
  if (r.balance) out.balance = r.balance;
  if (r.reinstated_offers) out.reinstated_offers = r.reinstated_offers;
  if (r.reversed_points) out.reversed_points = r.reversed_points;
  if (r.wallets) out.wallets = r.wallets;
  if (r.vouchers) out.vouchers = r.vouchers;
  return out;
}

/** A voucher.redeem row that took (or may yet take: not answered) the voucher. */
function tookVoucher(row: OutboxRow): boolean {
  if (row.state === 'pending') return true;
  if (row.state !== 'done') return false;
  const result = resultOf(row, 'voucher.redeem');
  return result === null || result.redeemed; // null: an answer the till could not read
}
