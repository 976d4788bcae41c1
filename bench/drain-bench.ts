// Issue #10's drain alone, with the CPU each process spent on it: suite 4's drain (agent and host
// as child processes over a real mosquitto, stock config) without the rest of the table, so that
// variants can be compared in a minute and by CPU time, which other work on a shared machine
// skews much less than the wall time.
//
//   npx tsx bench/drain-bench.ts [--backlog=20000] [--nodelay] [--prof=DIR] [--agent-node=FLAGS] [--smaps=FILE] [--idle-after=MS,…]
//
// The broker stops, `backlog` awards are queued over 16 POS connections, the broker starts again
// and the agent drains. Prints one JSON line: the drain's wall time and rates as suite 4 takes them,
// and the CPU time (user + system, /proc/PID/stat) of the agent, the host and mosquitto from the
// broker's start to the outbox being empty, per award. --prof=DIR runs agent and host with
// `--cpu-prof` (profiles written to DIR when they stop; the profiler costs CPU of its own).
// --callgrind=DIR runs the agent under valgrind's callgrind (bench/callgrind.ts), counting from the
// broker's start to the empty outbox: the agent's instructions per drained award (all threads, and
// its main thread's in DIR's dump for callgrind_annotate), load-independent. Use a smaller backlog.
// Printed also without V8's TurboFan jobs and without its major GC's worker jobs (bench/callgrind.ts);
// the POS clients then wait up to 120 s for an answer (valgrind on a busy machine).
import { chmod, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectPos, type PosClient } from '../test/helpers/pos-client.ts';
import { freePort } from '../test/helpers/ports.ts';
import { awardStatuses, run, status, waitUplink } from './drive.ts';
import { createMosquitto, mosquittoDir } from './mosquitto.ts';
import { awardParams, SAMPLE_SEED } from './sample-sale.ts';
import { perSecond } from './stats.ts';
import { withTempDir } from './temp-dir.ts';
import { CALLGRIND_ANSWER_TIMEOUT_MS, callgrindWrapper, dump, instrumentation } from './callgrind.ts';
import { cpuMs, sampleRss, spawnTill, type TillProcess } from './till-process.ts';
import { waitUntil } from './wait.ts';

const flag = (name: string): string | undefined => {
  const arg = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return arg === undefined ? undefined : arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : '';
};
const backlog = Number(flag('backlog') ?? 20_000);
const nodelay = flag('nodelay') !== undefined;
const profDir = flag('prof');
// What-ifs for the agent's config: outbox.backlog_batch_size and outbox.window (defaults when absent).
const batch = flag('batch');
const window = flag('window');
// --log=FILE: the host's and the agent's log lines during the drain, prefixed by H / A (request timings).
const logFile = flag('log');
// --host-node=FLAGS: extra node flags for the host alone (comma-separated), e.g. a what-if on its heap.
const hostNode = flag('host-node')?.split(',').filter(Boolean);
// --agent-node=FLAGS: the same for the agent alone.
const agentNode = flag('agent-node')?.split(',').filter(Boolean);
// --smaps=FILE: a copy of the agent's /proc/PID/smaps at the end of the drain (where its RSS is).
const smapsFile = flag('smaps');
// --idle-after=MS[,MS…]: the agent's VmRSS again at these times after the outbox emptied (what a till keeps).
const idleAfter = (flag('idle-after') ?? '').split(',').filter(Boolean).map(Number);
const callgrindDir = flag('callgrind');
const CONNECTIONS = 16;
const DRAIN_TIMEOUT_MS = 300_000;

async function main(): Promise<void> {
  await withTempDir('drain', async (dir) => {
    await chmod(dir, 0o755);
    const broker = await createMosquitto({ dir: await mosquittoDir(dir, 'mosquitto'), nodelay });
    const posPort = await freePort();
    const agentFile = join(dir, 'agent.yaml');
    const hostFile = join(dir, 'host.yaml');
    await writeFile(agentFile, [
      'terminal: T1', 'store: S1', 'merchant: M1', `data_dir: ${join(dir, 'agent')}`, 'log_level: info',
      'socket:', `  tcp: "127.0.0.1:${posPort}"`, '  unix: false', 'uplink:', `  url: ${broker.url}`,
      // Under valgrind the agent runs ~50x slower: no request may time out and be sent again.
      ...(callgrindDir !== undefined ? ['  request_timeout_ms: 600000'] : []),
      ...(batch || window ? ['outbox:', ...(batch ? [`  backlog_batch_size: ${batch}`] : []), ...(window ? [`  window: ${window}`] : [])] : []), '',
    ].join('\n'));
    await writeFile(hostFile, [
      `data_dir: ${join(dir, 'host')}`, `seed: ${fileURLToPath(SAMPLE_SEED)}`, 'log_level: info',
      'uplink:', `  url: ${broker.url}`, '  client_id: bench-host', '',
    ].join('\n'));
    let nodeArgs: string[] | undefined;
    if (profDir !== undefined) {
      const out = resolve(profDir || 'drain-prof');
      await mkdir(out, { recursive: true });
      nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${out}`];
    }
    const procs: TillProcess[] = [];
    let draining = false;
    const clients: PosClient[] = [];
    try {
      await broker.start();
      const lines: string[] = [];
      const keep = (who: string) => (logFile ? (line: string) => { if (draining) lines.push(`${who} ${line}`); } : undefined);
      const hostArgs = hostNode ? [...(nodeArgs ?? []), ...hostNode] : nodeArgs;
      const host = await spawnTill(['host', '--config', hostFile], 'host ready', keep('H'), hostArgs);
      procs.push(host);
      const agentArgs = agentNode ? [...(nodeArgs ?? []), ...agentNode] : nodeArgs;
      let cgOut: string | undefined;
      if (callgrindDir !== undefined) {
        await mkdir(resolve(callgrindDir || 'drain-callgrind'), { recursive: true });
        cgOut = resolve(callgrindDir || 'drain-callgrind', `agent-drain.${process.pid}.out`);
      }
      const agent = await spawnTill(['run', '--config', agentFile], 'till-agent ready', keep('A'), agentArgs, cgOut ? callgrindWrapper(cgOut) : []);
      procs.push(agent);
      const posOptions = callgrindDir ? { requestTimeoutMs: CALLGRIND_ANSWER_TIMEOUT_MS } : {};
      const pos = await connectPos({ port: posPort }, posOptions);
      clients.push(pos);
      await waitUplink(pos, true);
      await broker.stop();
      await waitUplink(pos, false);
      for (let i = 1; i < CONNECTIONS; i++) clients.push(await connectPos({ port: posPort }, posOptions));
      const tag = `drain-${Date.now()}`;
      const offline = await run(backlog, CONNECTIONS, (i, w) => clients[w]!.request('award', awardParams(`${tag}-${i}`)));
      awardStatuses('offline award', offline.responses, ['queued']);

      const sub = await pos.request('events.subscribe', { topics: ['uplink', 'outbox'] });
      if (!sub.ok) throw new Error(`bench: events.subscribe: ${sub.error.code}`);
      type Delivered = { type?: unknown; pending?: unknown };
      const at = <T>(p: Promise<T>) => p.then((value) => ({ value, t: performance.now() }));
      const onlineAgain = at(pos.waitForEvent('uplink', (d) => (d as { connected?: unknown }).connected === true, DRAIN_TIMEOUT_MS));
      const first = at(pos.waitForEvent('outbox', (d) => (d as Delivered).type === 'delivered', DRAIN_TIMEOUT_MS));
      const empty = at(pos.waitForEvent('outbox', (d) => (d as Delivered).type === 'delivered' && (d as Delivered).pending === 0, DRAIN_TIMEOUT_MS));
      const rssBefore = agent.rssMiB();
      const rss = sampleRss(agent);
      const cpu0 = { agent: agent.cpuMs(), host: host.cpuMs() };
      const t0 = performance.now();
      const mono0 = process.hrtime.bigint() / 1000n;
      draining = true;
      if (cgOut) instrumentation(agent.pid, true);
      await broker.start();
      const brokerPid = broker.pid()!;
      const [on, fst, end] = await Promise.all([onlineAgain, first, empty]);
      const cpu = { agent: agent.cpuMs() - cpu0.agent, host: host.cpuMs() - cpu0.host, broker: cpuMs(brokerPid) };
      const counts = cgOut ? dump(agent.pid, cgOut) : undefined;
      if (cgOut) instrumentation(agent.pid, false);
      const wall = performance.now() - t0;
      const drainPeakRssMiB = rss.stop();
      if (smapsFile) await writeFile(smapsFile, await readFile(`/proc/${agent.pid}/smaps`));
      draining = false;
      if (logFile) await writeFile(logFile, lines.join('\n'));
      // CLOCK_MONOTONIC in µs, the clock of V8's profile timestamps: the drain's window in a profile.
      const profileWindow = { from: Number(mono0), to: Number(process.hrtime.bigint() / 1000n) };
      await waitUntil(async () => (await status(pos)).outbox.pending === 0, 'outbox empty');
      const afterDrain: Record<string, number> = {};
      for (const ms of idleAfter) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, end.t + ms - performance.now())));
        afterDrain[`${ms}_ms`] = Number(agent.rssMiB().toFixed(1));
      }
      const afterFirst = Number((fst.value.data as Delivered).pending);
      const perAward = (ms: number) => Math.round((ms * 1000) / backlog);
      process.stdout.write(`${JSON.stringify({
        backlog, nodelay, ...(hostNode ? { host_node: hostNode.join(' ') } : {}), ...(agentNode ? { agent_node: agentNode.join(' ') } : {}), ...(batch ? { backlog_batch_size: Number(batch) } : {}), ...(window ? { window: Number(window) } : {}), enqueue_per_s: Math.round(perSecond(backlog, offline.elapsedMs)),
        drain_ms: Math.round(end.t - on.t), drain_per_s: Math.round(perSecond(backlog, end.t - on.t)),
        steady_per_s: Math.round(perSecond(afterFirst, end.t - fst.t)),
        cpu_us_per_award: { agent: perAward(cpu.agent), host: perAward(cpu.host), broker: perAward(cpu.broker),
          total: perAward(cpu.agent + cpu.host + cpu.broker) },
        ...(counts ? { agent_ir_per_award: Math.round(counts.total / backlog), agent_ir_per_award_without_compile: Math.round((counts.total - counts.compile) / backlog),
          agent_ir_per_award_without_compile_and_major_gc: Math.round((counts.total - counts.compile - counts.majorGc) / backlog),
          // The checkpoint worker's thread, its start included (a fixed cost: ~57 k an award of a 4,000-award drain).
          agent_ir_per_award_of_checkpoint_worker: Math.round(counts.workers / backlog) } : {}),
        cpu_share_of_wall: Number(((cpu.agent + cpu.host + cpu.broker) / wall).toFixed(2)),
        // The agent's VmRSS before the broker returned and its peak while draining (sampled every 50 ms, as suite 4).
        agent_rss_mib: { before_drain: Number(rssBefore.toFixed(1)), drain_peak: Number(drainPeakRssMiB.toFixed(1)), ...(idleAfter.length ? { after_drain: afterDrain } : {}) },
        ...(nodeArgs ? { profile_window_us: profileWindow } : {}),
      })}\n`);
    } finally {
      for (const p of clients) await p.close();
      for (const p of procs.reverse()) await p.stop();
      await broker.stop();
    }
  });
}

await main();
