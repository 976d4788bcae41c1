// The online phase of process-bench.ts alone, with more awards for a steadier p99: agent and host
// as processes over a real mosquitto (stock config, then set_tcp_nodelay true), one POS, one award
// at a time after a warm-up. Prints p50/p90/p99/max of the POS's round trip and the load average.
//
//   node --import tsx bench/online-latency.ts [awards per variant, default 2000] [--nodelay-only] [--host-cpu-prof DIR]
//
// Also prints the host's CPU time (user + system, /proc/PID/stat) per award over the measured
// awards; --host-cpu-prof DIR writes the host's CPU profile there (node --cpu-prof, on exit).
//
// For before/after pairs, run it from each tree (it starts that tree's bin/till-agent.js), under
// `flock /work/locks/bench` on a shared machine.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { awardStatuses, run } from './drive.ts';
import { withOnlineStack } from './online-stack.ts';
import { percentile } from './stats.ts';
import { withTempDir } from './temp-dir.ts';
import { cpuMs } from './till-process.ts';

const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--host-cpu-prof');
const awards = Number(positional[0] ?? 2000);
const profIndex = process.argv.indexOf('--host-cpu-prof');
const hostNodeArgs = profIndex === -1 ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(process.argv[profIndex + 1]!)}`];
const variants = process.argv.includes('--nodelay-only') ? [true] : [false, true];
const WARMUP = 50;
/** utime and stime in ms (/proc/PID/stat fields 14, 15). */
const userSys = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ').slice(11, 13).map((t) => Number(t) * 10);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

await withTempDir('online-latency-', async (parent) => {
  for (const nodelay of variants) {
    await withOnlineStack(parent, { nodelay, warmup: WARMUP, hostNodeArgs }, async ({ broker, host, award }) => {
      const before = load();
      const hostCpuBefore = host.cpuMs();
      const hostSplitBefore = userSys(host.pid);
      const brokerPid = broker.pid()!;
      const brokerCpuBefore = cpuMs(brokerPid);
      const online = await run(awards, 1, (i) => award(`on-${i}`));
      const hostUsPerAward = ((host.cpuMs() - hostCpuBefore) * 1000) / awards;
      const brokerUsPerAward = ((cpuMs(brokerPid) - brokerCpuBefore) * 1000) / awards;
      const hostSplit = userSys(host.pid).map((ms, i) => ((ms - hostSplitBefore[i]!) * 1000) / awards);
      const statuses = awardStatuses('online award', online.responses, ['awarded', 'queued']);
      const sorted = Float64Array.from(online.latenciesMs).sort();
      const f = (p: number) => percentile(sorted, p).toFixed(2);
      process.stdout.write(`${nodelay ? 'set_tcp_nodelay true' : 'stock mosquitto     '}  n=${awards}  p50 ${f(50)}  p90 ${f(90)}  p99 ${f(99)}  max ${sorted[sorted.length - 1]!.toFixed(2)} ms  host CPU ${hostUsPerAward.toFixed(0)} us/award (user ${hostSplit[0]!.toFixed(0)}, sys ${hostSplit[1]!.toFixed(0)}), mosquitto ${brokerUsPerAward.toFixed(0)}`
        + `  ${[...statuses].map(([s, n]) => `${s} ${n}`).join(', ')}  load ${before} → ${load()}\n`);
    });
  }
});
