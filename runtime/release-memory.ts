// Once start-up is over, and after each backlog, the agent gives back memory it no longer uses
// (drivers/native/release_memory.cc, built by node-gyp at `npm ci`): a memory-reducing V8
// collection, then glibc's malloc_trim(0). Without it, V8's memory reducer does the first part by
// itself ~8 s after start, and the freed start-up memory in glibc's arenas stays for the life of
// the process (0.4–8 MiB, what spread an idle agent's RSS from run to run: bench/README "Agent RSS").
// Loaded on first use; a missing build (or not glibc) only means the memory stays where it was.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Logger } from './log.ts';

interface ReleaseAddon {
  /** A memory-reducing collection: thorough, at once (20–40 ms); else started, incremental and concurrent. */
  collect(thorough: boolean): void;
  /** malloc_trim(0); true when glibc returned memory. */
  trim(): boolean;
}

// From runtime/ (tsx: drivers/native) or build/runtime/ (compiled: the copy npm run build and
// install.sh put into build/drivers/native), else a checkout's build/ next to its drivers/native.
const CANDIDATES = ['../drivers/native/build/Release/release_memory.node', '../../drivers/native/build/Release/release_memory.node'];
/** After an incremental collection: V8 finishes it in tasks meanwhile (pauses of a few ms). */
const TRIM_AFTER_MS = 1000;

let loaded: ReleaseAddon | Error | undefined;

function addon(): ReleaseAddon | Error {
  if (!loaded) {
    try {
      const require = createRequire(import.meta.url);
      const path = CANDIDATES.map((c) => new URL(c, import.meta.url).pathname).find((p) => existsSync(p)) ?? CANDIDATES[0]!;
      loaded = checkAddon(require(path), path);
    } catch (error) {
      loaded = new Error(`the release_memory addon is not built (${(error as Error).message.split('\n')[0]})`);
    }
  }
  return loaded;
}

/**
 * The addon's exports, or why they cannot be used: a build older than this code (a checkout not
 * rebuilt, a half-upgraded install) would otherwise throw in a timer and take the agent down.
 */
export function checkAddon(exports: unknown, path: string): ReleaseAddon | Error {
  const a = exports as Partial<ReleaseAddon> | null;
  if (a && typeof a.collect === 'function' && typeof a.trim === 'function') return a as ReleaseAddon;
  return new Error(`the release_memory addon at ${path} is out of date (no collect/trim): rebuild it (npm ci, or node-gyp rebuild -C drivers/native)`);
}

export type Released = { released: true; trimmed: boolean; rss_before: number; rss_after: number } | { released: false; reason: string };

/**
 * Thorough: collects at once (the main thread stops for 20–40 ms) and trims. Else: starts V8's
 * incremental collection now and trims glibc's arenas `trimAfterMs` later, once it is done.
 */
export function releaseMemory({ thorough, trimAfterMs = TRIM_AFTER_MS }: { thorough: boolean; trimAfterMs?: number }): Promise<Released> {
  const a = addon();
  if (a instanceof Error) return Promise.resolve({ released: false, reason: a.message });
  const before = process.memoryUsage.rss();
  a.collect(thorough);
  const trim = (): Released => ({ released: true, trimmed: a.trim(), rss_before: before, rss_after: process.memoryUsage.rss() });
  if (thorough) return Promise.resolve(trim());
  return new Promise((resolve) => { setTimeout(() => resolve(trim()), trimAfterMs).unref(); });
}

export interface StartupRelease {
  cancel(): void;
}

/**
 * Releases once, `afterOnlineMs` after the uplink first comes online (MQTT.js is loaded and the
 * session set up by then), or `latestMs` after this call if it never does. Timers are unref'd.
 */
export function releaseAfterStartUp(
  log: Logger,
  onOnline: (listener: () => void) => () => void,
  { afterOnlineMs = 1000, latestMs = 10_000 }: { afterOnlineMs?: number; latestMs?: number } = {},
): StartupRelease {
  let timer: NodeJS.Timeout | undefined;
  let off = (): void => {};
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
    timer.unref();
  };
  const run = () => {
    off();
    // Thorough: a second after the uplink came up, the POS has nothing waiting on the agent yet.
    void releaseMemory({ thorough: true }).then((result) => {
      if (result.released) log.debug(result, 'start-up memory released');
      else log.debug({ reason: result.reason }, 'start-up memory not released');
    });
  };
  arm(latestMs);
  off = onOnline(() => {
    off();
    arm(afterOnlineMs);
  });
  return {
    cancel() {
      clearTimeout(timer);
      off();
    },
  };
}

export interface BacklogRelease {
  cancel(): void;
}

/**
 * Releases again after a backlog: once `rows` messages have been delivered since the last release,
 * when the outbox is empty and nothing more was delivered for `quietMs`. Queuing and draining
 * thousands of messages grows the heap and fills glibc's arenas; V8 gives its part back ~8 s later
 * by itself, the arenas never. A steady trickle of online sales re-arms the timer with each
 * delivery, so the release comes in a pause, not between two requests of a sale. `pending` is read
 * only once `rows` have been delivered (the outbox counts it by scanning its pending rows).
 */
export function releaseAfterBacklogs(
  log: Logger,
  onDelivered: (listener: (count: number, pending: () => number) => void) => () => void,
  { rows = 1000, quietMs = 2000, trimAfterMs = TRIM_AFTER_MS }: { rows?: number; quietMs?: number; trimAfterMs?: number } = {},
): BacklogRelease {
  let delivered = 0;
  let timer: NodeJS.Timeout | undefined;
  const run = () => {
    delivered = 0;
    // Incremental: a sale may be under way.
    void releaseMemory({ thorough: false, trimAfterMs }).then((result) => {
      if (result.released) log.debug(result, 'memory released after a backlog');
    });
  };
  const off = onDelivered((count, pending) => {
    delivered += count;
    clearTimeout(timer);
    timer = undefined;
    if (delivered >= rows && pending() === 0) {
      timer = setTimeout(run, quietMs);
      timer.unref();
    }
  });
  return {
    cancel() {
      clearTimeout(timer);
      off();
    },
  };
}
