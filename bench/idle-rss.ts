// Suite 4's idle figure alone, and where the memory is: mosquitto, `till-agent host` and
// `till-agent run` started as suite 4 starts them (process-bench.ts writeConfigs, till-process.ts),
// one POS connection, uplink online, then the agent's VmRSS `--settle` ms later (suite 4: 5 s).
// The last run (every run with --detail) also prints the resident memory by kind of mapping from
// /proc/PID/smaps and the agent's threads.
//
//   node --import tsx bench/idle-rss.ts [--runs 3] [--settle 5000] [--detail] [--maps]
//        [--later 10000,20000] [--gdb-trim] [--node-flag=--x ...] [--env=K=V ...]
//
// --maps       every anonymous mapping with ≥ 256 KiB resident (V8 pages, malloc arenas)
// --later      VmRSS again at these times (ms after coming online): V8's memory reducer, ~8 s in
// --gdb-trim   diagnosis only: calls malloc_trim(0) in the agent through gdb and prints VmRSS again
//              (how much freed memory glibc's arenas hold)
// --node-flag  node flags after the shebang's; --env the agent's environment
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { connectPos } from '../test/helpers/pos-client.ts';
import { freePort } from '../test/helpers/ports.ts';
import { waitUplink } from './drive.ts';
import { createMosquitto, mosquittoDir } from './mosquitto.ts';
import { writeConfigs } from './process-bench.ts';
import { withTempDir } from './temp-dir.ts';
import { spawnTill, type TillProcess } from './till-process.ts';

const args = process.argv.slice(2);
const value = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const runs = Number(value('--runs') ?? 3);
const settleMs = Number(value('--settle') ?? 5000);
const later = (value('--later') ?? '').split(',').filter(Boolean).map(Number);
const detail = args.includes('--detail');
const nodeFlags = args.filter((a) => a.startsWith('--node-flag=')).map((a) => a.slice('--node-flag='.length));
for (const e of args.filter((a) => a.startsWith('--env=')).map((a) => a.slice('--env='.length))) {
  process.env[e.slice(0, e.indexOf('='))] = e.slice(e.indexOf('=') + 1);
}

interface Mapping { head: string; anonymous: boolean; kind: string; sizeKiB: number; rssKiB: number }

function mappings(pid: number): Mapping[] {
  const out: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      const path = m[4]!;
      const kind = path === '' ? `anon ${m[3]}` : path.startsWith('[') ? path : path.replace(/^.*node_modules\//, 'node_modules/');
      out.push({ head: `${m[1]} ${m[3]} ${path}`, anonymous: path === '' || path === '[heap]', kind, sizeKiB: (parseInt(m[2]!, 16) - parseInt(m[1]!, 16)) / 1024, rssKiB: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && out.length > 0) out[out.length - 1]!.rssKiB = Number(rss[1]);
  }
  return out;
}

const mib = (kib: number) => (kib / 1024).toFixed(1);

function report(pid: number): void {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')
    .filter((l) => /^(Rss|Private_Dirty|Shared_Clean|Anonymous):/.test(l)).map((l) => l.replace(/\s+/g, ' ')).join(', ');
  console.log(`  ${rollup}`);
  const maps = mappings(pid);
  const kinds = new Map<string, number>();
  for (const m of maps) kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + m.rssKiB);
  for (const [k, kib] of [...kinds].sort((a, b) => b[1] - a[1]).filter(([, kib]) => kib >= 256)) console.log(`  ${mib(kib).padStart(6)} MiB  ${k}`);
  console.log(`  threads: ${readdirSync(`/proc/${pid}/task`).length}`);
  if (args.includes('--maps')) {
    for (const m of maps.filter((x) => x.anonymous && x.rssKiB >= 256)) console.log(`    ${m.head} size ${mib(m.sizeKiB)} MiB, resident ${mib(m.rssKiB)} MiB`);
  }
}

const idle: number[] = [];
for (let r = 0; r < runs; r++) {
  await withTempDir('idle-rss', async (dir) => {
    const broker = await createMosquitto({ dir: await mosquittoDir(dir, 'mosquitto'), nodelay: false });
    const posPort = await freePort();
    const files = await writeConfigs(dir, broker.url, posPort);
    const procs: TillProcess[] = [];
    try {
      await broker.start();
      procs.push(await spawnTill(['host', '--config', files.host], 'host ready'));
      const agent = await spawnTill(['run', '--config', files.agent], 'till-agent ready', undefined, nodeFlags);
      procs.push(agent);
      const pos = await connectPos({ port: posPort });
      await waitUplink(pos, true);
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      const rss = agent.rssMiB();
      idle.push(rss);
      console.log(`run ${r + 1}: idle VmRSS ${rss.toFixed(1)} MiB (ready in ${agent.readyMs.toFixed(0)} ms, ${agent.readyCpuMs} ms CPU)`);
      let waited = settleMs;
      for (const at of later) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - waited)));
        waited = at;
        console.log(`  at ${at} ms: ${agent.rssMiB().toFixed(1)} MiB`);
      }
      if (args.includes('--gdb-trim')) {
        execFileSync('gdb', ['-p', String(agent.pid), '-batch', '-ex', 'call (int)malloc_trim(0)'], { stdio: 'ignore' });
        console.log(`  after malloc_trim(0) through gdb: ${agent.rssMiB().toFixed(1)} MiB`);
      }
      if (detail || r === runs - 1) report(agent.pid);
      await pos.close();
    } finally {
      for (const p of procs.reverse()) await p.stop();
      await broker.stop();
    }
  });
}
const sorted = [...idle].sort((a, b) => a - b);
console.log(`idle VmRSS MiB: ${sorted.map((v) => v.toFixed(1)).join(' ')} (median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)}); load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
