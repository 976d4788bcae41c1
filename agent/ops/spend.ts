// Spend wallet balance. Online: the host decides how much can be spent (never below zero).
// Offline: the till approves up to the floor limit and the last known balance minus
// spends it already queued for that customer; the host later applies exactly that.
import { AgentError } from '../../protocol/errors.ts';
import type { Params, SpendResult } from '../../protocol/local.ts';
import type { Money } from '../../protocol/money.ts';
import type { OutboxRow } from '../outbox.ts';
import type { OpsContext } from './context.ts';
import { commit, deadLetterError, fingerprint, newMessage, num, settle } from './outcome.ts';

// Offline approvals for one customer are serialised so two concurrent spends cannot
// both see the same available balance.
// Keyed by the outbox: ops get a per-request copy of the context, the outbox is shared.
const customerLocks = new WeakMap<object, Map<string, Promise<unknown>>>();

function withCustomerLock<T>(ctx: OpsContext, customerId: string, fn: () => Promise<T>): Promise<T> {
  let locks = customerLocks.get(ctx.outbox);
  if (!locks) customerLocks.set(ctx.outbox, (locks = new Map()));
  const previous = locks.get(customerId) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(fn);
  locks.set(customerId, next);
  void next.finally(() => { if (locks.get(customerId) === next) locks.delete(customerId); }).catch(() => undefined);
  return next;
}

export async function spend(ctx: OpsContext, p: Params<'spend'>): Promise<SpendResult> {
  const print = fingerprint({ customer_id: p.customer_id, amount: p.amount, currency: p.currency });
  const existing = ctx.outbox.findByTxn('spend', p.txn_id);
  if (existing) {
    if (existing.fingerprint !== print) {
      throw new AgentError('CONFLICT', `spend for txn_id ${p.txn_id} was already submitted with different content`);
    }
    return spendResult(ctx, await settle(ctx, existing));
  }
  if (ctx.uplink.connected) {
    const row = await commit(ctx, newMessage(ctx, 'spend', {
      txn_id: p.txn_id,
      fingerprint: print,
      customer_id: p.customer_id,
      payload: { customer_id: p.customer_id, amount: p.amount, currency: p.currency, offline: false },
      offline: false,
      // Counted as queued at its full amount until the host says how much was spent.
      amount: p.amount,
      currency: p.currency,
    }));
    return spendResult(ctx, await settle(ctx, row));
  }
  return withCustomerLock(ctx, p.customer_id, () => offlineSpend(ctx, p, print));
}

async function offlineSpend(ctx: OpsContext, p: Params<'spend'>, print: string): Promise<SpendResult> {
  const limit = ctx.config.offline.spend_floor_limit;
  const decline = (why: string) => new AgentError('OFFLINE_SPEND_DECLINED', `offline spend declined: ${why}`);
  if (limit === 0) throw decline('offline spend is disabled on this till (offline.spend_floor_limit is 0)');
  if (p.amount > limit) throw decline(`amount ${p.amount} is above the offline floor limit ${limit}`);
  const known = ctx.cache.get(p.customer_id);
  if (!known) throw decline('no recent balance known for this customer on this till');
  if (known.customer.balance.currency !== p.currency) {
    throw decline(`the customer's wallet is in ${known.customer.balance.currency}, not ${p.currency}`);
  }
  const available = known.customer.balance.amount - ctx.outbox.pendingSpend(p.customer_id, p.currency);
  const spent = Math.min(p.amount, available);
  if (spent <= 0) throw decline('no balance left after spends already queued on this till');
  const row = await commit(ctx, newMessage(ctx, 'spend', {
    txn_id: p.txn_id,
    fingerprint: print,
    customer_id: p.customer_id,
    payload: { customer_id: p.customer_id, amount: spent, currency: p.currency, offline: true },
    offline: true,
    amount: spent,
    currency: p.currency,
  }));
  return spendResult(ctx, row);
}

function spendResult(ctx: OpsContext, row: OutboxRow): SpendResult {
  const currency = row.currency ?? '';
  if (row.state === 'dead') throw deadLetterError(row);
  if (row.state === 'done') {
    const out: SpendResult = {
      status: 'spent', txn_id: row.txn_id!, currency, spent_amount: num(row.result, 'spent_amount') ?? 0, offline: row.offline,
    };
    if (row.result?.balance) out.balance = row.result.balance as Money;
    return out;
  }
  if (row.offline) {
    const out: SpendResult = { status: 'queued', txn_id: row.txn_id!, currency, spent_amount: row.amount ?? 0, offline: true };
    const known = row.customer_id ? ctx.cache.get(row.customer_id) : undefined;
    if (known && row.customer_id) {
      out.balance = { amount: known.customer.balance.amount - ctx.outbox.pendingSpend(row.customer_id, currency), currency };
    }
    return out;
  }
  // An online spend the host has not answered: its outcome is decided upstream, not here.
  if (ctx.uplink.connected) {
    throw new AgentError('UPSTREAM_TIMEOUT',
      `the loyalty host did not answer the spend in time; it is committed and will be applied: repeat the same spend to learn the spent amount, or void txn ${row.txn_id}`);
  }
  throw new AgentError('UPSTREAM_UNAVAILABLE',
    `the spend is committed and waits for the loyalty host: repeat the same spend later to learn the spent amount, or void txn ${row.txn_id}`);
}
