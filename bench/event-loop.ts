// How long the event loop was held up while a benchmark ran. A synchronous SQLite commit
// (insert + fsync) blocks it for the whole commit: this is the figure that says whether
// the outbox writer should move to a worker thread.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
}

export interface LoopMonitor {
  stop(): Promise<LoopDelay>;
}

// The histogram records the time between two ticks of its 1 ms timer, so it needs a tick
// before the work (a baseline) and one after it (to see a block that ended the work).
const SETTLE_MS = 5;

/** Samples every millisecond (the finest resolution the histogram offers). */
export async function monitorLoop(): Promise<LoopMonitor> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await sleep(SETTLE_MS);
  return {
    async stop() {
      await sleep(SETTLE_MS);
      histogram.disable();
      // Nanoseconds, and each sample includes the 1 ms period itself.
      const ms = (ns: number) => Math.max(0, ns / 1e6 - 1);
      return { p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max) };
    },
  };
}
