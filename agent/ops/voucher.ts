// voucher.redeem: a refund voucher (issued by a back-end reduction, protocol/credit.ts) taken as
// payment in a sale. Redeemable once, so only the host can say yes: offline it is refused before
// anything is written. Online the redemption is committed to the outbox (fsync) like any money
// request and idempotent by (txn_id, code); a refusal (already redeemed, voided, unknown) is the
// host's answer, not a dead letter. Voiding the sale gives the voucher back.
import { legacyRedemptionKey, redemptionKey, type VoucherRedeemResult } from '../../protocol/credit.ts';
import { AgentError } from '../../protocol/errors.ts';
import type { Params } from '../../protocol/local.ts';
import { answerOf } from '../upstream/host-results.ts';
import type { OutboxRow } from '../upstream/outbox.ts';
import type { OpsContext } from './context.ts';
import { inParamsTerms } from './host-refusal.ts';
import { awaitAnswer, commit, deadLetterError, fingerprint, newMessage } from './outcome.ts';

export async function voucherRedeem(ctx: OpsContext, p: Params<'voucher.redeem'>): Promise<VoucherRedeemResult> {
  const key = redemptionKey(p.txn_id, p.code);
  const payload = { sale_txn_id: p.txn_id, code: p.code, currency: p.currency };
  // A redemption committed before 2026-12-03 under its hex key (protocol/digest-key.ts) is found too.
  let row = ctx.outbox.findByTxn('voucher.redeem', key) ?? ctx.outbox.findByTxn('voucher.redeem', legacyRedemptionKey(p.txn_id, p.code));
  if (row && row.fingerprint !== fingerprint(payload)) {
    throw new AgentError('CONFLICT', `this voucher was already submitted for txn ${p.txn_id} with different content`);
  }
  if (!row) {
    ctx.hostOps.check('voucher.redeem');
    if (!ctx.uplink.connected) {
      throw new AgentError('UPSTREAM_UNAVAILABLE', 'a voucher can only be redeemed while the loyalty host is reachable (it must be redeemed once only): nothing was recorded');
    }
    row = await commit(ctx, newMessage(ctx, 'voucher.redeem', {
      txn_id: key, fingerprint: fingerprint(payload), customer_id: null, payload, offline: false, amount: null, currency: p.currency,
    }));
  }
  return redeemResult(ctx, await awaitAnswer(ctx, row), p.txn_id);
}

function redeemResult(ctx: OpsContext, row: OutboxRow, txnId: string): VoucherRedeemResult {
  if (row.state === 'dead') throw deadLetterError(row);
  if (row.state === 'pending') {
    const what = `the redemption is committed and will be applied: repeat the same voucher.redeem to learn the outcome, or void txn ${txnId} to give the voucher back`;
    // Committed: UPSTREAM_TIMEOUT also when the link dropped meanwhile (UPSTREAM_UNAVAILABLE: nothing was written).
    const why = ctx.uplink.connected ? 'did not answer in time' : 'became unreachable before it answered';
    throw new AgentError('UPSTREAM_TIMEOUT', `the loyalty host ${why}; ${what}`);
  }
  const r = answerOf(row, 'voucher.redeem');
  if (r.redeemed) return { status: 'redeemed', txn_id: txnId, voucher: r.voucher };
  // The host's refusal is final for this voucher on this sale (a repeat gets it again).
  throw new AgentError(r.code, inParamsTerms('voucher.redeem', r.message), false);
}
