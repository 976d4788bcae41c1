// Where the online round trip's slowest awards lose their time: online-latency.ts's nodelay set-up
// (agent and host as processes over a real mosquitto, one POS, one award at a time), each award's
// start and end taken by the POS client on CLOCK_MONOTONIC, and inside the processes (loaded with
// bench/online-trace-preload.mjs) the agent's publish, the host's socket read and answer, the agent's
// receipt of the answer (runtime/trace.ts) and every garbage collection of both main threads.
//
//   node --import tsx bench/online-tail.ts [awards=3000] [--settle-ms=5000]
//
// Prints p50/p90/p99, each hop's median over all awards and over the slowest 1 %, which hop had the
// largest excess over its median in each of the slowest 1 %, and how many awards (all, slowest 1 %) had
// a collection on their path: the host's between its read of the request and its answer, the agent's
// before its publish or after the answer arrived (while it waits for the host, a collection of the
// agent's delays nothing). --settle-ms: the pause after the uplink is up (default 5000, as suite 4:
// the agent's start-up memory release falls there, not into the awards).
// Wall clock: run it under `flock /work/locks/bench` on a shared machine.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { awardStatuses, run } from './drive.ts';
import { withOnlineStack } from './online-stack.ts';
import { percentile } from './stats.ts';
import { withTempDir } from './temp-dir.ts';

const awards = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 3000);
const settleArg = process.argv.find((a) => a.startsWith('--settle-ms='));
const settleMs = settleArg ? Number(settleArg.slice('--settle-ms='.length)) : 5000;
const WARMUP = 50;
const GC_NAMES: Record<number, string> = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental marking', 8: 'weak callbacks' };

interface Trace {
  gc: Array<[start: number, duration: number, kind: number, flags: number]>;
  host: Array<[requestId: string, read: number, started: number, replied: number, syncMs: number]>;
  sent: Array<[requestId: string, at: number]>;
  answered: Array<[requestId: string, at: number]>;
  checkpoints: Array<[start: number, duration: number, log: number, checkpointed: number]>;
}

const traceDir = mkdtempSync(join(tmpdir(), 'till-online-tail-'));
const mono = () => Number(process.hrtime.bigint()) / 1e6;
const t0 = new Float64Array(awards);
const t1 = new Float64Array(awards);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const loadBefore = load();
// The children inherit it; this process is already running.
process.env.TILL_TRACE_DIR = traceDir;
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${fileURLToPath(new URL('./online-trace-preload.mjs', import.meta.url))}`.trim();
try {
  await withTempDir('online-tail-', async (parent) => {
    await withOnlineStack(parent, { nodelay: true, warmup: WARMUP, settleMs }, async ({ award }) => {
      const online = await run(awards, 1, async (i) => {
        t0[i] = mono();
        const r = await award(`on-${i}`);
        t1[i] = mono();
        return r;
      });
      awardStatuses('online award', online.responses, ['awarded']);
    });
  });
  report(readTraces());
} finally {
  rmSync(traceDir, { recursive: true, force: true });
}

function readTraces(): { agent: Trace; host: Trace } {
  const byCommand = new Map<string, Trace>();
  for (const f of readdirSync(traceDir)) byCommand.set(f.split('-')[0]!, JSON.parse(readFileSync(join(traceDir, f), 'utf8')) as Trace);
  const agent = byCommand.get('run');
  const host = byCommand.get('host');
  if (!agent || !host) throw new Error(`bench: no trace from ${agent ? 'the host' : 'the agent'} (${[...byCommand.keys()].join(', ')})`);
  return { agent, host };
}

function report({ agent, host }: { agent: Trace; host: Trace }): void {
  // Each award's request: the one the agent published between the award's start and end.
  const sent = agent.sent.filter(([, at]) => at >= t0[0]!).sort((a, b) => a[1] - b[1]);
  const answered = new Map(agent.answered);
  const hosted = new Map(host.host.map(([id, read, , replied, syncMs]) => [id, [read, replied, syncMs] as const]));
  const points: number[][] = [];
  const syncs: number[] = [];
  let s = 0;
  for (let i = 0; i < awards; i++) {
    while (s < sent.length && sent[s]![1] < t0[i]!) s++;
    const [id, at] = sent[s] ?? [];
    const h = id !== undefined ? hosted.get(id) : undefined;
    const back = id !== undefined ? answered.get(id) : undefined;
    if (id === undefined || at! > t1[i]! || !h || back === undefined) throw new Error(`bench: award ${i} has no complete trace`);
    points.push([t0[i]!, at!, h[0], h[1], back, t1[i]!]);
    syncs.push(h[2]);
  }
  const HOPS = ['agent → publish', 'broker → host', 'host: read → answer', 'broker → agent', 'agent → answer to POS'];
  const HOST_HOP = 2;
  const hop = (i: number, h: number) => points[i]![h + 1]! - points[i]![h]!;
  const latency = (i: number) => t1[i]! - t0[i]!;
  const all = Array.from({ length: awards }, (_, i) => i);
  const slow = [...all].sort((a, b) => latency(b) - latency(a)).slice(0, Math.max(1, Math.round(awards / 100)));
  const sorted = Float64Array.from(all, latency).sort();
  const ms = (x: number) => x.toFixed(2);
  const med = (xs: number[]) => percentile(Float64Array.from(xs).sort(), 50);
  const p99 = (xs: number[]) => percentile(Float64Array.from(xs).sort(), 99);
  process.stdout.write(`online award round trip, set_tcp_nodelay true, n=${awards}: p50 ${ms(percentile(sorted, 50))}  p90 ${ms(percentile(sorted, 90))}  p99 ${ms(percentile(sorted, 99))}  max ${ms(sorted[sorted.length - 1]!)} ms\n`);
  const medians = HOPS.map((_, h) => med(all.map((i) => hop(i, h))));
  const largest = HOPS.map(() => 0);
  for (const i of slow) {
    const excess = HOPS.map((_, h) => hop(i, h) - medians[h]!);
    largest[excess.indexOf(Math.max(...excess))]!++;
  }
  process.stdout.write('hop                       median  p99    median of the slowest 1 %  largest excess in the slowest 1 %\n');
  HOPS.forEach((name, h) => {
    process.stdout.write(`${name.padEnd(26)}${ms(medians[h]!).padStart(6)} ${ms(p99(all.map((i) => hop(i, h)))).padStart(6)}  ${ms(med(slow.map((i) => hop(i, h)))).padStart(8)}                   ${largest[h]} of ${slow.length}\n`);
    // The host's fdatasync wait is part of its hop (read → answer): printed under it.
    if (h === HOST_HOP) process.stdout.write(`    of which its fdatasync${ms(med(syncs)).padStart(6)} ${ms(p99(syncs)).padStart(6)}  ${ms(med(slow.map((i) => syncs[i]!))).padStart(8)}\n`);
  });
  const overlaps = (spans: Array<[number, number, ...number[]]>, from: number, to: number) => spans.some(([start, duration]) => start < to && start + duration > from);
  const hostGc = (i: number) => overlaps(host.gc, points[i]![2]!, points[i]![3]!);
  // The agent's own stretches of the award: before its publish, and after the answer reached it.
  const agentGc = (i: number) => overlaps(agent.gc, points[i]![0]!, points[i]![1]!) || overlaps(agent.gc, points[i]![4]!, points[i]![5]!);
  const share = (set: number[], f: (i: number) => boolean) => `${set.filter(f).length} (${((100 * set.filter(f).length) / set.length).toFixed(1)} %)`;
  process.stdout.write(`a collection on the path: host's (read → answer) ${share(all, hostGc)} of all, ${share(slow, hostGc)} of the slowest 1 %; `
    + `agent's (before its publish, after the answer) ${share(all, agentGc)} of all, ${share(slow, agentGc)} of the slowest 1 %\n`);
  // A checkpoint copies WAL pages into the database file and fsyncs it, in a worker, while the award goes on:
  // its writes and fsync may hold up an fdatasync of the same disk on the path.
  const hostCkpt = (i: number) => overlaps(host.checkpoints, points[i]![2]!, points[i]![3]!);
  const agentCkpt = (i: number) => overlaps(agent.checkpoints, points[i]![2]!, points[i]![3]!);
  const anyCkpt = (i: number) => overlaps(host.checkpoints, t0[i]!, t1[i]!) || overlaps(agent.checkpoints, t0[i]!, t1[i]!);
  process.stdout.write(`a checkpoint during the host's read → answer: the host's ${share(all, hostCkpt)} of all, ${share(slow, hostCkpt)} of the slowest 1 %; `
    + `the agent's ${share(all, agentCkpt)} of all, ${share(slow, agentCkpt)} of the slowest 1 %; either, anywhere in the award: ${share(all, anyCkpt)}, ${share(slow, anyCkpt)}\n`);
  for (const [name, trace] of [['host', host], ['agent', agent]] as const) {
    const cps = trace.checkpoints.filter(([start]) => start >= t0[0]! && start <= t1[awards - 1]!).map(([, d]) => d);
    if (cps.length) process.stdout.write(`${name} checkpoints during the awards: ${cps.length}, ${ms(med(cps))} ms median, ${ms(Math.max(...cps))} max\n`);
  }
  for (const [name, trace] of [['host', host], ['agent', agent]] as const) {
    const during = trace.gc.filter(([start]) => start >= t0[0]! && start <= t1[awards - 1]!);
    const kinds = new Map<string, number[]>();
    for (const [, duration, kind] of during) kinds.set(GC_NAMES[kind] ?? `kind ${kind}`, [...(kinds.get(GC_NAMES[kind] ?? `kind ${kind}`) ?? []), duration]);
    process.stdout.write(`${name} collections during the awards: ${[...kinds].map(([k, d]) => `${k} ${d.length} (mean ${ms(d.reduce((a, b) => a + b, 0) / d.length)}, max ${ms(Math.max(...d))} ms)`).join(', ') || 'none'}\n`);
  }
  process.stdout.write(`load ${loadBefore} → ${load()}\n`);
}
