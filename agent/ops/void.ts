import { AgentError } from '../../protocol/errors.ts';
import type { Params, VoidResult } from '../../protocol/local.ts';
import type { Money } from '../../protocol/money.ts';
import type { OpsContext } from './context.ts';
import { awaitAnswer, commit, deadLetterError, fingerprint, newMessage, num } from './outcome.ts';

/** Reverses the award and spends of a sale. Always accepted once the sale is known here. */
export async function voidTxn(ctx: OpsContext, p: Params<'void'>): Promise<VoidResult> {
  const sale = ctx.outbox.forTxn(p.txn_id).filter((r) => r.op === 'award' || r.op === 'spend');
  // A sale may have only offer redemptions: voiding it gives them back.
  if (sale.length === 0) sale.push(...ctx.outbox.redemptionsOf(p.txn_id));
  if (sale.length === 0) throw new AgentError('NOT_FOUND', `no award, spend or redemption with txn_id ${p.txn_id} on this till`);
  const payload = p.reason === undefined ? {} : { reason: p.reason };
  const first = sale[0]!;
  const row = await awaitAnswer(ctx, await commit(ctx, newMessage(ctx, 'void', {
    txn_id: p.txn_id,
    fingerprint: fingerprint(payload),
    customer_id: first.customer_id,
    payload,
    offline: false,
    amount: null,
    currency: first.currency,
  })));
  if (row.state === 'dead') throw deadLetterError(row);
  if (row.state === 'pending') return { status: 'queued', txn_id: p.txn_id, ...(row.currency ? { currency: row.currency } : {}) };
  const out: VoidResult = {
    status: 'voided',
    txn_id: p.txn_id,
    reversed_award_amount: num(row.result, 'reversed_award_amount') ?? 0,
    reversed_spend_amount: num(row.result, 'reversed_spend_amount') ?? 0,
  };
  if (row.currency) out.currency = row.currency;
  if (row.result?.balance) out.balance = row.result.balance as Money;
  if (Array.isArray(row.result?.reinstated_offers)) out.reinstated_offers = row.result.reinstated_offers as string[];
  if (Array.isArray(row.result?.reversed_points)) out.reversed_points = row.result.reversed_points as Money[];
  if (Array.isArray(row.result?.wallets)) out.wallets = row.result.wallets as Money[];
  if (Array.isArray(row.result?.vouchers)) out.vouchers = row.result.vouchers as NonNullable<VoidResult['vouchers']>;
  return out;
}
