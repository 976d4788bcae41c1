// Moves the outbox to the host: FIFO, pipelined. Up to `window` requests are in flight, each
// chained to the one before it (UPSTREAM.md, "Pipelining"):
//
//   window empty ─▶ start batch {start: true} from the first pending row (all before it are settled)
//   then          ─▶ {after: seq of the previous batch's last row}, larger batches, up to `window`
//
// A host applies a chained batch only if it has processed its predecessor (chain.ts, also across
// host processes), so one till's messages are applied in order. Anything short of a fully
// settled batch (timeout, refusal, transient error) stops sending: once every flight is back,
// a new start batch goes from the first pending row (go-back-N; the host dedups the repeats).
// Until a host has answered a chained request, the forwarder is stop-and-wait: a host that
// predates chaining ignores `chain`, and only stop-and-wait keeps order with it.
// A row leaves `pending` only on the host's answer for it.
import { isAgentError } from '../../protocol/errors.ts';
import { warnOnAttempt } from '../../protocol/reconnect-backoff.ts';
import type { Chain, DurableOp, UpstreamMessage, UpstreamResponse } from '../../protocol/upstream.ts';
import type { EventBus } from '../events.ts';
import type { Logger } from '../../runtime/log.ts';
import { checkResult, type ReadResult } from './host-results.ts';
import type { OutboxRow, OutboxStats, OutboxStore, Outcome } from './outbox.ts';
import type { Uplink } from './uplink.ts';

export interface ForwarderOptions {
  outbox: OutboxStore;
  uplink: Uplink;
  events: EventBus;
  log: Logger;
  /** Messages per request until the host has shown it chains (v1 hosts take ≤ 100). */
  batchSize: number;
  /** Messages per request to a host that chains (≤ MAX_CHAINED_MESSAGES). */
  backlogBatchSize: number;
  /** Requests in flight to a host that chains. */
  window: number;
  timeoutMs: number;
  maxBackoffMs: number;
  /** Called with rows that just reached done or dead. */
  onSettled?: (rows: OutboxRow[]) => void;
  /** Fault injection for crash tests only (TILL_AGENT_FAULT): `kill-before-settle:<op>`. */
  faults?: ReadonlySet<string>;
}

/**
 * Ops whose ok answer reaches their waiter before the settle writes it (see answerFirst): an op's
 * code after its answer reads nothing of the outbox that the settle changes (award.ts reads its
 * sale with its own row in place of the stored one), and a crash before the settle leaves the row
 * pending, resent with its message id, and answered from the host's (till, op, txn_id) dedup with
 * the stored result, applied once (UPSTREAM.md, "The POS's answer before the settle").
 */
const ANSWER_FIRST_OPS: ReadonlySet<DurableOp> = new Set<DurableOp>(['award', 'void', 'refund']);

interface Flight {
  rows: OutboxRow[];
  /** seq of its last row: the next batch is chained after it. */
  last: number;
}

export class Forwarder {
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private failures = 0;
  private readonly waiters = new Map<string, Set<(row: OutboxRow) => void>>();
  /** Rows answered by the host whose waiters heard it and whose settle has not run yet (answerFirst), by id. */
  private readonly answered = new Map<string, OutboxRow>();
  private readonly unsubscribe: Array<() => void> = [];
  /** In send order. */
  private readonly flights = new Set<Flight>();
  private tail: Flight | undefined;
  /** The host answered with `chain` since the link came up: requests may be pipelined. */
  private hostChains = false;
  /** A flight came back unsettled: send nothing more until the window is empty, then restart. */
  private broken = false;
  /** …and it was a failure (not a refusal, not a partial answer that moved the queue): back off. */
  private failed = false;
  /**
   * Sends failed in a row (no answer: no host subscribed, a timeout) and the last one's error. A host
   * down all day is an expected state that `status` shows all along: the same error again is a
   * warning only on failures 1, 2, 4, 8, … as the uplink's reconnects (protocol/reconnect-backoff.ts).
   */
  private failedSends = 0;
  private lastFailure: string | undefined;

  constructor(private readonly options: ForwarderOptions) {}

  start(): void {
    this.running = true;
    // A row committed while this forwarder would send it at once has that send counted in its commit.
    this.options.outbox.precountSends?.(() => this.sendsAtOnce());
    this.unsubscribe.push(
      this.options.uplink.onLateResponse((response) => {
        try {
          this.apply(response);
        } catch (error) {
          this.options.log.error({ err: error }, 'could not apply a late host answer; it will be re-requested');
        }
      }),
      this.options.uplink.onState((state) => {
        // Another host may answer after a reconnect: learn again whether it chains.
        if (state !== 'online') this.hostChains = false;
        if (state === 'online') this.wake();
      }),
    );
    this.loopDone = this.loop().catch((error: unknown) => {
      this.options.log.fatal({ err: error }, 'forwarder loop crashed');
      throw error;
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.options.outbox.precountSends?.(undefined);
    this.wake();
    for (const off of this.unsubscribe.splice(0)) off();
    await this.loopDone.catch(() => undefined);
  }

  /** Something changed (new row, retry, link up): look at the outbox again now. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Resolves with the row once it is done or dead, or null after timeoutMs. `unsent`: the caller
   * has just committed this row, with no I/O since (its answer cannot have been read), so it is
   * pending without reading it back (a WAL read transaction, ~30–40 µs an online award).
   */
  waitFor(id: string, timeoutMs: number, unsent = false): Promise<OutboxRow | null> {
    // Answered, its settle about to run (answerFirst): the row as the waiters heard it.
    const answered = this.answered.get(id);
    if (answered) return Promise.resolve(answered);
    if (!unsent) {
      const row = this.options.outbox.get(id);
      if (!row || row.state !== 'pending') return Promise.resolve(row ?? null);
    }
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
      const timer = setTimeout(() => done(this.answered.get(id) ?? null), timeoutMs);
      set.add(settle);
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.woken = false;
      try {
        this.fill();
      } catch (error) {
        // Nothing may end this loop (a read error, a full disk): say so, back off, go on.
        this.options.log.error({ err: error }, 'outbox forwarding failed; will retry');
        this.broken = true;
        this.failed = true;
      }
      // Woken by a flight coming back, a new row, the link coming up.
      if (this.flights.size > 0) {
        await this.sleep(null);
        continue;
      }
      if (!this.broken) {
        await this.sleep(null);
        continue;
      }
      this.broken = false;
      if (this.failed) {
        this.failed = false;
        this.failures += 1;
        const delay = Math.min(this.options.maxBackoffMs, 250 * 2 ** Math.min(this.failures - 1, 16));
        await this.sleep(delay + Math.floor(Math.random() * 100));
      }
    }
  }

  /**
   * How many rows committed now fill() would send the moment it is woken (commitAndAwait wakes it
   * after an early commit): online, not backing off a failure, room in the window; 0 otherwise.
   */
  private sendsAtOnce(): number {
    const { uplink, batchSize, backlogBatchSize, window } = this.options;
    if (!this.running || !uplink.connected || this.broken || this.flights.size >= (this.hostChains ? window : 1)) return 0;
    return this.hostChains ? backlogBatchSize : batchSize;
  }

  /** Sends batches until the window is full or nothing is pending. */
  private fill(): void {
    const { outbox, uplink, batchSize, backlogBatchSize } = this.options;
    if (!this.running || !uplink.connected || this.broken) return;
    const window = this.hostChains ? this.options.window : 1;
    if (this.flights.size >= window) return;
    const oldest = this.flights.values().next().value;
    if (oldest) {
      // A row before everything in flight (a dead letter retried): the chain must restart there.
      const first = outbox.nextPending(1)[0];
      if (first && first.seq < oldest.rows[0]!.seq) {
        this.broken = true;
        return;
      }
    }
    while (this.flights.size < window) {
      const after = this.flights.size > 0 ? this.tail?.last : undefined;
      // Only one page is read from disk at a time, so a backlog of any size drains in bounded memory.
      const rows = outbox.nextPending(this.hostChains ? backlogBatchSize : batchSize, after ?? 0);
      if (rows.length === 0) return;
      this.send(rows, after === undefined ? { start: true } : { after });
    }
  }

  private send(rows: OutboxRow[], chain: Chain): void {
    const { outbox, uplink, timeoutMs, log } = this.options;
    const flight: Flight = { rows, last: rows[rows.length - 1]!.seq };
    this.flights.add(flight);
    this.tail = flight;
    // The request goes first (MQTT.js writes it on the next tick); the bookkeeping follows while
    // the host works on it, off the round trip the POS waits for.
    setImmediate(() => this.afterSend(rows));
    uplink.request(rows.map(toMessage), timeoutMs, chain)
      .then((response) => this.landed(flight, response), (error: unknown) => {
        const message = (error as Error).message;
        const same = message === this.lastFailure;
        this.lastFailure = message;
        const attempt = ++this.failedSends;
        log[warnOnAttempt(attempt, same) ? 'warn' : 'debug'](
          { err: { message }, count: rows.length, first: rows[0]!.id, txn_id: rows[0]!.txn_id, attempt }, 'outbox delivery failed; will resend');
        this.broken = true;
        this.failed = true;
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'could not handle a host answer; will resend');
        this.broken = true;
        this.failed = true;
      })
      .finally(() => {
        this.flights.delete(flight);
        if (this.tail === flight && this.flights.size === 0) this.tail = undefined;
        this.wake();
      });
  }

  /**
   * Counts the delivery attempt (unless the rows' commit did: Outbox.precountSends) and lets the
   * outbox checkpoint while the host has the request.
   */
  private afterSend(rows: OutboxRow[]): void {
    if (!this.running) return;
    const { outbox, log } = this.options;
    try {
      outbox.markAttempt(rows.map((r) => r.id));
    } catch (error) {
      // Attempt counts are bookkeeping: a full disk must not hold up delivery.
      if (!isStorageFull(error)) log.warn({ err: error }, 'could not count the delivery attempt');
    }
    try {
      outbox.checkpointIfDue?.();
    } catch (error) {
      // SQLite checkpoints by itself at the next commit past its threshold.
      if (!isStorageFull(error)) log.warn({ err: error }, 'outbox checkpoint failed');
    }
  }

  private landed(flight: Flight, response: UpstreamResponse): void | Promise<void> {
    if (this.failedSends > 0) {
      // Closes the 'delivery failed' warnings: when the host answered again (each sale's own
      // settle time is in outbox export).
      this.options.log.info({ failed_sends: this.failedSends, first: flight.rows[0]!.id, txn_id: flight.rows[0]!.txn_id, count: flight.rows.length },
        'outbox delivery answered again after failed sends');
      this.failedSends = 0;
      this.lastFailure = undefined;
    }
    this.hostChains = response.chain !== undefined;
    const first = this.answerFirst(flight, response);
    if (!first) return this.afterAnswer(flight, response);
    const { row, checked } = first;
    // The waiter was told; its continuations (the op's result, the POS's answer written to the
    // socket) are promise continuations and all run before a nextTick queued now, which runs before
    // any other I/O callback: no other POS request, MQTT packet or timer runs between the answer and
    // the settle. The flight ends after the settle (this promise), so the next fill() reads the
    // outbox as settled and does not send the row again.
    return new Promise((resolve, reject) => {
      process.nextTick(() => {
        try {
          // Crash test hook: die with the POS answered and the row still pending.
          if (this.options.faults?.has(`kill-before-settle:${row.op}`)) process.kill(process.pid, 'SIGKILL');
          this.afterAnswer(flight, response, checked);
          resolve();
        } catch (error) {
          reject(error);
        } finally {
          this.answered.delete(row.id);
        }
      });
    });
  }

  /**
   * The POS's answer before the settle's write transaction (issue 10: the settle's UPDATE and
   * COMMIT, the events and the cached balance left the online round trip). For a response that
   * answers the one row of its flight ok, with a readable result, for an op of ANSWER_FIRST_OPS
   * that a caller waits for: its waiters hear the row as the settle will leave it (state, result;
   * the bookkeeping columns attempts, updated_at and settled_at stay the sent row's) and
   * waitFor() answers it until the settle ran. Everything else is settled first, as before (a
   * refusal needs its fsync before anyone hears it; batches have no waiter on the round trip).
   */
  private answerFirst(flight: Flight, response: UpstreamResponse): { row: OutboxRow; checked: ReadResult } | undefined {
    if (flight.rows.length !== 1 || response.results.length !== 1) return undefined;
    const sent = flight.rows[0]!;
    const r = response.results[0]!;
    if (!r.ok || r.id !== sent.id || !ANSWER_FIRST_OPS.has(sent.op) || this.answered.has(sent.id)) return undefined;
    const set = this.waiters.get(sent.id);
    if (!set) return undefined;
    const checked = checkResult(sent.op, r.result);
    // An answer the till cannot read is logged and counted by the settle before its POS error.
    if (checked.result_error !== undefined) return undefined;
    const row: OutboxRow = { ...sent, state: 'done', result: checked.result, error: null };
    this.answered.set(sent.id, row);
    for (const notify of [...set]) notify(row);
    return { row, checked };
  }

  /** `checked`: the one ok result answerFirst checked already (the settle stores the same). */
  private afterAnswer(flight: Flight, response: UpstreamResponse, checked?: ReadResult): void {
    const recorded = this.apply(response, checked);
    if (response.chain?.accepted === false && response.results.length === 0) {
      // An earlier batch was not processed (lost, timed out, failed): resend from there.
      this.options.log.debug({ first: flight.rows[0]!.id, host_last: response.chain.last }, 'host refused a batch out of order; resending from the gap');
      this.broken = true;
      return;
    }
    const settled = new Set<string>();
    for (const r of response.results) if (r.ok || r.error.permanent) settled.add(r.id);
    if (recorded && flight.rows.every((r) => settled.has(r.id))) {
      this.failures = 0;
      return;
    }
    this.broken = true;
    // The queue moved if the first row was settled: resend the rest at once, else back off.
    if (!recorded || !settled.has(flight.rows[0]!.id)) this.failed = true;
  }

  /**
   * Settle the rows a response answers; transient errors leave them pending for a resend.
   * False when the answers could not be recorded (they will be asked for again).
   */
  private apply(response: UpstreamResponse, checked?: ReadResult): boolean {
    const outcomes: Outcome[] = [];
    for (const r of response.results) {
      if (r.ok) outcomes.push(checked ? { id: r.id, ok: true, result: r.result, checked } : { id: r.id, ok: true, result: r.result });
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
    // The counts the 'outbox' events carry, read on first use: a subscriber may never look at them,
    // and the read (three index scans, the pending one as long as the backlog) came after every
    // settle (~30 µs an online award, more per batch while a backlog drains; issue 10).
    const counts = lazyStats(this.options.outbox);
    const outbox = this.options.outbox;
    for (const row of settled) {
      if (row.result_error !== undefined) {
        // Applied by the host, so neither resent nor a dead letter: said loudly instead (host-results.ts).
        this.options.log.error({ id: row.id, op: row.op, txn_id: row.txn_id, result_error: row.result_error },
          'host answer does not match its schema: recorded as delivered, not sent again');
        this.options.events.emit('outbox', withCounts(
          { type: 'unreadable', id: row.id, op: row.op, txn_id: row.txn_id, error: row.result_error }, counts, ['pending', 'dead', 'unreadable'], outbox));
      }
      if (row.state === 'dead') {
        this.options.log.warn({ id: row.id, op: row.op, txn_id: row.txn_id, code: row.error?.code }, 'host refused message: dead letter');
        this.options.events.emit('outbox', withCounts(
          { type: 'dead', id: row.id, op: row.op, txn_id: row.txn_id, error: row.error }, counts, ['pending', 'dead'], outbox));
      }
      const set = this.waiters.get(row.id);
      if (set) for (const notify of [...set]) notify(row);
    }
    // Only when something was delivered: a batch the host refused whole said so with its 'dead' events.
    let delivered = 0;
    for (const row of settled) if (row.state === 'done') delivered++;
    if (delivered > 0) this.options.events.emit('outbox', withCounts({ type: 'delivered', count: delivered }, counts, ['pending', 'dead'], outbox));
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
  return { id: row.id, seq: row.seq, op: row.op, txn_id: row.txn_id, created_at: row.created_at, payload: row.payload } as UpstreamMessage;
}

/** outbox.stats(), read once, on the first call. */
function lazyStats(outbox: OutboxStore): () => OutboxStats {
  let stats: OutboxStats | undefined;
  return () => (stats ??= outbox.stats());
}

/**
 * An event's data with counts from stats() as getters: read (once for all of them) when a listener
 * or the serialiser first reads one, during the emit; enumerable, so JSON.stringify and spreads see them.
 * `pending` is 0 without the read when the outbox knows that nothing is pending: the daemon's backlog
 * memory release reads it on every delivery once 1,000 rows were delivered (runtime/release-memory.ts),
 * ~2 % of an online award's instructions for a read that finds nothing (issue 10).
 */
function withCounts<K extends keyof OutboxStats>(data: Record<string, unknown>, stats: () => OutboxStats, keys: K[], outbox: OutboxStore): Record<string, unknown> {
  for (const key of keys) {
    const get = key === 'pending' ? () => (outbox.nonePending?.() ? 0 : stats().pending) : () => stats()[key];
    Object.defineProperty(data, key, { get, enumerable: true, configurable: true });
  }
  return data;
}

function isStorageFull(error: unknown): boolean {
  return isAgentError(error) && error.code === 'STORAGE_FULL';
}
