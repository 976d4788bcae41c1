// 3. The whole path through the local socket: a POS client (test/helpers/pos-client.ts) →
//    agent → aedes → reference host and back, all in this process (see stack.ts).
//      status      sequential round trips (socket + a few outbox counts)
//      award       sequential online awards: commit + fsync, MQTT to the host, its ledger, the reply
//      pipelined   32 awards in flight on one connection (max_inflight_per_connection)
//      offline     broker stopped: awards are committed and answered "queued"
//      drain       broker restarted: the forwarder empties the outbox (pipelined: window 4, up to 200 per request)
import { performance } from 'node:perf_hooks';
import { connectPos, type PosClient } from '../test/helpers/pos-client.ts';
import { awardStatuses, mixNote as note, run, status, waitUplink } from './drive.ts';
import type { Result } from './report.ts';
import { awardParams } from './sample-sale.ts';
import { startStack, type Stack } from './stack.ts';
import { perSecond, summarize } from './stats.ts';
import { withTempDir } from './temp-dir.ts';
import { waitUntil } from './wait.ts';

export const SYSTEM_COUNTS = { status: 2000, award: 500, pipelined: 2000, offline: 5000, window: 32 } as const;
const SECTION = '3. Whole path: POS socket → agent → aedes → host (one process)';
const DRAIN_TIMEOUT_MS = 120_000;

const award = (pos: PosClient, txnId: string) => pos.request('award', awardParams(txnId));

async function measureOnline(pos: PosClient, tag: string): Promise<Result[]> {
  const r = (name: string, value: number, unit: string, extra?: string): Result =>
    ({ section: SECTION, name, value, unit, ...(extra ? { note: extra } : {}) });
  const c = SYSTEM_COUNTS;
  // Warm-up, discarded: JIT, prepared statements, the host's first ledger pages.
  await run(200, 1, () => pos.request('status'));
  awardStatuses('warm-up', (await run(20, 1, (i) => award(pos, `${tag}-warm-${i}`))).responses, ['awarded']);

  const st = await run(c.status, 1, () => pos.request('status'));
  for (const res of st.responses) if (!res.ok) throw new Error(`bench: status: ${res.error.code}`);
  const stLat = summarize(st.latenciesMs);

  const seq = await run(c.award, 1, (i) => award(pos, `${tag}-seq-${i}`));
  const seqNote = note(awardStatuses('online award', seq.responses, ['awarded', 'queued']));
  const seqLat = summarize(seq.latenciesMs);

  const pipe = await run(c.pipelined, c.window, (i) => award(pos, `${tag}-pipe-${i}`));
  const pipeNote = note(awardStatuses('pipelined award', pipe.responses, ['awarded', 'queued']));
  const pipeLat = summarize(pipe.latenciesMs);

  return [
    r(`status round trip p50 (${c.status} sequential)`, stLat.p50, 'ms'),
    r('status round trip p99', stLat.p99, 'ms'),
    r(`award online p50 (${c.award} sequential)`, seqLat.p50, 'ms', seqNote),
    r('award online p99', seqLat.p99, 'ms'),
    r(`pipelined awards (${c.pipelined}, ${c.window} in flight)`, perSecond(c.pipelined, pipe.elapsedMs), 'awards/s', pipeNote),
    r('pipelined award latency p50', pipeLat.p50, 'ms'),
    r('pipelined award latency p99', pipeLat.p99, 'ms'),
  ];
}

async function measureOffline(stack: Stack, pos: PosClient, tag: string): Promise<Result[]> {
  const r = (name: string, value: number, unit: string, extra?: string): Result =>
    ({ section: SECTION, name, value, unit, ...(extra ? { note: extra } : {}) });
  const c = SYSTEM_COUNTS;
  await waitUntil(async () => (await status(pos)).outbox.pending === 0, 'online awards delivered');
  await stack.stopBroker();
  await waitUplink(pos, false);

  const off = await run(c.offline, c.window, (i) => award(pos, `${tag}-off-${i}`));
  awardStatuses('offline award', off.responses, ['queued']);
  const offLat = summarize(off.latenciesMs);
  const queued = (await status(pos)).outbox.pending;
  if (queued !== c.offline) throw new Error(`bench: ${queued} pending after ${c.offline} offline awards`);

  // Events timestamp the drain as it happens: uplink back, first batch settled, outbox empty.
  const watcher = await connectPos({ port: stack.agentPort });
  try {
    const sub = await watcher.request('events.subscribe', { topics: ['uplink', 'outbox'] });
    if (!sub.ok) throw new Error(`bench: events.subscribe: ${sub.error.code}`);
    type Delivered = { type?: unknown; pending?: unknown };
    const at = <T>(p: Promise<T>) => p.then((value) => ({ value, t: performance.now() }));
    const online = at(watcher.waitForEvent('uplink', (d) => (d as { connected?: unknown }).connected === true, DRAIN_TIMEOUT_MS));
    const first = at(watcher.waitForEvent('outbox', (d) => (d as Delivered).type === 'delivered', DRAIN_TIMEOUT_MS));
    const empty = at(watcher.waitForEvent('outbox', (d) => (d as Delivered).type === 'delivered' && (d as Delivered).pending === 0, DRAIN_TIMEOUT_MS));
    const restarted = performance.now();
    await stack.restartBroker();
    const [on, fst, end] = await Promise.all([online, first, empty]);
    await waitUntil(async () => (await status(pos)).outbox.pending === 0, 'status.outbox.pending = 0');
    const leftAfterFirst = Number((fst.value.data as Delivered).pending);

    return [
      r(`offline queueing (${c.offline}, ${c.window} in flight)`, perSecond(c.offline, off.elapsedMs), 'awards/s'),
      r('offline award latency p99', offLat.p99, 'ms'),
      r('drain: broker restart → uplink online', on.t - restarted, 'ms'),
      r('drain: uplink online → first batch settled', fst.t - on.t, 'ms'),
      r('drain: broker restart → pending 0', end.t - restarted, 'ms'),
      r('drain rate, broker restart → pending 0', perSecond(c.offline, end.t - restarted), 'msgs/s'),
      r('drain rate, steady (first → last batch)', perSecond(leftAfterFirst, end.t - fst.t), 'msgs/s'),
    ];
  } finally {
    await watcher.close();
  }
}

export async function systemBench(): Promise<Result[]> {
  return withTempDir('system', async (dir) => {
    const stack = await startStack(dir);
    try {
      const pos = await connectPos({ port: stack.agentPort });
      try {
        const tag = `bench-${Date.now()}`;
        return [...(await measureOnline(pos, tag)), ...(await measureOffline(stack, pos, tag))];
      } finally {
        await pos.close();
      }
    } finally {
      await stack.stop();
    }
  });
}
