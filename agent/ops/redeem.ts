// redeem / reinstate one offer redemption (SessionM Immediate Redeem / Reinstate). A redemption
// takes value (the POS gives the discount), so both are money requests: committed to the
// outbox (fsync) before any answer, sent with the row's message id, deduplicated upstream by
// (till, op, redemption_id) — the upstream txn_id of both is the redemption_id.
//
// redeem needs the host: only it knows whether the offer is still unused. Offline nothing is
// committed (UPSTREAM_UNAVAILABLE): a till approving it alone could let one offer be used at two
// tills. reinstate only gives value back, so like void it is accepted offline too (queued) — but
// not once its sale was awarded with the discount (refuseAfterAward): then the sale's void gives it back.
import { AgentError } from '../../protocol/errors.ts';
import type { Params } from '../../protocol/local.ts';
import { redeemAfterAward, reinstateAfterAward } from '../../protocol/offers.ts';
import { answerOf, resultOf } from '../upstream/host-results.ts';
import type { OutboxRow } from '../upstream/outbox.ts';
import type { OpsContext } from './context.ts';
import { awardedAndOpen } from './sale.ts';
import { inParamsTerms } from './host-refusal.ts';
import { awaitAnswer, commit, deadLetterError, fingerprint, newMessage, sameToHost } from './outcome.ts';

export interface RedeemResult {
  status: 'redeemed';
  redemption_id: string;
  txn_id: string;
  offer_id: string;
  name: string;
  discount_amount: number;
  currency: string;
}

export type ReinstateResult =
  | { status: 'reinstated'; redemption_id: string; offer_id: string; reinstated_discount_amount: number; currency: string }
  | { status: 'queued'; redemption_id: string };

export async function redeem(ctx: OpsContext, p: Params<'redeem'>): Promise<RedeemResult> {
  const payload = { txn_id: p.txn_id, customer_id: p.customer_id, offer_id: p.offer_id, basket: p.basket };
  const print = fingerprint(payload);
  const existing = ctx.outbox.findByTxn('redeem', p.redemption_id);
  if (existing) {
    if (existing.fingerprint !== print && !sameToHost(ctx, payload, existing)) {
      throw new AgentError('CONFLICT', `redemption ${p.redemption_id} was already submitted with different content`);
    }
    return redeemResult(ctx, await awaitAnswer(ctx, existing));
  }
  ctx.hostOps.check('redeem');
  // After the sale's award the discount can no longer be in its basket: the award was computed on
  // the full price, and the offer would be used up for a discount the POS gives outside the sale.
  // A voided sale is refused as voided, by the outbox.
  if (awardedAndOpen(ctx, p.txn_id)) throw new AgentError('CONFLICT', `${redeemAfterAward(p.txn_id)} (nothing was committed)`);
  if (!ctx.uplink.connected) {
    throw new AgentError('UPSTREAM_UNAVAILABLE', 'the loyalty host is not reachable: an offer can only be redeemed online (nothing was committed)');
  }
  const row = await commit(ctx, newMessage(ctx, 'redeem', {
    txn_id: p.redemption_id, fingerprint: print, customer_id: p.customer_id, payload, offline: false, amount: null, currency: p.basket.currency,
  }));
  return redeemResult(ctx, await awaitAnswer(ctx, row));
}

function redeemResult(ctx: OpsContext, row: OutboxRow): RedeemResult {
  const redemptionId = row.txn_id!;
  if (row.state === 'dead') throw deadLetterError(row);
  if (row.state === 'pending') {
    const what = `the redemption is committed and will be applied: repeat the same redeem to learn its outcome, or reinstate ${redemptionId}`;
    // Committed: UPSTREAM_TIMEOUT also when the link dropped meanwhile (UPSTREAM_UNAVAILABLE: nothing was committed).
    const why = ctx.uplink.connected ? 'did not answer the redeem in time' : 'became unreachable before it answered the redeem';
    throw new AgentError('UPSTREAM_TIMEOUT', `the loyalty host ${why}; ${what}`);
  }
  const r = answerOf(row, 'redeem');
  // The host's refusal is final for this redemption_id (a repeat gets it again): not retryable.
  if (r.status === 'refused') throw new AgentError(r.code, inParamsTerms('redeem', r.message), false);
  return {
    status: 'redeemed', redemption_id: redemptionId, txn_id: String(row.payload.txn_id), offer_id: r.offer_id, name: r.name,
    discount_amount: r.discount_amount, currency: r.currency,
  };
}

/**
 * A new reinstate of a redemption whose sale this till has awarded (the award not refused by the
 * host) and not voided, with a host that voids sales: CONFLICT, nothing committed. The award's basket carried the discount, so
 * giving the offer back would let it be used twice; the host refuses it too (host/offer-handlers.ts),
 * and a committed reinstate it refused would only be a dead letter. After the sale's void the offer
 * is back already and the reinstate is answered as before. One committed before the award is
 * not new (its first outcome).
 */
function refuseAfterAward(ctx: OpsContext, redemptionId: string, redemption: OutboxRow): void {
  // A host without void (SessionM: its sale cannot be cancelled from the till) decides itself: a
  // reinstate is then the only way to give a cancelled sale's offer back (host/README.md, SessionM).
  if (ctx.hostOps.list().includes('void')) return;
  const saleTxnId = redemption.payload.txn_id;
  if (typeof saleTxnId !== 'string' || !awardedAndOpen(ctx, saleTxnId)) return;
  throw new AgentError('CONFLICT', `${reinstateAfterAward(redemptionId, saleTxnId)} (nothing was committed)`);
}

export async function reinstate(ctx: OpsContext, p: Params<'reinstate'>): Promise<ReinstateResult> {
  const redemption = ctx.outbox.findByTxn('redeem', p.redemption_id);
  if (!redemption) throw new AgentError('NOT_FOUND', `no redemption ${p.redemption_id} on this till`);
  if (redemption.state === 'dead' || resultOf(redemption, 'redeem')?.status === 'refused') {
    throw new AgentError('NOT_FOUND', `redemption ${p.redemption_id} was refused by the loyalty host: there is nothing to reinstate`);
  }
  const payload = p.reason === undefined ? {} : { reason: p.reason };
  const print = fingerprint(payload);
  const earlier = ctx.outbox.findByTxn('reinstate', p.redemption_id);
  if (earlier && earlier.fingerprint !== print) {
    throw new AgentError('CONFLICT', `redemption ${p.redemption_id} was already reinstated with another reason`);
  }
  if (!earlier) {
    ctx.hostOps.check('reinstate');
    refuseAfterAward(ctx, p.redemption_id, redemption);
  }
  const row = await awaitAnswer(ctx, await commit(ctx, newMessage(ctx, 'reinstate', {
    txn_id: p.redemption_id, fingerprint: print, customer_id: redemption.customer_id, payload,
    offline: false, amount: null, currency: redemption.currency,
  })));
  if (row.state === 'dead') throw deadLetterError(row);
  if (row.state === 'pending') return { status: 'queued', redemption_id: p.redemption_id };
  const r = answerOf(row, 'reinstate');
  return { status: 'reinstated', redemption_id: p.redemption_id, offer_id: r.offer_id, reinstated_discount_amount: r.reinstated_discount_amount, currency: r.currency };
}
