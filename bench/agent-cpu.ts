// The agent's CPU per online award: online-latency.ts's set_tcp_nodelay row (agent and host as
// processes over a real mosquitto, one POS, one award at a time after a warm-up), with the agent's
// utime + stime (/proc/PID/stat) over the measured awards divided by their number. CPU per award is
// steadier than wall time on a shared machine: use it for A/B pairs (alternate trees, same N).
//
//   node --import tsx bench/agent-cpu.ts [awards, default 2000] [--warmup N] [--node-args '...'] [--prof DIR] [--callgrind DIR]
//
// --warmup N: sequential awards before the measured ones (default 200; V8 still compiles hot code
// with TurboFan for a while after that, which a longer warm-up takes out of the measured awards).
// --node-args: more node flags for the agent (e.g. '--trace-deopt'; its stdout is not kept).
// --prof DIR writes the agent's V8 CPU profile (--cpu-prof) into DIR when it stops.
// --callgrind DIR runs the agent under valgrind's callgrind and prints its instructions per award
// (all threads, user space) over the measured awards: exact and load-independent, for A/B on a
// shared machine (use ~100 awards: valgrind runs the agent ~50x slower). Profiles stay in DIR.
// Also printed without V8's TurboFan jobs and without its major GC's worker jobs (concurrent marking,
// sweeping): whether a full collection falls into the measured awards is chance (bench/callgrind.ts).
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { awardStatuses, run } from './drive.ts';
import { withOnlineStack } from './online-stack.ts';
import { percentile } from './stats.ts';
import { withTempDir } from './temp-dir.ts';
import { callgrindWrapper, dump, instrumentation } from './callgrind.ts';
import { cpuMs } from './till-process.ts';

const args = process.argv.slice(2);
const profAt = args.indexOf('--prof');
const profDir = profAt === -1 ? undefined : resolve(args.splice(profAt, 2)[1]!);
const cgAt = args.indexOf('--callgrind');
const cgDir = cgAt === -1 ? undefined : resolve(args.splice(cgAt, 2)[1]!);
if (cgDir) mkdirSync(cgDir, { recursive: true });
const cgOut = cgDir && resolve(cgDir, `agent-online.${process.pid}.out`);
const nodeArgAt = args.indexOf('--node-args');
const extraNodeArgs = nodeArgAt === -1 ? [] : args.splice(nodeArgAt, 2)[1]!.split(' ').filter(Boolean);
const warmAt = args.indexOf('--warmup');
const WARMUP = warmAt === -1 ? 200 : Number(args.splice(warmAt, 2)[1]);
const awards = Number(args[0] ?? 2000);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

await withTempDir('agent-cpu-', (parent) => withOnlineStack(parent, {
  nodelay: true, warmup: WARMUP,
  agentNodeArgs: [...extraNodeArgs, ...(profDir ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${profDir}`] : [])],
  agentWrapper: cgOut ? callgrindWrapper(cgOut) : [],
}, async ({ agent, award }) => {
  // Past the start-up memory release (runtime/release-memory.ts), which would land in the first second
  // (under valgrind the warm-up outlasts it). No pause after the warm-up under valgrind: 2 s without a
  // delivery after 1,000 awards or more bring the backlog memory release, and the measured awards
  // would compile their code again.
  if (cgOut) instrumentation(agent.pid, true);
  else await new Promise((r) => setTimeout(r, 1500));
  const before = load();
  // The main thread alone (/proc/PID/task/PID/stat) too: V8's workers and the thread pool add noise.
  const mainPid = `${agent.pid}/task/${agent.pid}`;
  const cpu0 = agent.cpuMs();
  const main0 = cpuMs(mainPid);
  const online = await run(awards, 1, (i) => award(`on-${i}`));
  const cpuUs = ((agent.cpuMs() - cpu0) * 1000) / awards;
  const mainUs = ((cpuMs(mainPid) - main0) * 1000) / awards;
  const counts = cgOut ? dump(agent.pid, cgOut) : undefined;
  const m = (n: number) => `${(n / awards / 1e6).toFixed(3)} M`;
  const instr = counts ? `instructions/award ${m(counts.total)} (TurboFan jobs ${m(counts.compile)}, the rest ${m(counts.total - counts.compile)}; major GC's worker jobs ${m(counts.majorGc)}, the rest without them ${m(counts.total - counts.compile - counts.majorGc)})  ` : '';
  if (cgOut) instrumentation(agent.pid, false);
  const statuses = awardStatuses('online award', online.responses, ['awarded', 'queued']);
  const sorted = Float64Array.from(online.latenciesMs).sort();
  const f = (p: number) => percentile(sorted, p).toFixed(2);
  process.stdout.write(`${instr}agent CPU/award ${cpuUs.toFixed(0)} us (main thread ${mainUs.toFixed(0)}) n=${awards}  p50 ${f(50)}  p90 ${f(90)}  p99 ${f(99)} ms`
    + `  ${[...statuses].map(([s, n]) => `${s} ${n}`).join(', ')}  load ${before} → ${load()}\n`);
}));
