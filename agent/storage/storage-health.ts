// Whether the till can write to its database. Every write reports here: a disk-full error
// turns the state to "full", any later successful write (or the probe, while full) turns it
// back to "ok". Each change is logged once and announced; status and metrics read it.
//
//   ok ──write fails: SQLITE_FULL / ENOSPC──> full ──write or probe succeeds──> ok
import { statfsSync } from 'node:fs';
import { isDiskFull } from './db.ts';
import type { Logger } from '../../runtime/log.ts';

export type StorageState = 'ok' | 'full';

export interface StorageStatus {
  state: StorageState;
  /** When the state last changed (null: ok since start). */
  since: string | null;
  /** Free bytes for the agent's user on the data dir's filesystem. */
  free_bytes: number | null;
  last_error: string | null;
  /** The database is held exclusively: it was opened on a full disk (see db.ts). */
  exclusive: boolean;
}

/** What a store tells about its writes. */
export interface WriteObserver {
  written(): void;
  failed(error: unknown): void;
}

/** Runs a write and tells the observer how it went; the error, if any, is rethrown. */
export function observed<T>(observer: WriteObserver | undefined, write: () => T): T {
  let value: T;
  try {
    value = write();
  } catch (error) {
    observer?.failed(error);
    throw error;
  }
  observer?.written();
  return value;
}

export interface StorageHealthOptions {
  dir: string;
  log: Logger;
  now: () => Date;
  /** A tiny write transaction: throws while the disk is full. */
  probe: () => void;
  probeIntervalMs?: number;
  exclusive?: boolean;
}

const MIN_FREE_BYTES = 1 << 20;

export class StorageHealth implements WriteObserver {
  private stateValue: StorageState = 'ok';
  private sinceValue: string | null = null;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(state: StorageState) => void>();

  constructor(private readonly options: StorageHealthOptions) {}

  get state(): StorageState { return this.stateValue; }

  /** Probes once now (the disk may be full before anything is written), then while full. */
  start(): void {
    this.probe();
    this.timer = setInterval(() => { if (this.stateValue === 'full') this.probe(); }, this.options.probeIntervalMs ?? 2000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.listeners.clear();
  }

  onChange(listener: (state: StorageState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  written(): void {
    // A write can succeed in space SQLite already holds (a reused WAL) while the disk is still
    // full: "ok" also needs room on the filesystem, so the state does not flap.
    if (this.stateValue === 'full' && (this.freeBytes() ?? MIN_FREE_BYTES) >= MIN_FREE_BYTES) this.transition('ok', null);
  }

  failed(error: unknown): void {
    if (isDiskFull(error)) {
      const message = `${(error as { code?: string }).code}: ${(error as Error).message}`;
      if (this.stateValue === 'ok') this.transition('full', message);
      else this.lastError = message;
    }
  }

  status(): StorageStatus {
    return {
      state: this.stateValue, since: this.sinceValue, free_bytes: this.freeBytes(), last_error: this.lastError,
      exclusive: this.options.exclusive ?? false,
    };
  }

  private freeBytes(): number | null {
    try {
      const fs = statfsSync(this.options.dir);
      return fs.bavail * fs.bsize;
    } catch {
      return null; // the data dir vanished or is unreadable: the next write says more
    }
  }

  private probe(): void {
    try {
      observed(this, this.options.probe);
    } catch (error) {
      if (!isDiskFull(error)) this.options.log.error({ err: error }, 'storage probe failed');
    }
  }

  private transition(state: StorageState, error: string | null): void {
    this.stateValue = state;
    this.sinceValue = this.options.now().toISOString();
    this.lastError = error;
    if (state === 'full') {
      this.options.log.error({ storage: state, dir: this.options.dir, error, free_bytes: this.freeBytes() },
        'storage full: writes are failing');
    } else {
      this.options.log.warn({ storage: state, dir: this.options.dir }, 'storage ok: writes succeed again');
    }
    for (const listener of this.listeners) {
      try {
        listener(state);
      } catch (err) {
        this.options.log.error({ err }, 'storage state listener failed');
      }
    }
  }
}
