// offers, lock, unlock: online request/response to the host (agent/ops/rpc.ts). They hold or
// list offers but move no money, so nothing goes to the outbox; without the host they answer
// UPSTREAM_UNAVAILABLE (a lock only means something where every till can see it), and a lock
// the till cannot release expires by itself after the host's lock_ttl_s.
import { AgentError } from '../../protocol/errors.ts';
import type { Params } from '../../protocol/local.ts';
import { lockResultSchema, offersResultSchema, unlockResultSchema, type LockResult, type OffersResult, type UnlockResult } from '../../protocol/offers.ts';
import type { OpsContext } from './context.ts';
import { rpc } from './rpc.ts';

function invalid(op: string): AgentError {
  return new AgentError('INTERNAL', `the loyalty host sent an invalid ${op} result`);
}

export async function offers(ctx: OpsContext, p: Params<'offers'>): Promise<OffersResult> {
  const payload = { customer_id: p.customer_id, ...(p.basket ? { basket: p.basket } : {}), ...(p.txn_id ? { txn_id: p.txn_id } : {}) };
  const parsed = offersResultSchema.safeParse(await rpc(ctx, 'offers', payload));
  if (!parsed.success) throw invalid('offers');
  return parsed.data;
}

export async function lock(ctx: OpsContext, p: Params<'lock'>): Promise<LockResult> {
  const payload = {
    customer_id: p.customer_id, offer_ids: p.offer_ids,
    ...(p.amount !== undefined ? { amount: p.amount, currency: p.currency } : {}),
    ...(p.basket ? { basket: p.basket } : {}),
  };
  const parsed = lockResultSchema.safeParse(await rpc(ctx, 'lock', payload, p.txn_id));
  if (!parsed.success) throw invalid('lock');
  return parsed.data;
}

export async function unlock(ctx: OpsContext, p: Params<'unlock'>): Promise<UnlockResult> {
  const parsed = unlockResultSchema.safeParse(await rpc(ctx, 'unlock', p.offer_ids ? { offer_ids: p.offer_ids } : {}, p.txn_id));
  if (!parsed.success) throw invalid('unlock');
  return parsed.data;
}
