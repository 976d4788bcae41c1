// The agent's CPU per online award: online-latency.ts's set_tcp_nodelay row (agent and host as
// processes over a real mosquitto, one POS, one award at a time after a warm-up), with the agent's
// utime + stime (/proc/PID/stat) over the measured awards divided by their number. CPU per award is
// steadier than wall time on a shared machine: use it for A/B pairs (alternate trees, same N).
//
//   node --import tsx bench/agent-cpu.ts [awards, default 2000] [--prof DIR]
//
// --prof DIR writes the agent's V8 CPU profile (--cpu-prof) into DIR when it stops.
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { awardStatuses, run } from './drive.ts';
import { withOnlineStack } from './online-stack.ts';
import { percentile } from './stats.ts';
import { withTempDir } from './temp-dir.ts';
import { cpuMs } from './till-process.ts';

const args = process.argv.slice(2);
const profAt = args.indexOf('--prof');
const profDir = profAt === -1 ? undefined : resolve(args.splice(profAt, 2)[1]!);
const awards = Number(args[0] ?? 2000);
const WARMUP = 200;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

await withTempDir('agent-cpu-', (parent) => withOnlineStack(parent, {
  nodelay: true, warmup: WARMUP,
  agentNodeArgs: profDir ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${profDir}`] : [],
}, async ({ agent, award }) => {
  // Past the start-up memory release (runtime/release-memory.ts), which would land in the first second.
  await new Promise((r) => setTimeout(r, 1500));
  const before = load();
  // The main thread alone (/proc/PID/task/PID/stat) too: V8's workers and the thread pool add noise.
  const mainPid = `${agent.pid}/task/${agent.pid}`;
  const cpu0 = agent.cpuMs();
  const main0 = cpuMs(mainPid);
  const online = await run(awards, 1, (i) => award(`on-${i}`));
  const cpuUs = ((agent.cpuMs() - cpu0) * 1000) / awards;
  const mainUs = ((cpuMs(mainPid) - main0) * 1000) / awards;
  const statuses = awardStatuses('online award', online.responses, ['awarded', 'queued']);
  const sorted = Float64Array.from(online.latenciesMs).sort();
  const f = (p: number) => percentile(sorted, p).toFixed(2);
  process.stdout.write(`agent CPU/award ${cpuUs.toFixed(0)} us (main thread ${mainUs.toFixed(0)}) n=${awards}  p50 ${f(50)}  p90 ${f(90)}  p99 ${f(99)} ms`
    + `  ${[...statuses].map(([s, n]) => `${s} ${n}`).join(', ')}  load ${before} → ${load()}\n`);
}));
