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
import { connectPos, type PosClient } from '../test/helpers/pos-client.ts';
import { freePort } from '../test/helpers/ports.ts';
import { awardStatuses, run, waitUplink } from './drive.ts';
import { createMosquitto, mosquittoDir } from './mosquitto.ts';
import { writeConfigs } from './process-bench.ts';
import { awardParams } from './sample-sale.ts';
import { percentile } from './stats.ts';
import { withTempDir } from './temp-dir.ts';
import { cpuMs, spawnTill, type TillProcess } from './till-process.ts';

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
    const dir = await mosquittoDir(parent, nodelay ? 'nodelay' : 'stock');
    const broker = await createMosquitto({ dir: await mosquittoDir(dir, 'mosquitto'), nodelay });
    const posPort = await freePort();
    const files = await writeConfigs(dir, broker.url, posPort);
    const procs: TillProcess[] = [];
    let pos: PosClient | undefined;
    try {
      await broker.start();
      procs.push(await spawnTill(['host', '--config', files.host], 'host ready', undefined, hostNodeArgs));
      procs.push(await spawnTill(['run', '--config', files.agent], 'till-agent ready'));
      pos = await connectPos({ port: posPort });
      await waitUplink(pos, true);
      const client = pos;
      const award = (txn: string) => client.request('award', awardParams(txn));
      awardStatuses('warm-up', (await run(WARMUP, 1, (i) => award(`warm-${i}`))).responses, ['awarded', 'queued']);
      const before = load();
      const hostCpuBefore = procs[0]!.cpuMs();
      const hostSplitBefore = userSys(procs[0]!.pid);
      const brokerPid = broker.pid()!;
      const brokerCpuBefore = cpuMs(brokerPid);
      const online = await run(awards, 1, (i) => award(`on-${i}`));
      const hostUsPerAward = ((procs[0]!.cpuMs() - hostCpuBefore) * 1000) / awards;
      const brokerUsPerAward = ((cpuMs(brokerPid) - brokerCpuBefore) * 1000) / awards;
      const hostSplit = userSys(procs[0]!.pid).map((ms, i) => ((ms - hostSplitBefore[i]!) * 1000) / awards);
      const statuses = awardStatuses('online award', online.responses, ['awarded', 'queued']);
      const sorted = Float64Array.from(online.latenciesMs).sort();
      const f = (p: number) => percentile(sorted, p).toFixed(2);
      process.stdout.write(`${nodelay ? 'set_tcp_nodelay true' : 'stock mosquitto     '}  n=${awards}  p50 ${f(50)}  p90 ${f(90)}  p99 ${f(99)}  max ${sorted[sorted.length - 1]!.toFixed(2)} ms  host CPU ${hostUsPerAward.toFixed(0)} us/award (user ${hostSplit[0]!.toFixed(0)}, sys ${hostSplit[1]!.toFixed(0)}), mosquitto ${brokerUsPerAward.toFixed(0)}`
        + `  ${[...statuses].map(([s, n]) => `${s} ${n}`).join(', ')}  load ${before} → ${load()}\n`);
    } finally {
      await pos?.close();
      for (const p of procs.reverse()) await p.stop();
      await broker.stop();
    }
  }
});
