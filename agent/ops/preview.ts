import { AgentError } from '../../protocol/errors.ts';
import type { Params, PreviewResult } from '../../protocol/local.ts';
import { previewResultSchema } from '../../protocol/upstream.ts';
import type { OpsContext } from './context.ts';
import { rpc } from './rpc.ts';

/** What an award and a spend would do; commits nothing. Needs the host (no offline answer). */
export async function preview(ctx: OpsContext, p: Params<'preview'>): Promise<PreviewResult> {
  ctx.currencies.check(p.basket.currency);
  const basket = p.basket.store ? p.basket : { ...p.basket, store: ctx.identity.store };
  // Version 2 may name the sale: it travels as the message's txn_id (hosts that predate it ignore it).
  const txnId = 'txn_id' in p && p.txn_id !== undefined ? p.txn_id : null;
  const parsed = previewResultSchema.safeParse(await rpc(ctx, 'preview', { customer_id: p.customer_id, basket }, txnId));
  if (!parsed.success) throw new AgentError('INTERNAL', 'the loyalty host sent an invalid preview result');
  const { currencies, unsupported_ops: unsupported, award_pending: pending, ...rest } = parsed.data;
  ctx.currencies.learn(currencies);
  ctx.hostOps.learn(unsupported);
  // As award's answer: the key only when set (false says no more than absent).
  return pending ? { ...rest, award_pending: true } : rest;
}
