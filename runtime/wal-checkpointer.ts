// WAL checkpoints off the event loop, shared by the till's outbox (agent/upstream/outbox.ts) and
// the host's SQLite ledger (host/ledger.ts).
//
//   commit, commit, … (every `every`th) ──postMessage──▶ worker: PRAGMA wal_checkpoint(PASSIVE) on its own connection
//                                        ◀──result─────  (sync WAL, copy pages, sync the database file)
//
// A passive checkpoint on the serving thread copied ~700 pages and fsynced the database file (ms)
// while an award waited behind it: part of the online round trip's p99 (issue 10). WAL mode lets
// another connection checkpoint beside the writer (several hosts already share one file): the
// checkpoint holds no lock the writer needs, and copies only frames committed before it began.
// Frames committed meanwhile stay in the WAL, which the writer restarts from its start only once
// every frame is copied: the worker checkpoints again (up to PASSES in all, each copying only the
// few frames committed during the last) until a pass finds nothing new; still not settled, it is
// asked again at the next call after a commit (RETRIES times). Callers ask between requests, when
// the next commit is a round trip away. SQLite's automatic checkpoint (1,000 pages,
// in the writer's commit) stays as the net: under a stream of commits with no gap (a drain) it is
// what restarts the WAL, copying only what the worker left.
//
// The worker stops after IDLE_STOP_MS with no checkpoint asked of it (an idle till gives its ~5–7 MiB
// back; the next checkpoint due starts a new one).
//
// Without a worker (a database in memory or opened with exclusive locking, which no second
// connection can open, or a worker that died) the checkpoint runs on the caller's thread as before.
// A failed checkpoint never fails a request: its error is thrown by the next runIfDue, whose
// callers log it. The worker is an eval'd CommonJS script, as in host/pg/sync-pg.ts (the same under
// tsx and from build/).
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import { walCheckpointTrace, type WalCheckpointTrace } from './trace.ts';

/** PRAGMA wal_checkpoint's row (its last pass): frames in the WAL (log) and those now in the database file. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
  /** The last pass found no frame committed since the one before: the writer restarts the WAL at its next commit. */
  settled: boolean;
}

export interface CheckpointerOptions {
  /** Commits between two checkpoints. */
  every: number;
  /** False: always on the caller's thread (tests, or where a worker is not wanted). */
  worker?: boolean;
  /** Stops the worker after this long with no checkpoint asked of it (default IDLE_STOP_MS). */
  idleStopMs?: number;
  /** Told of each completed checkpoint (tests, benches). */
  onResult?: (result: CheckpointResult, where: 'worker' | 'inline') => void;
}

/** Passes of one checkpoint in the worker, at most (see above). */
const PASSES = 4;
/** Checkpoints asked for again, one commit after the last, while they leave frames behind. */
const RETRIES = 2;

/** A worker with no checkpoint asked of it for this long stops (its isolate is ~5–7 MiB of the till's RSS). */
export const IDLE_STOP_MS = 60_000;

/** How long close() waits for the worker to close its connection (a checkpoint in hand finishes first). */
const CLOSE_WAIT_MS = 5000;

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.sqlitePath);
const { file, signal, passes } = workerData;
let db;
let checkpoint;
function open() {
  db = new Database(file, { fileMustExist: true, timeout: 1000 });
  // FULL (or NORMAL): the checkpoint syncs the WAL before copying from it and the database file
  // before the WAL may be restarted. OFF would let a power cut lose what the writer was told was durable.
  db.pragma('synchronous = FULL');
  db.pragma('cache_size = -64');
  // Reads the header: a checkpoint asked of a connection that never read the file does nothing.
  if (db.pragma('journal_mode', { simple: true }) !== 'wal') throw Object.assign(new Error('not a WAL database'), { code: 'NOT_WAL' });
  checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
}
parentPort.on('message', (m) => {
  if (m === 'close') {
    try { if (db) db.close(); } catch {}
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
    parentPort.close();
    return;
  }
  // CLOCK_MONOTONIC in ms (the same in every thread and process), for runtime/trace.ts.
  const began = Number(process.hrtime.bigint()) / 1e6;
  try {
    if (!checkpoint) open();
    // A pass copies the frames committed before it began; those committed meanwhile show in the
    // next pass's log (a pass with nothing new to copy neither copies nor syncs).
    let r = checkpoint.get();
    let settled = false;
    for (let pass = 1; pass < passes && r.busy === 0 && !settled; pass++) {
      const again = checkpoint.get();
      settled = again.busy === 0 && again.log <= r.log && again.checkpointed === again.log;
      r = again;
    }
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed, settled, began, ended: Number(process.hrtime.bigint()) / 1e6 });
  } catch (e) {
    parentPort.postMessage({ ok: false, message: String((e && e.message) || e), code: e && e.code });
  }
});
`;

type WorkerAnswer = ({ ok: true; began?: number; ended?: number } & CheckpointResult) | { ok: false; message: string; code?: string };

export class CheckpointError extends Error {
  constructor(message: string, readonly code: string = 'CHECKPOINT_FAILED') {
    super(message);
    this.name = 'CheckpointError';
  }
}

export class WalCheckpointer {
  /** Commits since the last checkpoint was started. */
  private commits = 0;
  private worker: Worker | undefined;
  /** No worker: not wanted, not possible for this database, or it died. */
  private inline: boolean;
  private inFlight = false;
  /** Commits that make the next checkpoint due: `every`, or 1 after one that did not settle. */
  private dueAt: number;
  /** Retries left to the checkpoint in hand (RETRIES when it was due after `every` commits). */
  private retriesLeft = 0;
  /** The last worker checkpoint's failure, thrown once by the next runIfDue. */
  private failure: Error | undefined;
  /** Set to 1 by the worker once its connection is closed (one per worker: a new worker gets a new one). */
  private closed = new Int32Array(new SharedArrayBuffer(4));
  /** A worker stopped for idleness that may still be closing its connection (close() waits for it too). */
  private stopping: Int32Array | undefined;
  /** When the worker was last asked for a checkpoint (or started). */
  private lastAsked = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Database.Database, private readonly options: CheckpointerOptions) {
    this.inline = options.worker === false || !sharable(db);
    this.dueAt = options.every;
  }

  /** Counts a commit of the caller's. */
  committed(): void {
    this.commits += 1;
  }

  /** runIfDue would do something now: start a checkpoint or its worker, or throw the last one's failure. */
  get due(): boolean {
    return this.failure !== undefined || (this.commits >= this.dueAt && !this.inFlight)
      || (!this.inline && !this.worker && this.commits > 0);
  }

  /** True while the worker checkpoints (tests). */
  get running(): boolean {
    return this.inFlight;
  }

  /** A worker thread is running (tests). */
  get hasWorker(): boolean {
    return this.worker !== undefined;
  }

  /** Whether checkpoints run in a worker (false: on the caller's thread). */
  get offThread(): boolean {
    return !this.inline;
  }

  /**
   * Starts a passive checkpoint if `every` commits came since the last (one, after one that did not
   * settle) and none is running: handed to the worker, or run here without one. Throws the
   * last worker checkpoint's failure, once (callers log it; SQLite's own checkpoint is the net).
   */
  runIfDue(): void {
    const failure = this.failure;
    if (failure) {
      this.failure = undefined;
      throw failure;
    }
    if (this.commits < this.dueAt || this.inFlight || !this.db.open) {
      // Started at the first call after a commit (its thread takes ~50 ms of CPU to load): ready
      // by the time the first checkpoint is due, and never in a process that does not write.
      if (!this.inline && !this.worker && this.commits > 0 && this.db.open) this.startWorker();
      return;
    }
    if (this.inline) {
      if (this.db.inTransaction) return;
      this.commits = 0;
      const row = (this.db.pragma('wal_checkpoint(PASSIVE)') as Omit<CheckpointResult, 'settled'>[])[0];
      if (row) this.options.onResult?.({ ...row, settled: row.busy === 0 && row.checkpointed === row.log }, 'inline');
      return;
    }
    const worker = this.worker ?? this.startWorker();
    if (this.dueAt === this.options.every) this.retriesLeft = RETRIES;
    this.commits = 0;
    this.inFlight = true;
    this.lastAsked = Date.now();
    worker.postMessage('checkpoint');
  }

  /**
   * Closes the worker's connection before the caller closes its own (the last connection to close
   * checkpoints and removes the WAL): waits up to CLOSE_WAIT_MS, on this thread, for a checkpoint in
   * hand to end. Then the worker exits by itself.
   */
  close(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.inline = true;
    clearTimeout(this.idleTimer);
    // A worker stopped for idleness a moment ago may still hold its connection.
    if (this.stopping) Atomics.wait(this.stopping, 0, 0, CLOSE_WAIT_MS);
    if (!worker) return;
    worker.postMessage('close');
    if (Atomics.wait(this.closed, 0, 0, CLOSE_WAIT_MS) === 'timed-out') void worker.terminate();
  }

  /** Stops the worker once nothing has been asked of it for idleStopMs; re-armed while it is busy or was asked since. */
  private readonly idleCheck = (): void => {
    this.idleTimer = undefined;
    const worker = this.worker;
    if (!worker) return;
    const idleFor = Date.now() - this.lastAsked;
    const stopAfter = this.options.idleStopMs ?? IDLE_STOP_MS;
    if (this.inFlight || idleFor < stopAfter) {
      this.armIdleStop(this.inFlight ? stopAfter : stopAfter - idleFor);
      return;
    }
    // Not an error: `gone` ignores a worker that is no longer this.worker. The next commit's runIfDue starts another.
    this.worker = undefined;
    this.stopping = this.closed;
    worker.postMessage('close');
  };

  private armIdleStop(ms: number): void {
    if (this.idleTimer) return;
    this.idleTimer = setTimeout(this.idleCheck, ms);
    this.idleTimer.unref();
  }

  private startWorker(): Worker {
    const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
    this.closed = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      env: SHARE_ENV,
      stdout: false,
      // It holds a few statements' results: small heaps (~0.5 MiB less RSS than the defaults).
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
      workerData: { sqlitePath, file: this.db.name, signal: this.closed, passes: PASSES },
    });
    worker.on('message', (answer: WorkerAnswer) => this.answered(answer));
    // Gone (it should not): checkpoints go on on this thread, and the next runIfDue says why.
    const gone = (error?: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.inline = true;
      this.inFlight = false;
      this.failure = new CheckpointError(`the checkpoint worker stopped${error ? `: ${error.message}` : ''}; checkpointing on the main thread`, 'CHECKPOINT_WORKER_GONE');
    };
    worker.on('error', gone);
    worker.on('exit', () => gone());
    // After the listeners (adding one refs the worker again): it never keeps the process alive.
    worker.unref();
    this.worker = worker;
    this.lastAsked = Date.now();
    this.armIdleStop(this.options.idleStopMs ?? IDLE_STOP_MS);
    return worker;
  }

  private answered(answer: WorkerAnswer): void {
    this.inFlight = false;
    const retry = answer.ok && !answer.settled && this.retriesLeft > 0;
    if (retry) this.retriesLeft -= 1;
    this.dueAt = retry ? 1 : this.options.every;
    if (!answer.ok) {
      this.failure = new CheckpointError(`WAL checkpoint failed: ${answer.message}`, answer.code ?? 'CHECKPOINT_FAILED');
      return;
    }
    const { began, ended, ...result } = answer;
    if (walCheckpointTrace.hasSubscribers && began !== undefined && ended !== undefined) {
      walCheckpointTrace.publish({ began, ended, log: result.log, checkpointed: result.checkpointed } satisfies WalCheckpointTrace);
    }
    this.options.onResult?.(result, 'worker');
  }
}

/** A second connection can open this database: a file on disk, not opened with exclusive locking. */
function sharable(db: Database.Database): boolean {
  if (db.memory || !db.open) return false;
  return db.pragma('locking_mode', { simple: true }) !== 'exclusive'
    && db.pragma('journal_mode', { simple: true }) === 'wal';
}
