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
  // performance.now() → CLOCK_MONOTONIC (what process.hrtime reads in every process).
  const offset = Number(process.hrtime.bigint()) / 1e6 - performance.now();
  const trace = { gc: [], host: [], sent: [], answered: [] };
  // [start, duration, kind (perf_hooks constants.NODE_PERFORMANCE_GC_*), flags]
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) trace.gc.push([offset + e.startTime, e.duration, e.detail?.kind ?? 0, e.detail?.flags ?? 0]);
  }).observe({ entryTypes: ['gc'] });
  subscribe('till-agent:host:request', (m) => trace.host.push([m.request_id, offset + m.read, offset + m.started, offset + m.replied]));
  subscribe('till-agent:uplink:request', (m) => {
    if (m.sent !== undefined) trace.sent.push([m.request_id, offset + m.sent]);
    else trace.answered.push([m.request_id, offset + m.answered]);
  });
  process.on('exit', () => writeFileSync(`${dir}/${process.argv[2] ?? 'node'}-${process.pid}.json`, JSON.stringify(trace)));
}
