// What every op handler may use. Built once by the daemon; handlers are plain functions.
// Each request gets a copy (its own protocol version); what ops keep between requests is in
// OpsState, one per running agent, never in module-level state.
import type { DeviceManager } from '../../drivers/device-manager.ts';
import type { ProtocolVersion } from '../../protocol/local.ts';
import type { TillIdentity } from '../../protocol/upstream.ts';
import type { Config } from '../config.ts';
import type { CustomerCache } from '../customer-cache.ts';
import type { HostCurrencies } from '../upstream/host-currencies.ts';
import type { HostOps } from '../upstream/host-ops.ts';
import type { EventBus } from '../events.ts';
import type { Forwarder } from '../upstream/forwarder.ts';
import type { TillClock } from '../till-clock.ts';
import type { LinkClock } from '../upstream/link-clock.ts';
import type { Logger } from '../../runtime/log.ts';
import { OfflineReservations } from '../offline-policy.ts';
import type { OutboxStore } from '../upstream/outbox.ts';
import type { ProductsProgress } from '../products-progress.ts';
import type { PrintedReceipt } from '../status-page/recent-receipts.ts';
import type { StorageHealth } from '../storage/storage-health.ts';
import type { PrintJobs } from '../receipts/print-jobs.ts';
import type { Uplink } from '../upstream/uplink.ts';
import { KeyedLock } from './keyed-lock.ts';

/** What ops keep between requests. */
export interface OpsState {
  /** Offline spends of one customer, one at a time (ops/spend.ts). */
  customerLocks: KeyedLock;
  /** Requests continuing one full products.sync, one at a time per sync id (ops/products.ts). */
  syncLocks: KeyedLock;
  /** Offline spends admitted and not yet committed (offline-policy.ts). */
  offlineReservations: OfflineReservations;
}

/** What a request brings to its OpsContext (the socket's RequestContext is one). */
export interface RequestScope {
  readonly log: Logger;
  readonly protocol: ProtocolVersion;
}

const SCOPE = Symbol('request scope');
type Scoped = OpsContext & { [SCOPE]: RequestScope };

/**
 * The OpsContext of each request: the daemon's, with the request's protocol version and its logger
 * (built only when an op logs). The daemon's context is the prototype, so a request's context is
 * two own properties on one shared hidden class. It was `{ ...ctx, get log() {…}, protocol }`: an
 * object literal with a getter of its own is made in dictionary mode, so every request copied the
 * ~25 keys one by one into a hash table and every read of one was a lookup (issue 10). Handlers read
 * the same values either way; nothing enumerates or copies an OpsContext.
 */
export function requestContexts(base: OpsContext): (scope: RequestScope) => OpsContext {
  const withLog = Object.create(base, {
    log: { get(this: Scoped) { return this[SCOPE].log; }, enumerable: true, configurable: true },
  }) as OpsContext;
  return (scope) => {
    const ctx = Object.create(withLog) as Scoped;
    ctx[SCOPE] = scope;
    ctx.protocol = scope.protocol;
    return ctx;
  };
}

export function newOpsState(): OpsState {
  return { customerLocks: new KeyedLock(), syncLocks: new KeyedLock(), offlineReservations: new OfflineReservations() };
}

export interface OpsContext extends OpsState {
  config: Config;
  identity: TillIdentity;
  version: string;
  /**
   * The local protocol version of the POS connection this request came on (hello {protocol}): an op
   * whose semantics changed in version 2 keeps version 1's for a v1 POS. Work not started by a POS
   * request (identify on scan, the status page) sees DEFAULT_PROTOCOL.
   */
  protocol: ProtocolVersion;
  outbox: OutboxStore;
  /** receipt.print job ids and outcomes (durable). */
  printJobs: PrintJobs;
  cache: CustomerCache;
  /** Basket currencies the host accepts (configured or learnt). */
  currencies: HostCurrencies;
  /** Durable ops the host's backend does not offer (learnt): refused before committing. */
  hostOps: HostOps;
  storage: StorageHealth;
  uplink: Uplink;
  /** Time since the uplink was last confirmed up, on the boot clock (offline.max_age_s). */
  linkClock: LinkClock;
  /** The till's trusted time and whether the wall clock agrees with it (status.clock). */
  clock: TillClock;
  forwarder: Forwarder;
  events: EventBus;
  log: Logger;
  now: () => Date;
  devices: DeviceManager;
  /** products.sync batches in flight, for progress events. */
  productsProgress: ProductsProgress;
  /** Print job outcomes, for metrics. */
  onPrintJob: (printer: string, outcome: string) => void;
  /** Every receipt laid out for a printer, as bytes (the status page shows the last few). */
  onReceipt: (receipt: PrintedReceipt) => void;
  /** Fault injection for crash tests only (TILL_AGENT_FAULT); empty in production. */
  faults: ReadonlySet<string>;
}
