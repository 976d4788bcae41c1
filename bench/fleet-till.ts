// One simulated till of the fleet bench: the agent's own upstream half — its SQLite outbox
// (agent/upstream/outbox.ts), MQTT uplink (agent/upstream/uplink.ts) and forwarder (agent/upstream/forwarder.ts), wired as
// agent/daemon.ts wires them — without devices, POS socket or status page. So each till speaks
// the real upstream protocol: its own MQTT 5 connection and client id (`till-M-S-T`, persistent
// session, Last Will, retained status), request/response with correlation data, per-till seq and
// chained requests with a window, timeouts and go-back-N resends with the same message ids.
//
// Its "POS" is `lanes` loops, each committing an award and waiting for the host's answer before
// the next (closed loop, no think time): the host sets the pace. The outbox file is opened with
// synchronous=OFF: a real till fsyncs on its own disk, here hundreds of tills would share one
// and the bench would measure that disk instead of the host.
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDb, type Db } from '../agent/storage/db.ts';
import { EventBus } from '../agent/events.ts';
import { Forwarder } from '../agent/upstream/forwarder.ts';
import type { Logger } from '../runtime/log.ts';
import { Outbox, type AppendInput } from '../agent/upstream/outbox.ts';
import { Uplink } from '../agent/upstream/uplink.ts';
import { uplinkConfigSchema } from '../protocol/uplink-config.ts';
import type { TillIdentity } from '../protocol/upstream.ts';
import { sampleBasket } from './sample-sale.ts';

export interface SimTillOptions {
  /** Directory for this till's outbox file. */
  dir: string;
  identity: TillIdentity;
  brokerUrl: string;
  /** Awards in flight at once (POS lanes), each waiting for its answer before the next. */
  lanes: number;
  /** Customer ids to award to, taken in turn (spread over wallets as a real fleet's are). */
  customers: readonly string[];
  /** The forwarder's and uplink's log (warnings: timeouts and resends). */
  log: Logger;
  /** uplink.request_timeout_ms (its default when absent): a host under valgrind needs longer. */
  requestTimeoutMs?: number;
}

/** One award: committed at `startedAt`, answered `ms` later (performance.now() clock). */
export interface AwardTiming {
  settledAt: number;
  ms: number;
}

const AGENT_DEFAULTS = { batchSize: 50, backlogBatchSize: 200, window: 4, maxBackoffMs: 30_000 } as const;
// A lane waits for its award however long the host takes (the POS would have been answered
// "queued" after request_timeout_ms; the award is still sent until the host answers).
const LANE_WAIT_MS = 600_000;

export class SimTill {
  readonly terminal: string;
  /** txn_ids in outbox order. */
  readonly sent: string[] = [];
  readonly acked = new Set<string>();
  readonly timings: AwardTiming[] = [];
  dead = 0;
  private readonly db: Db;
  private readonly outbox: Outbox;
  private readonly uplink: Uplink;
  private readonly forwarder: Forwarder;
  private issuing = false;
  private lanesDone: Promise<void> = Promise.resolve();
  private counter = 0;

  constructor(private readonly options: SimTillOptions) {
    const { identity, log } = options;
    this.terminal = `${identity.merchant}/${identity.store}/${identity.terminal}`;
    this.db = openDb(join(options.dir, `${identity.store}-${identity.terminal}.db`));
    this.db.pragma('synchronous = OFF');
    this.outbox = new Outbox(this.db);
    const config = uplinkConfigSchema.parse({
      url: options.brokerUrl, ...(options.requestTimeoutMs ? { request_timeout_ms: options.requestTimeoutMs } : {}),
    });
    this.uplink = new Uplink({
      config, url: options.brokerUrl, protocolVersion: 5, identity, version: 'fleet-bench', log,
      statusExtra: () => {
        const s = this.outbox.stats();
        return { outbox: { pending: s.pending, dead: s.dead } };
      },
    });
    this.forwarder = new Forwarder({
      outbox: this.outbox, uplink: this.uplink, events: new EventBus(log), log,
      batchSize: AGENT_DEFAULTS.batchSize,
      backlogBatchSize: AGENT_DEFAULTS.backlogBatchSize,
      window: AGENT_DEFAULTS.window,
      timeoutMs: config.request_timeout_ms,
      maxBackoffMs: AGENT_DEFAULTS.maxBackoffMs,
    });
  }

  get online(): boolean {
    return this.uplink.connected;
  }

  /** Connects (the forwarder starts sending once the uplink is online). */
  connect(): void {
    this.uplink.start();
    this.forwarder.start();
  }

  /** The POS lanes start committing awards. */
  startIssuing(): void {
    this.issuing = true;
    const lanes = Array.from({ length: this.options.lanes }, () => this.lane());
    this.lanesDone = Promise.all(lanes).then(() => undefined);
  }

  /** No new awards; resolves once every award committed so far has its answer. */
  async finishIssuing(): Promise<void> {
    this.issuing = false;
    await this.lanesDone;
  }

  /** Appends n awards without waiting for their answers (a backlog: queue them before connect()). */
  async queue(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const k = ++this.counter;
      const txn = `${this.options.identity.store}-${this.options.identity.terminal}-${k}`;
      this.sent.push(txn);
      const outcome = await this.outbox.append(award(txn, this.options.customers[k % this.options.customers.length]!));
      if (outcome.kind !== 'created') throw new Error(`bench: ${this.terminal} ${txn}: outbox said ${outcome.kind}`);
    }
  }

  pending(): number {
    return this.outbox.stats().pending;
  }

  async stop(): Promise<void> {
    this.issuing = false;
    await this.forwarder.stop();
    await this.uplink.stop();
    this.db.close();
  }

  private async lane(): Promise<void> {
    while (this.issuing) {
      const n = ++this.counter;
      const txn = `${this.options.identity.store}-${this.options.identity.terminal}-${n}`;
      const customer = this.options.customers[n % this.options.customers.length]!;
      const input = award(txn, customer);
      // Outbox order is the order of append calls (one group commit takes them in turn).
      this.sent.push(txn);
      const started = performance.now();
      const outcome = await this.outbox.append(input);
      if (outcome.kind !== 'created') throw new Error(`bench: ${this.terminal} ${txn}: outbox said ${outcome.kind}`);
      this.forwarder.wake();
      let row = await this.forwarder.waitFor(input.id, LANE_WAIT_MS);
      while (row?.state === 'pending') row = await this.forwarder.waitFor(input.id, LANE_WAIT_MS);
      if (!row) throw new Error(`bench: ${this.terminal} ${txn}: no answer within ${LANE_WAIT_MS} ms`);
      const settledAt = performance.now();
      if (row.state === 'done') {
        this.acked.add(txn);
        this.timings.push({ settledAt, ms: settledAt - started });
      } else {
        this.dead += 1;
      }
    }
  }
}

/** An award row as agent/ops/award appends it. */
function award(txnId: string, customerId: string): AppendInput {
  const payload = { customer_id: customerId, basket: sampleBasket() };
  return {
    id: randomUUID(),
    op: 'award',
    txn_id: txnId,
    fingerprint: createHash('sha256').update(JSON.stringify(payload)).digest('hex'),
    customer_id: customerId,
    payload,
    offline: false,
    amount: null,
    currency: 'EUR',
    created_at: new Date().toISOString(),
  };
}
