// Request/response to the host for ops that change no money (identify, preview, offers, lock, unlock):
// not written to the outbox, answered within request_timeout_ms or not at all.
import { randomUUID } from 'node:crypto';
import { AgentError, isErrorCode } from '../../protocol/errors.ts';
import type { UpstreamMessage, UpstreamOp } from '../../protocol/upstream.ts';
import type { OpsContext } from './context.ts';
import { inParamsTerms } from './host-refusal.ts';

export async function rpc(
  ctx: OpsContext, op: Extract<UpstreamOp, 'identify' | 'preview' | 'offers' | 'lock' | 'unlock'>, payload: Record<string, unknown>, txnId: string | null = null,
): Promise<Record<string, unknown>> {
  const message = { id: randomUUID(), op, txn_id: txnId, created_at: ctx.now().toISOString(), payload } as UpstreamMessage;
  const response = await ctx.uplink.request([message], ctx.config.uplink.request_timeout_ms);
  const result = response.results.find((r) => r.id === message.id);
  if (!result) throw new AgentError('INTERNAL', 'the loyalty host answered without a result for this request');
  if (result.ok) return result.result;
  const code = isErrorCode(result.error.code) ? result.error.code : 'REJECTED_UPSTREAM';
  throw new AgentError(code, inParamsTerms(op, result.error.message), !result.error.permanent);
}
