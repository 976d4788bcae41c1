// Group commit for a SQLite database in WAL mode, shared by the till's outbox
// (agent/upstream/outbox.ts) and the host's ledger (host/ledger.ts):
//
//   COMMIT with synchronous=NORMAL (no fsync) ─▶ fdatasync(WAL) on the thread pool ─▶ answer
//
// The event loop goes on with the next work while the disk syncs; a caller with nothing else to do
// meanwhile (a host between two requests of a till waiting for it) can sync on its own thread instead
// (durableNow: no hand-over to the thread pool and back). What may be answered is only
// what a completed fdatasync covers: one that began after the commit (WAL frames are write()n
// to the file at COMMIT, and fdatasync flushes the file's dirty pages whoever wrote them, so it
// also covers other processes' commits that were visible before it began).
// A power cut may take back commits that no fdatasync covered, but never tears one and never
// keeps a later one without an earlier one: recovery replays the WAL only up to the first frame
// whose cumulative checksum fails.
import type Database from 'better-sqlite3';
import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync } from 'node:fs';

/** fs.fdatasync's shape: tests inject one that fails or waits. */
export type SyncFn = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;
/** fs.fdatasyncSync's shape, for durableNow(): tests inject one that fails or counts. */
export type SyncNowFn = (fd: number) => void;

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class WalSync {
  private fd: number | null;
  /** A durable() sync is on the thread pool; those asked for meanwhile wait for the next one. */
  private inFlight = false;
  private next: Waiter[] = [];
  /** Set by a failed durable() sync: every later durable() fails too (see durable()). */
  private failure: Error | undefined;

  /**
   * Opens the WAL of `db` and syncs it once now: what a crashed process committed without its
   * fsync is made durable before anything is answered from it. Throws if that sync fails.
   */
  constructor(
    private readonly db: Database.Database,
    private readonly syncFn: SyncFn = fdatasync,
    private readonly syncNowFn: SyncNowFn = fdatasyncSync,
  ) {
    this.fd = openWal(db);
  }

  /** False when the database is not a WAL file on disk (in memory, another journal mode): commits must sync themselves. */
  get enabled(): boolean {
    return this.fd !== null;
  }

  /** The error that made durable() fail for good, if any. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /**
   * One fdatasync of the WAL now, off the event loop; the caller keeps at most one in flight. Never
   * throws: a WAL that cannot be opened again is the callback's error, so its waiters are answered.
   */
  syncNow(callback: (error: NodeJS.ErrnoException | null) => void): void {
    let fd: number | null;
    try {
      fd = this.liveFd();
    } catch (error) {
      callback(error as NodeJS.ErrnoException);
      return;
    }
    if (fd === null) {
      callback(null);
      return;
    }
    this.syncFn(fd, callback);
  }

  /**
   * Resolves once an fdatasync that began after this call has completed: everything committed
   * to this database (by any process) before the call is then on disk. Calls made while a sync
   * is in flight share the next one (one in flight, the rest grouped behind it).
   *
   * Rejects if that sync fails, and so does every later call: after a failed fsync Linux may
   * have dropped the unwritten pages and marked them clean, so a later fsync that succeeds
   * proves nothing about them (PostgreSQL's "fsyncgate"). Only a restart, reading the WAL back,
   * can be trusted again.
   */
  durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.fd === null) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.next.push({ resolve, reject });
      if (!this.inFlight) this.startGroup();
    });
  }

  /**
   * durable() on this thread, for a caller that has nothing to do while the disk syncs: if no sync
   * is in flight, fdatasyncs the WAL now (blocking) and returns true, everything committed before
   * the call then being on disk. Returns false while a durable() sync is in flight: the caller
   * awaits durable() and shares the next one. Spares the two hand-overs between the event loop
   * and the thread pool (a wake-up of each thread, each one a scheduling delay on a busy machine).
   * Throws if the sync fails, and from then on, as durable() rejects (see there).
   */
  durableNow(): boolean {
    if (this.failure) throw this.failure;
    if (this.inFlight) return false;
    try {
      const fd = this.liveFd();
      if (fd !== null) this.syncNowFn(fd);
    } catch (error) {
      this.failure ??= error as Error;
      throw this.failure;
    }
    return true;
  }

  private startGroup(): void {
    const group = this.next;
    this.next = [];
    this.inFlight = true;
    let fd: number | null;
    try {
      fd = this.liveFd();
    } catch (error) {
      this.finishGroup(group, error as Error);
      return;
    }
    if (fd === null) {
      this.finishGroup(group, null);
      return;
    }
    this.syncFn(fd, (error) => this.finishGroup(group, error));
  }

  private finishGroup(group: Waiter[], error: Error | null): void {
    this.inFlight = false;
    if (error && !this.failure) this.failure = error;
    const failure = this.failure;
    for (const w of group) {
      if (failure) w.reject(failure);
      else w.resolve();
    }
    if (failure) {
      for (const w of this.next.splice(0)) w.reject(failure);
    } else if (this.next.length > 0) {
      this.startGroup();
    }
  }

  /**
   * The WAL's descriptor, opened again if the file was replaced (SQLite re-creates it after a last close).
   * While this connection is open the file is the one it writes: SQLite deletes a WAL only when the last
   * connection to the database closes (WAL mode holds a shared lock on the database file for as long as
   * a connection is open; the closing one deletes it only if it gets an exclusive one), so the fstat is
   * made only once the connection is closed. Per group commit it was one statx and a Stats object with
   * four Dates (~1.3 k instructions an offline award, issue 10).
   */
  private liveFd(): number | null {
    const fd = this.fd;
    if (fd === null) return null;
    if (this.db.open) return fd;
    try {
      if (fstatSync(fd).nlink > 0) return fd;
      closeSync(fd);
    } catch {
      // the descriptor is gone: open the file again
    }
    this.fd = openWal(this.db);
    return this.fd;
  }

  /** Closes the WAL descriptor (after the last sync, before the database is closed). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * The WAL file of a database in WAL mode, synced once now. Null when the database is not a WAL
 * file on disk (in memory, another journal mode): then each commit syncs itself.
 */
function openWal(db: Database.Database): number | null {
  if (db.memory || db.pragma('journal_mode', { simple: true }) !== 'wal') return null;
  let fd: number;
  try {
    fd = openSync(`${db.name}-wal`, 'r');
  } catch {
    return null;
  }
  try {
    fdatasyncSync(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}
