// What a ledger handler is given (handlers.ts, credit-handlers.ts, offer-handlers.ts): the
// host's settings and the batch's ledger and till. Its own file so that the handler modules
// import it without importing each other.
import type { Reduction } from '../protocol/local.ts';
import type { TillIdentity, UpstreamMessage, UpstreamOp } from '../protocol/upstream.ts';
import type { Ledger } from './ledger.ts';
import type { OpLog } from './op-log.ts';
import type { ReductionRule } from './reduction.ts';
import type { SpendCredit } from './refund-math.ts';
import type { ThisSaleAward } from './sale.ts';

export interface HostSettings {
  timezone: string;
  reduction: Reduction;
  default_product: { sku: string; name: string };
  /** How long a lock holds offers or an amount (host config lock_ttl_s; default 900, SessionM's 15 minutes). */
  lock_ttl_s?: number;
  /** Basket currencies accepted; empty: those of the money wallets in the ledger. */
  currencies?: readonly string[];
  /** Per purchase, first match wins over `reduction` (host/reduction.ts). */
  reduction_rules?: ReductionRule[];
  refunds?: { spend_credit: SpendCredit };
  /** Whether a sale's own award is spendable in the same sale (default excluded: seed 000). */
  spend?: { this_sale_award: ThisSaleAward };
}

export interface OpContext {
  ledger: Ledger;
  settings: HostSettings;
  /** Written only if the batch's transaction commits (op-log.ts). */
  log: OpLog;
  source: TillIdentity;
  /** merchant/store/terminal: terminal ids are only unique within a store. */
  terminal: string;
}

/** The message of one op. */
export type MessageOf<O extends UpstreamOp> = Extract<UpstreamMessage, { op: O }>;
