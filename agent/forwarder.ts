// Moves the outbox to the host: FIFO, stop-and-wait (one request in flight, up to
// batch_size messages in it) so that order per till holds even when several host
// processes share the requests. A row leaves `pending` only on the host's answer for it.
import { isAgentError } from '../protocol/errors.ts';
import type { UpstreamMessage, UpstreamResponse } from '../protocol/upstream.ts';
import type { EventBus } from './events.ts';
import type { Logger } from './log.ts';
import type { Outbox, OutboxRow, Outcome } from './outbox.ts';
import type { Uplink } from './uplink.ts';

export interface ForwarderOptions {
  outbox: Outbox;
  uplink: Uplink;
  events: EventBus;
  log: Logger;
  batchSize: number;
  timeoutMs: number;
  maxBackoffMs: number;
  /** Called with rows that just reached done or dead. */
  onSettled?: (rows: OutboxRow[]) => void;
}

export class Forwarder {
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private failures = 0;
  private readonly waiters = new Map<string, Set<(row: OutboxRow) => void>>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly options: ForwarderOptions) {}

  start(): void {
    this.running = true;
    this.unsubscribe.push(
      this.options.uplink.onLateResponse((response) => {
        try {
          this.apply(response);
        } catch (error) {
          this.options.log.error({ err: error }, 'could not apply a late host answer; it will be re-requested');
        }
      }),
      this.options.uplink.onState((state) => { if (state === 'online') this.wake(); }),
    );
    this.loopDone = this.loop().catch((error: unknown) => {
      this.options.log.fatal({ err: error }, 'forwarder loop crashed');
      throw error;
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    for (const off of this.unsubscribe.splice(0)) off();
    await this.loopDone.catch(() => undefined);
  }

  /** Something changed (new row, retry, link up): look at the outbox again now. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Resolves with the row once it is done or dead, or null after timeoutMs. */
  waitFor(id: string, timeoutMs: number): Promise<OutboxRow | null> {
    const row = this.options.outbox.get(id);
    if (!row || row.state !== 'pending') return Promise.resolve(row ?? null);
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const done = (r: OutboxRow | null) => {
        clearTimeout(timer);
        set.delete(settle);
        if (set.size === 0) this.waiters.delete(id);
        resolve(r);
      };
      const settle = (r: OutboxRow) => done(r);
      const timer = setTimeout(() => done(null), timeoutMs);
      set.add(settle);
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let progressed: boolean | null;
      try {
        progressed = await this.round();
      } catch (error) {
        // Nothing may end this loop (a read error, a full disk): say so, back off, go on.
        this.options.log.error({ err: error }, 'outbox forwarding failed; will retry');
        progressed = false;
      }
      if (progressed === null) {
        await this.sleep(null);
      } else if (progressed) {
        this.failures = 0;
      } else {
        this.failures += 1;
        const delay = Math.min(this.options.maxBackoffMs, 250 * 2 ** Math.min(this.failures - 1, 16));
        await this.sleep(delay + Math.floor(Math.random() * 100));
      }
    }
  }

  /** Sends the next batch: null when there is nothing to do, else whether the queue moved. */
  private async round(): Promise<boolean | null> {
    const { outbox, uplink, batchSize, timeoutMs, log } = this.options;
    if (!uplink.connected) return null;
    // Only one page is read from disk at a time, so a backlog of any size drains in bounded memory.
    const rows = outbox.nextPending(batchSize);
    if (rows.length === 0) return null;
    try {
      outbox.markAttempt(rows.map((r) => r.id));
    } catch (error) {
      // Attempt counts are bookkeeping: a full disk must not hold up delivery.
      if (!isStorageFull(error)) log.warn({ err: error }, 'could not count the delivery attempt');
    }
    try {
      const response = await uplink.request(rows.map(toMessage), timeoutMs);
      const recorded = this.apply(response);
      return recorded && this.outcomeOf(response, rows);
    } catch (error) {
      log.warn({ err: { message: (error as Error).message }, count: rows.length, first: rows[0]!.id }, 'outbox delivery failed; will resend');
      return false;
    }
  }

  /** True when the first row of the batch was settled (the queue moved). */
  private outcomeOf(response: UpstreamResponse, rows: OutboxRow[]): boolean {
    const first = response.results.find((r) => r.id === rows[0]!.id);
    return first !== undefined && (first.ok || first.error.permanent);
  }

  /**
   * Settle the rows a response answers; transient errors leave them pending for a resend.
   * False when the answers could not be recorded (they will be asked for again).
   */
  private apply(response: UpstreamResponse): boolean {
    const outcomes: Outcome[] = [];
    for (const r of response.results) {
      if (r.ok) outcomes.push({ id: r.id, ok: true, result: r.result });
      else if (r.error.permanent) outcomes.push({ id: r.id, ok: false, error: r.error });
    }
    if (outcomes.length === 0) return true;
    let settled: OutboxRow[];
    try {
      settled = this.options.outbox.settle(outcomes);
    } catch (error) {
      // Not settled means resent later and deduplicated by the host: safe, but say so (a full
      // disk is already reported once by the storage state).
      if (isStorageFull(error)) this.options.log.debug({ count: outcomes.length }, 'host answers not recorded: storage full; they will be re-requested');
      else this.options.log.error({ err: error }, 'could not record host answers; they will be re-requested');
      return false;
    }
    if (settled.length === 0) return true;
    const stats = this.options.outbox.stats();
    for (const row of settled) {
      if (row.state === 'dead') {
        this.options.log.warn({ id: row.id, op: row.op, txn_id: row.txn_id, code: row.error?.code }, 'host refused message: dead letter');
        this.options.events.emit('outbox', {
          type: 'dead', id: row.id, op: row.op, txn_id: row.txn_id, error: row.error, pending: stats.pending, dead: stats.dead,
        });
      }
      const set = this.waiters.get(row.id);
      if (set) for (const notify of [...set]) notify(row);
    }
    this.options.events.emit('outbox', {
      type: 'delivered', count: settled.filter((r) => r.state === 'done').length, pending: stats.pending, dead: stats.dead,
    });
    try {
      this.options.onSettled?.(settled);
    } catch (error) {
      this.options.log.error({ err: error }, 'after-delivery hook failed');
    }
    return true;
  }

  private sleep(ms: number | null): Promise<void> {
    if (this.woken || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = ms === null ? undefined : setTimeout(finish, ms);
      function finish(): void {
        if (timer) clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        finish();
      };
    });
  }
}

export function toMessage(row: OutboxRow): UpstreamMessage {
  return { id: row.id, op: row.op, txn_id: row.txn_id, created_at: row.created_at, payload: row.payload } as UpstreamMessage;
}

function isStorageFull(error: unknown): boolean {
  return isAgentError(error) && error.code === 'STORAGE_FULL';
}
