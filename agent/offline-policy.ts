// The till-wide limits of offline spend, besides the per-transaction floor limit (spend.ts),
// raised to what payment terminals promise: Square's offlineTransactionAmountLimit and
// offlineTotalStoredAmountLimit, Adyen's per-terminal count and amount limits, and both declining
// offline payments after 24 h without a connection.
//
//   exposure = offline spends approved by this till and not yet confirmed by the host (outbox)
//   offline.total_spend_limit  amount of that exposure, per currency   → OFFLINE_LIMIT_REACHED
//   offline.total_spend_count  number of those spends                  → OFFLINE_LIMIT_REACHED
//   offline.max_age_s          time since the link was last confirmed  → OFFLINE_TOO_LONG
//
// Version 1 connections get OFFLINE_SPEND_DECLINED for both (the code they know).
// Admission reserves the amount in memory until the spend is committed, so concurrent offline
// spends (of different customers) cannot both slip under a limit.
import { AgentError } from '../protocol/errors.ts';
import type { ProtocolVersion } from '../protocol/local.ts';
import type { Money } from '../protocol/money.ts';
import type { Config } from './config.ts';
import type { LinkClock } from './upstream/link-clock.ts';
import type { OutboxStore } from './upstream/outbox.ts';

export interface OfflineExposure {
  /** Offline spends not yet confirmed by the host. */
  count: number;
  /** Their total, per currency (a till normally has one). */
  amounts: Money[];
  /** When the oldest of them was approved (the till's clock); null when there are none. */
  since: string | null;
}

export interface OfflineStatus extends OfflineExposure {
  /** Last time the uplink was confirmed up (the till's clock); null: never. */
  link_confirmed_at: string | null;
  /** Seconds since then on the boot clock (0 while the link is up); compared with max_age_s. */
  offline_age_s: number;
  limits: { spend_floor_limit: number; total_spend_limit: number; total_spend_count: number; max_age_s: number };
}

interface PolicyContext {
  config: Config;
  /** The POS connection's protocol: version 1 knows these declines as OFFLINE_SPEND_DECLINED. */
  protocol: ProtocolVersion;
  outbox: OutboxStore;
  linkClock: LinkClock;
  offlineReservations: OfflineReservations;
}

/**
 * Offline spends admitted by admitOfflineSpend and not yet committed to the outbox (or failed):
 * counted against the limits with the outbox's own, so two spends at once cannot both pass.
 * One per running agent, in the ops context.
 */
export class OfflineReservations {
  count = 0;
  readonly amounts = new Map<string, number>();
}

export function offlineExposure(outbox: OutboxStore): OfflineExposure {
  const rows = outbox.offlineSpendExposure();
  const since = rows.map((r) => r.since).sort()[0] ?? null;
  return {
    count: rows.reduce((n, r) => n + r.count, 0),
    amounts: rows.map((r) => ({ amount: r.amount, currency: r.currency })),
    since,
  };
}

export function offlineStatus(ctx: PolicyContext): OfflineStatus {
  const { spend_floor_limit, total_spend_limit, total_spend_count, max_age_s } = ctx.config.offline;
  return {
    ...offlineExposure(ctx.outbox),
    link_confirmed_at: ctx.linkClock.confirmedAt,
    offline_age_s: Math.floor(ctx.linkClock.ageMs() / 1000),
    limits: { spend_floor_limit, total_spend_limit, total_spend_count, max_age_s },
  };
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

/**
 * Admit one offline spend of `amount` or throw OFFLINE_TOO_LONG / OFFLINE_LIMIT_REACHED.
 * Synchronous from the exposure read to the reservation; call the returned release once the
 * spend is committed (or failed).
 */
export function admitOfflineSpend(ctx: PolicyContext, currency: string, amount: number): () => void {
  const { total_spend_limit, total_spend_count, max_age_s } = ctx.config.offline;
  // A v1 POS was written against one offline decline code: it gets that one, with the same message.
  const decline = (code: 'OFFLINE_TOO_LONG' | 'OFFLINE_LIMIT_REACHED', message: string) =>
    new AgentError(ctx.protocol >= 2 ? code : 'OFFLINE_SPEND_DECLINED', message);
  const age = ctx.linkClock.ageMs();
  if (age > max_age_s * 1000) {
    throw decline('OFFLINE_TOO_LONG',
      `offline spend declined: no connection to the loyalty host for ${duration(age)} (offline.max_age_s is ${max_age_s})`);
  }
  const exposure = offlineExposure(ctx.outbox);
  const reserved = ctx.offlineReservations;
  const count = exposure.count + reserved.count;
  if (count + 1 > total_spend_count) {
    throw decline('OFFLINE_LIMIT_REACHED',
      `offline spend declined: ${count} offline spends wait for the loyalty host (offline.total_spend_count is ${total_spend_count})`);
  }
  const held = (exposure.amounts.find((m) => m.currency === currency)?.amount ?? 0) + (reserved.amounts.get(currency) ?? 0);
  if (held + amount > total_spend_limit) {
    throw decline('OFFLINE_LIMIT_REACHED',
      `offline spend declined: ${held} ${currency} spent offline wait for the loyalty host; ${amount} more is above offline.total_spend_limit ${total_spend_limit}`);
  }
  reserved.count += 1;
  reserved.amounts.set(currency, (reserved.amounts.get(currency) ?? 0) + amount);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    reserved.count -= 1;
    reserved.amounts.set(currency, (reserved.amounts.get(currency) ?? 0) - amount);
  };
}
