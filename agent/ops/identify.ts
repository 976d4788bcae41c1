import { AgentError, isAgentError } from '../../protocol/errors.ts';
import type { IdentifyResult, Params } from '../../protocol/local.ts';
import { identifyResultSchema } from '../../protocol/upstream.ts';
import type { OpsContext } from './context.ts';
import { rpc } from './rpc.ts';

/**
 * The ops the host's backend does not offer, so that the POS hides their buttons (LOCAL.md,
 * "Identifying a customer"): the list the till keeps and refuses them by, as the host's answer just
 * updated it, or as the last one left it when stale. Absent when empty, as the ledger answers.
 */
function unsupportedOps(ctx: OpsContext): { unsupported_ops?: string[] } {
  const ops = ctx.hostOps.list();
  return ops.length > 0 ? { unsupported_ops: [...ops] } : {};
}

/** Online: ask the host and remember the customer. Offline: answer from the cache, stale. */
export async function identify(ctx: OpsContext, p: Params<'identify'>): Promise<IdentifyResult> {
  try {
    const parsed = identifyResultSchema.safeParse(await rpc(ctx, 'identify', { by: p.by, value: p.value }));
    if (!parsed.success) throw new AgentError('INTERNAL', 'the loyalty host sent an invalid identify result');
    const customer = parsed.data.customer;
    ctx.currencies.learn(parsed.data.currencies);
    ctx.hostOps.learn(parsed.data.unsupported_ops);
    const asOf = ctx.now().toISOString();
    const clean = { id: customer.id, name: customer.name, balance: customer.balance, ...(customer.tier ? { tier: customer.tier } : {}) };
    ctx.cache.remember(p.by, p.value, clean, asOf);
    return { customer: { ...clean, ...(customer.wallets ? { wallets: customer.wallets } : {}) }, stale: false, as_of: asOf, ...(parsed.data.offers ? { offers: parsed.data.offers } : {}), ...unsupportedOps(ctx) };
  } catch (error) {
    if (!isAgentError(error) || (error.code !== 'UPSTREAM_UNAVAILABLE' && error.code !== 'UPSTREAM_TIMEOUT')) throw error;
    const cached = ctx.cache.lookup(p.by, p.value, ctx.config.offline.identify_cache_days);
    if (!cached) {
      throw new AgentError('UPSTREAM_UNAVAILABLE', `the loyalty host is not reachable and this customer was not seen on this till in the last ${ctx.config.offline.identify_cache_days} days`);
    }
    return { customer: cached.customer, stale: true, as_of: cached.as_of, ...unsupportedOps(ctx) };
  }
}
