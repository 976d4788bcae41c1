// 1. The outbox's group commit (agent/upstream/outbox.ts over agent/storage/db.ts: WAL, synchronous=FULL)
//    on a real SQLite file. Three ways of issuing the same N appends:
//      all at once      Promise.all: every append joins the next group commit
//      32 writers       closed loop, like a POS pipelining max_inflight_per_connection
//      one by one       each append awaited: one commit (and one fsync) per row
//    For each: rows/s, commits, append latency, and how long the event loop was blocked.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDb } from '../agent/storage/db.ts';
import { Outbox, type AppendInput } from '../agent/upstream/outbox.ts';
import { countCommits } from './commit-counter.ts';
import { monitorLoop } from './event-loop.ts';
import type { Result } from './report.ts';
import { awardAppend } from './sample-sale.ts';
import { perSecond, summarize } from './stats.ts';
import { withTempDir } from './temp-dir.ts';

export const OUTBOX_APPENDS = 5000;
const WRITERS = 32;

type Mode = 'all-at-once' | 'writers' | 'one-by-one';

/** Issue inputs per mode; records each append's latency (issue → resolved) in ms. */
async function issue(outbox: Outbox, inputs: AppendInput[], mode: Mode, latencies: Float64Array): Promise<void> {
  const timed = async (i: number) => {
    const start = performance.now();
    await outbox.append(inputs[i]!);
    latencies[i] = performance.now() - start;
  };
  if (mode === 'all-at-once') {
    await Promise.all(inputs.map((_, i) => timed(i)));
  } else if (mode === 'writers') {
    let next = 0;
    const writer = async () => {
      for (let i = next++; i < inputs.length; i = next++) await timed(i);
    };
    await Promise.all(Array.from({ length: WRITERS }, writer));
  } else {
    for (let i = 0; i < inputs.length; i++) await timed(i);
  }
}

interface ModeRun {
  rowsPerSecond: number;
  commits: number;
  latencyMeanMs: number;
  latencyP99Ms: number;
  longestCommitMs: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

async function runMode(mode: Mode, n: number): Promise<ModeRun> {
  return withTempDir(`outbox-${mode}`, async (dir) => {
    const db = openDb(join(dir, 'till-agent.db'));
    try {
      const commits = countCommits(db);
      const outbox = new Outbox(db);
      const inputs = Array.from({ length: n }, (_, i) => awardAppend(`${mode}-${i}`));
      const latencies = new Float64Array(n);
      const loop = await monitorLoop();
      const start = performance.now();
      await issue(outbox, inputs, mode, latencies);
      const elapsed = performance.now() - start;
      const delay = await loop.stop();
      const stored = outbox.stats().pending;
      if (stored !== n) throw new Error(`outbox ${mode}: ${stored} pending rows after ${n} appends`);
      const lat = summarize(latencies);
      const commit = summarize(commits.durationsMs);
      return {
        rowsPerSecond: perSecond(n, elapsed),
        commits: commit.count,
        latencyMeanMs: lat.mean,
        latencyP99Ms: lat.p99,
        longestCommitMs: commit.max,
        loopP99Ms: delay.p99Ms,
        loopMaxMs: delay.maxMs,
      };
    } finally {
      db.close();
    }
  });
}

/** Runs a mode `runs` times and reports the run with the median throughput (disks are noisy). */
async function measureMode(mode: Mode, label: string, n: number, runs: number): Promise<Result[]> {
  const all: ModeRun[] = [];
  for (let i = 0; i < runs; i++) all.push(await runMode(mode, n));
  all.sort((x, y) => x.rowsPerSecond - y.rowsPerSecond);
  const m = all[Math.floor(all.length / 2)]!;
  const spread = runs > 1
    ? `median of ${runs} runs (${Math.round(all[0]!.rowsPerSecond).toLocaleString('en-US')}–${Math.round(all[all.length - 1]!.rowsPerSecond).toLocaleString('en-US')})`
    : undefined;
  const section = `1. Outbox group commit: ${n.toLocaleString('en-US')} appends (agent/upstream/outbox.ts, WAL, synchronous=FULL)`;
  const r = (name: string, value: number, unit: string, note?: string): Result =>
    ({ section, name: `${label}: ${name}`, value, unit, ...(note ? { note } : {}) });
  return [
    r('throughput', m.rowsPerSecond, 'rows/s', spread),
    r('commits', m.commits, 'commits', `${(n / m.commits).toFixed(1)} rows/commit`),
    r('append latency mean', m.latencyMeanMs, 'ms'),
    r('append latency p99', m.latencyP99Ms, 'ms'),
    r('longest commit (loop blocked)', m.longestCommitMs, 'ms'),
    r('event-loop delay p99', m.loopP99Ms, 'ms'),
    r('event-loop delay max', m.loopMaxMs, 'ms'),
  ];
}

export async function outboxBench(n = OUTBOX_APPENDS, runs = 3): Promise<Result[]> {
  // Warm-up (discarded): statement preparation and JIT would otherwise count against "a".
  await runMode('all-at-once', 500);
  return [
    ...(await measureMode('all-at-once', 'a. concurrent (Promise.all)', n, runs)),
    ...(await measureMode('writers', `a'. ${WRITERS} concurrent writers`, n, runs)),
    ...(await measureMode('one-by-one', 'b. one by one', n, runs)),
  ];
}
