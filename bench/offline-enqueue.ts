// Only the offline phase of suite 4 (process-bench.ts), for quick iterations on the durable
// offline enqueue: mosquitto and `till-agent run` as processes, the agent online once, then the
// broker stopped and N awards sent over C POS connections, one request in flight per connection
// (every answer must be "queued": committed and fsynced). No host is started: offline, the agent
// never reaches it. Prints awards/s and the CPU each side used during the phase, per award: the
// agent's (from /proc) and this process's, where the POS clients run (process.cpuUsage).
//
//   node --import tsx bench/offline-enqueue.ts [--awards 20000] [--connections 16] [--runs 1]
//                                              [--cpu-prof DIR] [--count-fsyncs] [--client lanes|pos-client]
//                                              [--callgrind DIR] [--warmup N] [--syscalls main|all]
//                                              [--node-args='FLAGS']
//
// --client: the POS side, bench/award-lanes.ts (what suite 4 uses) or test/helpers/pos-client.ts
// (what it used before: ~100 µs of CPU per award in this process).
// --cpu-prof DIR writes the agent's CPU profile there (node --cpu-prof, on exit); --count-fsyncs
// attaches strace to the agent during the phase and counts its fdatasync calls (one per group
// commit; strace slows the agent, so the rate of that run is not a figure). Needs `npm run build`.
// --callgrind DIR runs the agent under valgrind's callgrind (bench/callgrind.ts) and prints its
// instructions per award over the phase (all threads; exact, load-independent: for A/B on a shared
// machine; ~2,000 awards are enough). --warmup N offline awards go first, not counted (default 0).
// --syscalls main|all attaches `strace -c` to the agent's main thread (main) or to all its threads
// (all) during the phase and prints its system calls per award by name (strace slows the agent:
// the rate of that run is not a figure). --node-args='FLAGS' gives the agent's node these flags
// (e.g. --perf-basic-prof-only-functions, for naming JIT code in a `perf record` of the agent).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connectPos, type PosClient } from '../test/helpers/pos-client.ts';
import { freePort } from '../test/helpers/ports.ts';
import { awardLanes } from './award-lanes.ts';
import { awardStatuses, run, status, waitUplink } from './drive.ts';
import { createMosquitto, mosquittoDir } from './mosquitto.ts';
import { writeConfigs } from './process-bench.ts';
import { awardParams } from './sample-sale.ts';
import { withTempDir } from './temp-dir.ts';
import { CALLGRIND_ANSWER_TIMEOUT_MS, callgrindWrapper, dump, instrumentation } from './callgrind.ts';
import { spawnTill } from './till-process.ts';

const { values } = parseArgs({
  options: {
    awards: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '16' },
    runs: { type: 'string', default: '1' },
    'cpu-prof': { type: 'string' },
    'count-fsyncs': { type: 'boolean', default: false },
    client: { type: 'string', default: 'lanes' },
    callgrind: { type: 'string' },
    warmup: { type: 'string', default: '0' },
    syscalls: { type: 'string' },
    'node-args': { type: 'string' },
  },
});
const awards = Number(values.awards);
const connections = Number(values.connections);
const runs = Number(values.runs);
if (values.client !== 'lanes' && values.client !== 'pos-client') throw new Error('--client is lanes (bench/award-lanes.ts) or pos-client (test/helpers/pos-client.ts)');
if (values.syscalls !== undefined && values.syscalls !== 'main' && values.syscalls !== 'all') throw new Error('--syscalls is main (the main thread) or all (every thread)');
if (![awards, connections, runs].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--awards, --connections and --runs take whole numbers > 0');

/** strace -c on the agent for the phase: resolves with its fdatasync count once stopped. */
function countFsyncs(pid: number): { stop(): Promise<number> } {
  const counter = straceCounts(pid, ['-f', '-e', 'trace=fdatasync,fsync']);
  return { stop: async () => (await counter.stop()).get('fdatasync') ?? Number.NaN };
}

/** strace -c on the agent for the phase (its main thread, or all threads): calls by name once stopped. */
function countSyscalls(pid: number, all: boolean): { stop(): Promise<Map<string, number>> } {
  return straceCounts(pid, all ? ['-f'] : []);
}

/** `strace -c ARGS -p PID` until stopped: calls by syscall name. */
function straceCounts(pid: number, args: string[]): { stop(): Promise<Map<string, number>> } {
  const child = spawn('strace', [...args, '-c', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    async stop() {
      child.kill('SIGINT');
      await exited;
      const calls = new Map<string, number>();
      // % time, seconds, usecs/call, calls, [errors,] syscall
      for (const m of out.matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)$/gm)) calls.set(m[2]!, Number(m[1]));
      return calls;
    },
  };
}

/** CPU ms (user, system) of each thread of pid, by thread name (comm), from /proc/PID/task. */
function threadCpu(pid: number): Map<string, { user: number; system: number }> {
  const byName = new Map<string, { user: number; system: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const t = byName.get(name) ?? { user: 0, system: 0 };
    t.user += (Number(fields[11]) * 1000) / 100;
    t.system += (Number(fields[12]) * 1000) / 100;
    byName.set(name, t);
  }
  return byName;
}

async function once(dir: string, i: number): Promise<void> {
  const broker = await createMosquitto({ dir: await mosquittoDir(dir, `mosquitto-${i}`), nodelay: false });
  const posPort = await freePort();
  const files = await writeConfigs(await mosquittoDir(dir, `run-${i}`), broker.url, posPort);
  const nodeArgs = [
    ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(values['cpu-prof'])}`] : []),
    ...(values['node-args']?.split(' ').filter((a) => a !== '') ?? []),
  ];
  const cgOut = values.callgrind === undefined ? undefined : resolve(values.callgrind, `agent-offline.${process.pid}.${i}.out`);
  if (values.callgrind !== undefined) mkdirSync(resolve(values.callgrind), { recursive: true });
  const clients: PosClient[] = [];
  await broker.start();
  const agent = await spawnTill(['run', '--config', files.agent], 'till-agent ready', undefined, nodeArgs, cgOut ? callgrindWrapper(cgOut) : []);
  try {
    // Under valgrind on a busy machine a status takes seconds (connectPos's default wait is 5 s).
    const posOptions = cgOut ? { requestTimeoutMs: CALLGRIND_ANSWER_TIMEOUT_MS } : {};
    const pos = await connectPos({ port: posPort }, posOptions);
    clients.push(pos);
    await waitUplink(pos, true);
    await broker.stop();
    await waitUplink(pos, false);
    if (values.client === 'pos-client') for (let c = 1; c < connections; c++) clients.push(await connectPos({ port: posPort }, posOptions));
    const warmup = Number(values.warmup);
    if (warmup > 0) {
      const warm = await awardLanes(posPort, connections, warmup, `warm-${i}-`);
      if (warm.statuses.get('queued') !== warmup) throw new Error(`warm-up: not every answer was "queued": ${JSON.stringify([...warm.statuses])}`);
    }
    if (cgOut) instrumentation(agent.pid, true);
    const strace = values['count-fsyncs'] ? countFsyncs(agent.pid) : undefined;
    const syscalls = values.syscalls ? countSyscalls(agent.pid, values.syscalls === 'all') : undefined;
    if (strace || syscalls) await new Promise((r) => setTimeout(r, 500)); // attached
    const load = loadavg()[0]!;
    const agentCpu0 = agent.cpuMs();
    const threads0 = threadCpu(agent.pid);
    const perAward = (ms: number) => ((ms * 1000) / awards).toFixed(0);
    const selfCpu0 = process.cpuUsage();
    const t0 = performance.now();
    if (values.client === 'lanes') {
      const lanes = await awardLanes(posPort, connections, awards, `off-${i}-`);
      if (lanes.statuses.get('queued') !== awards) throw new Error(`not every answer was "queued": ${JSON.stringify([...lanes.statuses])}`);
    } else {
      const offline = await run(awards, connections, (n, w) => clients[w]!.request('award', awardParams(`off-${i}-${n}`)));
      awardStatuses('offline award', offline.responses, ['queued']);
    }
    const wallMs = performance.now() - t0;
    const selfCpu = process.cpuUsage(selfCpu0);
    const agentCpuMs = agent.cpuMs() - agentCpu0;
    const threads: Record<string, string> = {};
    for (const [name, t] of threadCpu(agent.pid)) {
      const t0 = threads0.get(name) ?? { user: 0, system: 0 };
      const user = t.user - t0.user;
      const system = t.system - t0.system;
      if (user + system > 0) threads[name] = `${perAward(user)}+${perAward(system)}`;
    }
    const fsyncs = strace ? await strace.stop() : undefined;
    const calls = syscalls ? await syscalls.stop() : undefined;
    const counts = cgOut ? dump(agent.pid, cgOut) : undefined;
    if (cgOut) instrumentation(agent.pid, false);
    const pending = (await status(pos)).outbox.pending;
    if (pending !== awards + warmup) throw new Error(`${pending} pending after ${awards + warmup} offline awards`);
    console.log(JSON.stringify({
      run: i,
      load_1m: Number(load.toFixed(2)),
      awards_per_s: Math.round((awards * 1000) / wallMs),
      agent_cpu_us_per_award: Number(perAward(agentCpuMs)),
      bench_cpu_us_per_award: Number(perAward((selfCpu.user + selfCpu.system) / 1000)),
      bench_user_system: `${perAward(selfCpu.user / 1000)}+${perAward(selfCpu.system / 1000)}`,
      // Per thread of the agent: user+system µs per award (the main thread, libuv's pool, V8's GC helpers).
      agent_threads: threads,
      ...(fsyncs !== undefined ? { fdatasyncs: fsyncs, rows_per_commit: Number((awards / fsyncs).toFixed(2)) } : {}),
      ...(calls ? { syscalls_per_award: Object.fromEntries([...calls].sort((a, b) => b[1] - a[1]).map(([name, n]) => [name, Number((n / awards).toFixed(3))])) } : {}),
      ...(counts ? { instructions_per_award: Math.round(counts.total / awards), turbofan_per_award: Math.round(counts.compile / awards) } : {}),
    }));
  } finally {
    for (const p of clients) await p.close();
    await agent.stop();
    await broker.stop();
  }
}

await withTempDir('offline-enqueue', async (dir) => {
  await chmod(dir, 0o755);
  for (let i = 0; i < runs; i++) await once(dir, i);
});
