import type { AwardResult, OfferAward, Params } from '../../protocol/local.ts';
import type { Money } from '../../protocol/money.ts';
import type { OutboxRow } from '../outbox.ts';
import type { OpsContext } from './context.ts';
import { commit, deadLetterError, fingerprint, newMessage, num, settle } from './outcome.ts';

/** Always accepted: committed first, then "awarded" if the host answers in time, else "queued". */
export async function award(ctx: OpsContext, p: Params<'award'>): Promise<AwardResult> {
  const payload = { customer_id: p.customer_id, basket: p.basket };
  const row = await commit(ctx, newMessage(ctx, 'award', {
    txn_id: p.txn_id,
    fingerprint: fingerprint(payload),
    customer_id: p.customer_id,
    payload,
    offline: false,
    amount: null,
    currency: p.basket.currency,
  }));
  return awardResult(await settle(ctx, row));
}

export function awardResult(row: OutboxRow): AwardResult {
  const currency = row.currency ?? '';
  if (row.state === 'dead') throw deadLetterError(row);
  if (row.state === 'pending') return { status: 'queued', txn_id: row.txn_id!, currency };
  const r = row.result;
  const out: AwardResult = { status: 'awarded', txn_id: row.txn_id!, currency };
  for (const key of ['award_amount', 'instant_spend_amount', 'automatic_spend_amount', 'total_spend_amount'] as const) {
    const v = num(r, key);
    if (v !== undefined) out[key] = v;
  }
  if (r?.balance) out.balance = r.balance as Money;
  if (r?.reduction === 'front_end' || r?.reduction === 'back_end') out.reduction = r.reduction;
  if (Array.isArray(r?.offers)) out.offers = r.offers as OfferAward[];
  return out;
}
