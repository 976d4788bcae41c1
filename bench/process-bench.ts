// 4. Every row of issue #10's table from one run, with the parts as they run on a till:
//
//   POS clients ──TCP──▶ till-agent run ──MQTT 5──▶ mosquitto ◀──MQTT 5── till-agent host
//   (this process)        (child process)           (child)               (child)
//
// Once per broker config, stock (mosquitto's defaults: no TCP_NODELAY) and `set_tcp_nodelay true`:
//   online   sequential awards after a discarded warm-up: the POS's round trip p50/p99
//   offline  broker stopped; the backlog is awarded over 16 POS connections, one request at a time
//            each (award-lanes.ts); every answer must be "queued" (committed and fsynced before it
//            is sent). offline-enqueue.ts runs only this phase, with the CPU used on each side.
//   drain    broker started again: link back (and uplink online) → outbox empty, i.e. the host applied and
//            answered every message; the agent's RSS is sampled meanwhile
//   bridge   the same backlog over a mosquitto bridge (bridge-baseline.ts), and drain ÷ bridge
//            (issue #10's: link back → last message, both sides; and the steady rates)
// Then: the agent's RSS when idle, and start to ready (spawn → "till-agent ready" log line).
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { connectPos, type PosClient } from '../test/helpers/pos-client.ts';
import { freePort } from '../test/helpers/ports.ts';
import { awardLanes } from './award-lanes.ts';
import { bridgeBaseline } from './bridge-baseline.ts';
import { awardStatuses, mixNote, run, status, waitUplink } from './drive.ts';
import { createMosquitto, mosquittoDir } from './mosquitto.ts';
import type { Result } from './report.ts';
import { awardParams, SAMPLE_SEED } from './sample-sale.ts';
import { perSecond, summarize } from './stats.ts';
import { withTempDir } from './temp-dir.ts';
import { sampleRss, spawnTill, type TillProcess } from './till-process.ts';
import { waitUntil } from './wait.ts';

export const PROCESS_COUNTS = { warmup: 50, online: 500, backlog: 20_000, connections: 16, starts: 5, idleSettleMs: 5000 } as const;
const SECTION = '4. Issue #10 table: agent and host processes over mosquitto';
const VARIANTS = [
  { name: 'stock mosquitto', key: 'stock', nodelay: false },
  { name: 'set_tcp_nodelay true', key: 'nodelay', nodelay: true },
] as const;
type Variant = (typeof VARIANTS)[number];
const DRAIN_TIMEOUT_MS = 300_000;
/** The bridge baseline's reconnect waits (mosquitto.ts `restart_timeout 1`, bridge-baseline.ts `reconnectPeriod`). */
const AGENT_RECONNECT_MS = 1000;
const HOST_RECONNECT_MS = 200;

const fmtMs = (ms: number): string => `${Math.round(ms)} ms`;
const row = (name: string, value: number, unit: string, note?: string): Result =>
  ({ section: SECTION, name, value, unit, ...(note ? { note } : {}) });

export async function writeConfigs(dir: string, brokerUrl: string, posPort: number): Promise<{ agent: string; host: string }> {
  const agent = join(dir, 'agent.yaml');
  const host = join(dir, 'host.yaml');
  await writeFile(agent, [
    'terminal: T1', 'store: S1', 'merchant: M1', `data_dir: ${join(dir, 'agent')}`, 'log_level: info',
    'socket:', `  tcp: "127.0.0.1:${posPort}"`, '  unix: false',
    // The drain is timed from the link's return, as the bridge is: the till retries its link every
    // second like the bridge (restart_timeout 1), the host every 200 ms like the bridge's
    // subscriber. With the defaults (1 s doubling to 30 s) both would still be waiting out a
    // backoff grown during the offline phase, which says nothing about the drain.
    'uplink:', `  url: ${brokerUrl}`, `  reconnect_min_ms: ${AGENT_RECONNECT_MS}`, `  reconnect_max_ms: ${AGENT_RECONNECT_MS}`, '',
  ].join('\n'));
  await writeFile(host, [
    `data_dir: ${join(dir, 'host')}`, `seed: ${fileURLToPath(SAMPLE_SEED)}`, 'log_level: info',
    // A stable client id: a persistent session, so requests wait for the host across broker restarts.
    'uplink:', `  url: ${brokerUrl}`, '  client_id: bench-host',
    `  reconnect_min_ms: ${HOST_RECONNECT_MS}`, `  reconnect_max_ms: ${HOST_RECONNECT_MS}`, '',
  ].join('\n'));
  return { agent, host };
}

interface VariantFigures {
  results: Result[];
  idleRssMiB: number;
  drainPeakRssMiB: number;
}

async function runVariant(parent: string, variant: Variant, tag: string): Promise<VariantFigures> {
  const c = PROCESS_COUNTS;
  const dir = await mosquittoDir(parent, variant.key);
  const broker = await createMosquitto({ dir: await mosquittoDir(dir, 'mosquitto'), nodelay: variant.nodelay });
  const posPort = await freePort();
  const files = await writeConfigs(dir, broker.url, posPort);
  const procs: TillProcess[] = [];
  const clients: PosClient[] = [];
  try {
    await broker.start();
    procs.push(await spawnTill(['host', '--config', files.host], 'host ready'));
    const agent = await spawnTill(['run', '--config', files.agent], 'till-agent ready');
    procs.push(agent);
    const pos = await connectPos({ port: posPort });
    clients.push(pos);
    await waitUplink(pos, true);
    await new Promise((resolve) => setTimeout(resolve, c.idleSettleMs));
    const idleRssMiB = agent.rssMiB();

    // Online: one POS, one award at a time.
    const award = (p: PosClient, txn: string) => p.request('award', awardParams(txn));
    awardStatuses('warm-up', (await run(c.warmup, 1, (i) => award(pos, `${tag}-${variant.key}-warm-${i}`))).responses, ['awarded', 'queued']);
    const online = await run(c.online, 1, (i) => award(pos, `${tag}-${variant.key}-on-${i}`));
    const onlineNote = mixNote(awardStatuses('online award', online.responses, ['awarded', 'queued']));
    const latency = summarize(online.latenciesMs);

    // Offline: the broker goes away; the backlog is committed and answered "queued".
    await waitUntil(async () => (await status(pos)).outbox.pending === 0, 'online awards delivered');
    await broker.stop();
    await waitUplink(pos, false);
    // The POS side without PosClient's per-request machinery (award-lanes.ts: same frames and pacing).
    const offline = await awardLanes(posPort, c.connections, c.backlog, `${tag}-${variant.key}-off-`);
    if (offline.statuses.get('queued') !== c.backlog) throw new Error(`bench: offline awards not all "queued": ${JSON.stringify([...offline.statuses])}`);
    const queued = (await status(pos)).outbox.pending;
    if (queued !== c.backlog) throw new Error(`bench: ${queued} pending after ${c.backlog} offline awards`);

    // Drain: the broker returns; timed from the agent's own events.
    const sub = await pos.request('events.subscribe', { topics: ['uplink', 'outbox'] });
    if (!sub.ok) throw new Error(`bench: events.subscribe: ${sub.error.code}`);
    type Delivered = { type?: unknown; pending?: unknown };
    const at = <T>(p: Promise<T>) => p.then((value) => ({ value, t: performance.now() }));
    const onlineAgain = at(pos.waitForEvent('uplink', (d) => (d as { connected?: unknown }).connected === true, DRAIN_TIMEOUT_MS));
    const first = at(pos.waitForEvent('outbox', (d) => (d as Delivered).type === 'delivered', DRAIN_TIMEOUT_MS));
    const empty = at(pos.waitForEvent('outbox', (d) => (d as Delivered).type === 'delivered' && (d as Delivered).pending === 0, DRAIN_TIMEOUT_MS));
    const rss = sampleRss(agent);
    // The link returns: the drain's end-to-end clock starts here, as the bridge's does.
    const linkBack = performance.now();
    await broker.start();
    const [on, fst, end] = await Promise.all([onlineAgain, first, empty]);
    const drainPeakRssMiB = rss.stop();
    if ((await status(pos)).outbox.pending !== 0) throw new Error('bench: outbox not empty after the drain');
    const afterFirst = Number((fst.value.data as Delivered).pending);
    const drainRate = perSecond(c.backlog, end.t - on.t);
    const drainEndToEndMs = end.t - linkBack;
    const drainSteady = perSecond(afterFirst, end.t - fst.t);

    for (const p of clients.splice(0)) await p.close();
    for (const p of procs.splice(0).reverse()) await p.stop();
    await broker.stop();

    const bridge = await bridgeBaseline(await mosquittoDir(dir, 'bridge'), variant.nodelay, c.backlog);
    const v = variant.name;
    return {
      idleRssMiB,
      drainPeakRssMiB,
      results: [
        row(`online award round trip p50, ${v}`, latency.p50, 'ms', onlineNote),
        row(`online award round trip p99, ${v}`, latency.p99, 'ms', `${c.online} sequential; target ≤ ${variant.nodelay ? 5 : 10} ms`),
        row(`durable offline enqueue, ${c.connections} POS connections, ${v}`, perSecond(c.backlog, offline.elapsedMs), 'awards/s',
          `${c.backlog} awards, 1 in flight per connection; target ≥ 10,000`),
        row(`drain: link back → outbox empty, ${v}`, drainEndToEndMs, 'ms',
          `${c.backlog} awards, host applied + answered; uplink online after ${fmtMs(on.t - linkBack)}, first batch answered after ${fmtMs(fst.t - linkBack)}`),
        row(`drain: uplink online → outbox empty, ${v}`, end.t - on.t, 'ms', `${c.backlog} awards, host applied + answered`),
        row(`drain rate, uplink online → empty, ${v}`, drainRate, 'awards/s'),
        row(`drain rate, steady (first → last batch), ${v}`, drainSteady, 'awards/s'),
        row(`bridge: remote back → last message, ${v}`, bridge.linkUpToLastMs, 'ms',
          `includes the bridge's 1 s reconnect delay; first message after ${fmtMs(bridge.linkUpToFirstMs)}`),
        row(`bridge rate, steady (first → last message), ${v}`, bridge.steadyPerSecond, 'msgs/s'),
        // Issue #10's figure: both backlogs timed from the link's return to the last message
        // delivered (the drain: applied by the host and answered), as rates.
        row(`drain ÷ bridge, link back → last message, ${v}`, bridge.linkUpToLastMs / drainEndToEndMs, '×', 'target ≥ 2'),
        row(`drain ÷ bridge (steady rates), ${v}`, drainSteady / bridge.steadyPerSecond, '×', 'without either side\'s reconnect'),
        row(`agent RSS peak while draining, ${v}`, drainPeakRssMiB, 'MiB', 'VmRSS sampled every 50 ms; target ≤ 120'),
      ],
    };
  } finally {
    for (const p of clients) await p.close();
    for (const p of procs.reverse()) await p.stop();
    await broker.stop();
  }
}

/** Spawn → "till-agent ready", `starts` times after one discarded start, broker up, outbox on disk. */
async function startToReady(parent: string): Promise<Result[]> {
  const c = PROCESS_COUNTS;
  const dir = await mosquittoDir(parent, 'starts');
  const broker = await createMosquitto({ dir: await mosquittoDir(dir, 'mosquitto'), nodelay: false });
  const files = await writeConfigs(dir, broker.url, await freePort());
  try {
    await broker.start();
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i <= c.starts; i++) {
      const agent = await spawnTill(['run', '--config', files.agent], 'till-agent ready');
      await agent.stop();
      if (i > 0) {
        times.push(agent.readyMs);
        cpu.push(agent.readyCpuMs);
      }
    }
    const sorted = [...times].sort((a, b) => a - b);
    return [
      row(`start to ready (median of ${c.starts})`, summarize(times).p50, 'ms',
        `${sorted[0]!.toFixed(0)}–${sorted[sorted.length - 1]!.toFixed(0)} ms; spawn → "till-agent ready"; target ≤ 400`),
      row('CPU time used by then (median)', summarize(cpu).p50, 'ms', 'user + system: what start-up costs on an idle machine'),
    ];
  } finally {
    await broker.stop();
  }
}

export async function processBench(): Promise<Result[]> {
  return withTempDir('processes', async (dir) => {
    await chmod(dir, 0o755);
    const tag = `bench-${Date.now()}`;
    const results: Result[] = [];
    const idle: number[] = [];
    for (const variant of VARIANTS) {
      const figures = await runVariant(dir, variant, tag);
      results.push(...figures.results);
      idle.push(figures.idleRssMiB);
    }
    results.push(row('agent RSS idle', Math.max(...idle), 'MiB', `${PROCESS_COUNTS.idleSettleMs / 1000} s after coming online, before any award; target ≤ 80`));
    results.push(...await startToReady(dir));
    return results;
  });
}
