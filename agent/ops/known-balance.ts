// The customer's last known balance on this till, for what the till decides or says without the
// host (an offline spend's cap and answer, a repeat's balance after spends): the identify cache,
// kept current by every answer that reports it; else, for a customer the cache does not hold (never
// identified on this till, or pruned from it), the newest answer this till recorded that reports it.
// An award answer carries the customer's balance (UPSTREAM.md): once the host told the till, it is
// known. Read only off the hot paths: the cache lookup first, the outbox scan only without one.
import type { Money } from '../../protocol/money.ts';
import { balanceOf } from '../upstream/host-results.ts';
import type { OpsContext } from './context.ts';

export function lastKnownBalance(ctx: Pick<OpsContext, 'cache' | 'outbox'>, customerId: string): Money | undefined {
  const cached = ctx.cache.get(customerId);
  if (cached) return cached.customer.balance;
  const row = ctx.outbox.lastBalanceRow(customerId);
  return row && balanceOf(row);
}
