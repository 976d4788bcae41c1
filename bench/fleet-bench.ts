// 5. The fleet (`npm run bench -- --fleet N`): N simulated tills (fleet-till.ts: the agent's
// outbox, uplink and forwarder, one MQTT connection and client id each) against 1 or 3
// `till-agent host` processes sharing the request subscription ($share) on a real mosquitto:
//
//   SimTill × N ──MQTT 5──▶ mosquitto ──$share/till-hosts──▶ till-agent host × 1 | 3 ──▶ ledger
//   (this process)          (child)                          (children)
//
// Each till keeps FLEET_LANES awards waiting for their answers (closed loop): the hosts set the
// pace. Per configuration: a warm-up, then `duration` seconds measured (awards answered per
// second, append → answer latency), then the tills stop committing and drain, the hosts stop,
// and the ledger is checked (fleet-verify.ts). The SIGKILL run kills one of 3 hosts half-way
// through the measured window and does not restart it.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { createLogger } from '../runtime/log.ts';
import { SimTill } from './fleet-till.ts';
import { FLEET_STORES, type FleetStore } from './fleet-stores.ts';
import { verdictClean, verifyFleet } from './fleet-verify.ts';
import { createMosquitto, mosquittoDir } from './mosquitto.ts';
import type { Result } from './report.ts';
import { SAMPLE_SEED } from './sample-sale.ts';
import { perSecond, summarize } from './stats.ts';
import { withTempDir } from './temp-dir.ts';
import { spawnTill, type TillProcess } from './till-process.ts';
import { waitUntil } from './wait.ts';

export const FLEET_DEFAULTS = { tills: 100, durationS: 60 } as const;
export const FLEET_LANES = 2;
const CUSTOMERS = 1000;
const TILLS_PER_STORE = 8;
const CONNECT_TIMEOUT_MS = 120_000;
const DRAIN_TIMEOUT_MS = 300_000;
const SCENARIOS = [
  { key: '1host', label: '1 host', hosts: 1, kill: false },
  { key: '3hosts', label: '3 hosts', hosts: 3, kill: false },
  { key: 'kill', label: '3 hosts, 1 SIGKILLed', hosts: 3, kill: true },
] as const;
type Scenario = (typeof SCENARIOS)[number];

export interface FleetOptions {
  tills: number;
  durationS: number;
}

const sectionOf = (o: FleetOptions) =>
  `5. Fleet: ${o.tills} simulated tills × ${FLEET_LANES} lanes over mosquitto, ${o.durationS} s measured per run`;

/** The sample seed plus CUSTOMERS plain customers, so awards spread over many wallets. */
async function writeSeed(dir: string): Promise<string> {
  const seed = parse(await readFile(fileURLToPath(SAMPLE_SEED), 'utf8')) as { participants: unknown[] };
  for (let i = 0; i < CUSTOMERS; i++) {
    seed.participants.push({ id: customerId(i), name: `Fleet customer ${i}`, balance: { amount: 0, currency: 'EUR' } });
  }
  const file = join(dir, 'seed.yaml');
  await writeFile(file, stringify(seed));
  return file;
}
const customerId = (i: number) => `F-${String(i).padStart(4, '0')}`;

interface HostCounts {
  handled: number;
  refused: number;
  /** Per handled request: when the line came (performance.now()), its handling time and size. */
  requests: Array<{ at: number; ms: number; messages: number }>;
}

/** Reads the host's "request handled" and chain-refusal log lines. */
function countLines(counts: HostCounts) {
  return (line: string) => {
    if (line.includes('"msg":"request handled"')) {
      counts.handled += 1;
      const l = JSON.parse(line) as { ms?: unknown; messages?: unknown };
      counts.requests.push({ at: performance.now(), ms: Number(l.ms), messages: Number(l.messages) });
    } else if (line.includes('"msg":"request refused')) counts.refused += 1;
  };
}

/** Counts the tills' resends (timeouts, failures) from their shared warn log. */
function tillLog() {
  const counts = { resends: 0, other: 0 };
  const log = createLogger({ level: 'warn', name: 'fleet' }, {
    write(line: string) {
      if (line.includes('outbox delivery failed; will resend')) counts.resends += 1;
      else counts.other += 1;
    },
  });
  return { log, counts };
}

async function runScenario(parent: string, store: FleetStore, scenario: Scenario, o: FleetOptions): Promise<Result[]> {
  const section = sectionOf(o);
  const name = `${store.name}, ${scenario.label}`;
  const row = (what: string, value: number, unit: string, note?: string): Result =>
    ({ section, name: `${name}: ${what}`, value, unit, ...(note ? { note } : {}) });
  const dir = await mosquittoDir(parent, `${store.name}-${scenario.key}`);
  const broker = await createMosquitto({ dir: await mosquittoDir(dir, 'mosquitto'), nodelay: false });
  const hosts: TillProcess[] = [];
  const tills: SimTill[] = [];
  const { log, counts } = tillLog();
  const hostCounts: HostCounts[] = [];
  const storage = await store.prepare(dir, scenario.key);
  try {
    await broker.start();
    const seed = await writeSeed(dir);
    for (let i = 0; i < scenario.hosts; i++) {
      const file = join(dir, `host-${i}.yaml`);
      await writeFile(file, stringify({
        data_dir: join(dir, 'host-data'), seed, log_level: 'info', ...storage.hostConfig,
        // No client_id: a clean session, so the broker stops routing to a host once it is gone
        // (a dead host's persistent session would keep taking its share until it came back).
        uplink: { url: broker.url },
      }));
      const c: HostCounts = { handled: 0, refused: 0, requests: [] };
      hostCounts.push(c);
      // One after the other: the first applies the seed, the others find it applied.
      hosts.push(await spawnTill(['host', '--config', file], 'host ready', countLines(c)));
    }

    const customers = Array.from({ length: CUSTOMERS }, (_, i) => customerId(i));
    const tillDir = await mosquittoDir(dir, 'tills');
    for (let i = 0; i < o.tills; i++) {
      const identity = {
        merchant: 'M1',
        store: `S${String(Math.floor(i / TILLS_PER_STORE) + 1).padStart(3, '0')}`,
        terminal: `T${(i % TILLS_PER_STORE) + 1}`,
      };
      tills.push(new SimTill({ dir: tillDir, identity, brokerUrl: broker.url, lanes: FLEET_LANES, customers, log }));
    }
    for (const till of tills) till.connect();
    await waitUntil(() => tills.every((t) => t.online), `${o.tills} tills online`, CONNECT_TIMEOUT_MS, 50);

    for (const till of tills) till.startIssuing();
    await sleep(warmupMs(o));
    const cpu0 = process.cpuUsage();
    const hostCpu0 = hosts.map((h) => h.cpuMs());
    const t0 = performance.now();
    let tKill: number | undefined;
    const measureMs = o.durationS * 1000;
    let killedCpuMs = 0;
    if (scenario.kill) {
      await sleep(measureMs / 2);
      killedCpuMs = hosts[0]!.cpuMs() - hostCpu0[0]!;
      await hosts[0]!.kill();
      tKill = performance.now();
      await sleep(measureMs / 2);
    } else {
      await sleep(measureMs);
    }
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const hostCpuMs = hosts.reduce((sum, h, i) => sum + (i === 0 && scenario.kill ? killedCpuMs : h.cpuMs() - hostCpu0[i]!), 0);

    const drainStart = performance.now();
    await withDeadline(Promise.all(tills.map((t) => t.finishIssuing())), DRAIN_TIMEOUT_MS, 'the tills to drain');
    const drainMs = performance.now() - drainStart;
    const records = tills.splice(0);
    await Promise.all(records.map((t) => t.stop()));
    for (const h of hosts.splice(0)) await h.stop();

    const all = records.flatMap((t) => t.timings);
    const inWindow = (from: number, to: number) => all.filter((x) => x.settledAt >= from && x.settledAt < to);
    const window = inWindow(t0, t1);
    const lat = summarize(window.map((x) => x.ms));
    const verdict = verifyFleet(records, await storage.readLedger());
    if (!verdictClean(verdict)) process.stderr.write(`\nbench: ${name}: ledger check FAILED:\n  ${verdict.problems.join('\n  ')}\n`);
    const dead = records.reduce((s, t) => s + t.dead, 0);
    const results = [
      row('awards/s, sustained', perSecond(window.length, t1 - t0), 'awards/s', `${window.length} answered in ${((t1 - t0) / 1000).toFixed(0)} s`),
      row('award p50', lat.p50, 'ms', 'commit → host answer at the till'),
      row('award p99', lat.p99, 'ms', `max ${lat.max.toFixed(0)} ms`),
    ];
    if (tKill !== undefined) {
      const before = inWindow(t0, tKill);
      const after = inWindow(tKill, t1);
      results.push(
        row('awards/s before / after the SIGKILL', perSecond(before.length, tKill - t0), 'awards/s', `after: ${perSecond(after.length, t1 - tKill).toFixed(0)} awards/s`),
        row('award p99 after the SIGKILL', summarize(after.map((x) => x.ms)).p99, 'ms', 'in-flight requests to the dead host wait for the tills\' 3 s request timeout'),
      );
    }
    const shares = hostCounts.map((c) => c.handled).join(' / ');
    const requests = hostCounts.flatMap((c) => c.requests).filter((r) => r.at >= t0 && r.at < t1);
    const handling = summarize(requests.map((r) => r.ms));
    const perRequest = requests.reduce((s, r) => s + r.messages, 0) / Math.max(1, requests.length);
    results.push(
      row('host request handling p50', handling.p50, 'ms', `the host's own "request handled" ms: decode, transaction (fsync), answer`),
      row('host request handling p99', handling.p99, 'ms', `${requests.length} requests in the window, ${perRequest.toFixed(1)} messages each on average`),
      row('host CPU per award', hostCpuMs / Math.max(1, window.length), 'ms', `all hosts, user + system; requests handled per host (whole run) ${shares}`),
      row('simulator CPU', ((cpu.user + cpu.system) / 1000 / (t1 - t0)) * 100, '% of a core', 'this process, all tills'),
      row('requests resent by the tills', counts.resends, 'requests',
        `timeouts or failures; chained requests refused by a host: ${hostCounts.reduce((s, c) => s + c.refused, 0)}; drain after the window ${(drainMs / 1000).toFixed(1)} s`),
      row('ledger check problems', verdictProblems(verdict) + dead, 'problems', verdictClean(verdict) && dead === 0
        ? `${verdict.acked} acknowledged = ${verdict.applied} applied once each, per-till order intact`
        : `FAILED: missing ${verdict.missing}, twice ${verdict.duplicated}, out of order ${verdict.outOfOrder}, unacked ${verdict.unacked}, unexpected ${verdict.unexpected}, dead ${dead}`),
    );
    return results;
  } finally {
    await Promise.all(tills.map((t) => t.stop().catch(() => undefined)));
    for (const h of hosts) await h.stop();
    await broker.stop();
    await storage.dispose();
  }
}

/** Before the measured window: connections warm, hosts' statement caches filled, queues formed. */
function warmupMs(o: FleetOptions): number {
  return Math.min(5000, Math.max(1000, o.durationS * 200));
}

function verdictProblems(v: ReturnType<typeof verifyFleet>): number {
  return v.missing + v.duplicated + v.outOfOrder + v.unacked + v.unexpected;
}

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench: timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function fleetBench(options: FleetOptions): Promise<Result[]> {
  return withTempDir('fleet', async (dir) => {
    const results: Result[] = [];
    for (const store of FLEET_STORES) {
      const missing = await store.unavailable();
      if (missing) {
        results.push({ section: sectionOf(options), name: `${store.name}: not measured`, value: Number.NaN, unit: '', note: missing });
        continue;
      }
      for (const scenario of SCENARIOS) {
        process.stderr.write(` ${store.name}/${scenario.key}…`);
        results.push(...await runScenario(dir, store, scenario, options));
      }
    }
    return results;
  });
}
