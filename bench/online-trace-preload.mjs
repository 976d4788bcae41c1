// Loaded into `till-agent run` and `till-agent host` by bench/online-tail.ts (NODE_OPTIONS=--import=…):
// records the main thread's garbage collections and the online award's trace points (runtime/trace.ts)
// on CLOCK_MONOTONIC in ms, one clock for every process, and writes them to
// $TILL_TRACE_DIR/<command>-<pid>.json when the process exits. Plain JavaScript: the bin runs the
// compiled build, without a TypeScript loader.
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.TILL_TRACE_DIR;
if (isMainThread && dir) {
  // performance.now() → CLOCK_MONOTONIC (what process.hrtime reads in every process). The largest of
  // many samples: a sample taken across a preemption between the two reads comes out too small.
  let offset = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < 2000; i++) offset = Math.max(offset, Number(process.hrtime.bigint()) / 1e6 - performance.now());
  const trace = { gc: [], host: [], sent: [], answered: [], checkpoints: [] };
  // [start, duration, kind (perf_hooks constants.NODE_PERFORMANCE_GC_*), flags]
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) trace.gc.push([offset + e.startTime, e.duration, e.detail?.kind ?? 0, e.detail?.flags ?? 0]);
  }).observe({ entryTypes: ['gc'] });
  subscribe('till-agent:host:request', (m) => trace.host.push([m.request_id, offset + m.read, offset + m.started, offset + m.replied, m.sync_ms ?? 0]));
  subscribe('till-agent:uplink:request', (m) => {
    if (m.sent !== undefined) trace.sent.push([m.request_id, offset + m.sent]);
    else trace.answered.push([m.request_id, offset + m.answered]);
  });
  // Already on CLOCK_MONOTONIC (the worker's clock).
  subscribe('till-agent:wal-checkpoint', (m) => trace.checkpoints.push([m.began, m.ended - m.began, m.log, m.checkpointed]));
  process.on('exit', () => writeFileSync(`${dir}/${process.argv[2] ?? 'node'}-${process.pid}.json`, JSON.stringify(trace)));
}
