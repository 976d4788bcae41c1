// V8's optimising compiles and deoptimisations in the agent and the host while they serve awards:
// both processes run with --trace-opt --trace-deopt-verbose, their stdout is parsed, and the events
// are counted per block of awards and, after the warm-up, per function and reason (a function that
// deoptimises and is compiled again thousands of awards in costs a TurboFan job each time, and the
// deopt itself lands on the award that hits it).
//
//   node --import tsx bench/deopt-trace.ts online  [awards=3000] [--warmup=50] [--block=500] [--node=FLAGS]
//   node --import tsx bench/deopt-trace.ts offline [awards=8000] [--warmup=0] [--block=2000] [--connections=16] [--node=FLAGS]
//   more: [--settle=MS] (default 5000, as suite 4), [--dump=REGEX] (whole traces of those functions' deopts)
//
// online: online-latency.ts's set-up with set_tcp_nodelay true (agent and host over a real mosquitto,
// one POS, one award at a time). offline: offline-enqueue.ts's (the broker stopped, awards over 16
// connections, every answer "queued"); no host. --node=FLAGS: more node flags for both (comma-separated).
// Events are attributed to the block of awards in flight when their line arrived (a pipe's delay off).
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { awardLanes } from './award-lanes.ts';
import { awardStatuses, run, waitUplink } from './drive.ts';
import { createMosquitto, mosquittoDir } from './mosquitto.ts';
import { withOnlineStack } from './online-stack.ts';
import { writeConfigs } from './process-bench.ts';
import { withTempDir } from './temp-dir.ts';
import { freePort } from '../test/helpers/ports.ts';
import { connectPos } from '../test/helpers/pos-client.ts';
import { spawnTill } from './till-process.ts';

const flag = (name: string): string | undefined => {
  const arg = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return arg === undefined ? undefined : arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : '';
};
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const mode = positional[0] === 'offline' ? 'offline' : 'online';
const awards = Number(positional[1] ?? (mode === 'online' ? 3000 : 8000));
const warmup = Number(flag('warmup') ?? (mode === 'online' ? 50 : 0));
const block = Number(flag('block') ?? (mode === 'online' ? 500 : 2000));
const connections = Number(flag('connections') ?? 16);
// As suite 4: 5 s between the uplink coming up and the warm-up (the start-up memory release, a full
// collection that also drops optimised code, falls in it); --settle=0 starts at once.
const settleMs = Number(flag('settle') ?? 5000);
/** --dump=REGEX: the whole verbose trace of deopts of functions whose name matches, after the warm-up. */
const dumpPattern = flag('dump') ? new RegExp(flag('dump')!) : undefined;
const extraFlags = flag('node')?.split(',').filter(Boolean) ?? [];
/** V8's log of code created (--log-code) names each function's source position, by its SharedFunctionInfo. */
const traceFlags = (dir: string) => ['--trace-opt', '--trace-deopt-verbose', '--log-code', `--logfile=${dir}/v8-%p.log`, '--no-logfile-per-isolate', ...extraFlags];

/** Where the run is: 'warm-up' (also after the last award), else the block of the awards sent so far ("0-499" …). */
let phase = 'warm-up';
let sentSoFar = 0;
const setPhase = (sent: number) => {
  sentSoFar = sent;
  const first = Math.floor(sent / block) * block;
  phase = `${first}-${Math.min(first + block, awards) - 1}`;
};

interface Tally {
  /** Per phase: functions marked for TurboFan, compiles started, deopts, dependent-code invalidations. */
  phases: Map<string, { marked: number; compiled: number; deopts: number; invalidated: number; ms: number; majorGcs: number; majorGcMs: number }>;
  /** After the warm-up: deopts by "function | kind | reason | where". */
  deopts: Map<string, number>;
  /** After the warm-up: compiles by function (name and sfi). */
  compiles: Map<string, number>;
  /** After the warm-up: dependent code marked for deoptimisation, by reason. */
  invalidations: Map<string, number>;
  /** After the warm-up, in order: "award N: event" for deopts and dependent code invalidated. */
  log: string[];
  /** After the warm-up: TurboFan's own time by function, ms (its "took" figures: prepare + execute + finalize). */
  compileMs: Map<string, number>;
}

const fn = (line: string) => /<JSFunction (?:(\S+) )?\(sfi = (0x[0-9a-f]+)\)>/.exec(line);

function tracer(): { tally: Tally; onLine: (line: string) => void } {
  const tally: Tally = { phases: new Map(), deopts: new Map(), compiles: new Map(), invalidations: new Map(), compileMs: new Map(), log: [] };
  const at = () => {
    let p = tally.phases.get(phase);
    if (!p) tally.phases.set(phase, p = { marked: 0, compiled: 0, deopts: 0, invalidated: 0, ms: 0, majorGcs: 0, majorGcMs: 0 });
    return p;
  };
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  // A bailout line, then (verbose) ";;; deoptimize at <where>" a few lines on.
  let pending: string | undefined;
  let dumping = false;
  const flush = (where: string) => {
    if (pending !== undefined && phase !== 'warm-up') {
      bump(tally.deopts, `${pending} | ${where}`);
      tally.log.push(`award ${sentSoFar}: deopt ${pending} | ${where}`);
    }
    pending = undefined;
  };
  return {
    tally,
    onLine(line) {
      if (dumping) {
        tally.log.push(`    ${line}`);
        if (line.startsWith('[bailout end')) dumping = false;
      }
      const gc = /: Mark-Compact .*?MB, ([\d.]+) \/ ([\d.]+) ms/.exec(line);
      if (gc) {
        // --node=--trace-gc: a full collection's pause (main thread ms) in this block.
        at().majorGcs++;
        at().majorGcMs += Number(gc[1]);
        if (phase !== 'warm-up') tally.log.push(`award ${sentSoFar}: ${line.slice(line.indexOf('Mark-Compact'))}`);
        return;
      }
      if (line.startsWith('[generalizing]') || line.startsWith('[normalizing')) {
        // --node=--trace-generalization: a field's representation or type widened (its maps deprecated).
        if (phase !== 'warm-up') tally.log.push(`award ${sentSoFar}: ${line.slice(0, 400)}`);
      } else if (line.startsWith('[marking dependent code')) {
        at().invalidated++;
        const reason = /reason: ([^\]]+)/.exec(line)?.[1] ?? '?';
        if (phase !== 'warm-up') {
          bump(tally.invalidations, reason);
          tally.log.push(`award ${sentSoFar}: ${line}`);
        }
      } else if (line.startsWith('[marking ')) {
        at().marked++;
      } else if (line.startsWith('[compiling method') && line.includes('TURBOFAN')) {
        at().compiled++;
        const f = fn(line);
        if (phase !== 'warm-up') bump(tally.compiles, `${f?.[1] || '(anonymous)'} ${f?.[2] ?? ''}${line.includes(' OSR') ? ' OSR' : ''}`);
      } else if (line.startsWith('[completed compiling') && line.includes('TURBOFAN')) {
        const took = /took ([\d.]+), ([\d.]+), ([\d.]+) ms/.exec(line);
        const ms = took ? Number(took[1]) + Number(took[2]) + Number(took[3]) : 0;
        at().ms += ms;
        const f = fn(line);
        const k = `${f?.[1] || '(anonymous)'} ${f?.[2] ?? ''}${line.includes(' OSR') ? ' OSR' : ''}`;
        if (phase !== 'warm-up') tally.compileMs.set(k, (tally.compileMs.get(k) ?? 0) + ms);
      } else if (line.startsWith('[bailout (kind:')) {
        flush('?');
        at().deopts++;
        const m = /^\[bailout \(kind: ([^,]+), reason: ([^)]*)\)/.exec(line);
        const f = fn(line);
        pending = `${f?.[1] || '(anonymous)'} | ${m?.[1]} | ${m?.[2]}`;
        dumping = dumpPattern !== undefined && phase !== 'warm-up' && dumpPattern.test(f?.[1] ?? '');
      } else if (pending !== undefined && line.includes(';;; deoptimize at')) {
        flush(line.slice(line.indexOf('deoptimize at') + 14).trim());
      }
    },
  };
}

/** SharedFunctionInfo address (as --trace-opt prints it, tagged) → "name file:line:col", from the V8 logs in dir. */
function sourcePositions(dir: string): Map<string, string> {
  const bySfi = new Map<string, string>();
  for (const f of readdirSync(dir).filter((n) => /^v8-\d+\.log$/.test(n))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.startsWith('code-creation,JS,')) continue;
      // code-creation,JS,kind,time,address,size,"name file:line:col",sfi,tier
      const m = /^code-creation,JS,\d+,\d+,0x[0-9a-f]+,\d+,(?:"((?:[^"]|"")*)"|([^,]*)),(0x[0-9a-f]+),/.exec(line);
      if (!m) continue;
      const tagged = `0x${(BigInt(m[3]!) + 1n).toString(16)}`;
      bySfi.set(tagged, (m[1] ?? m[2]!).replace(/file:\/\/\/.*\/build\//, 'build/').replace(/\/.*\/node_modules\//, ''));
    }
  }
  return bySfi;
}

let positions = new Map<string, string>();
/** "name 0xSFI" keys with the function's source position instead of the address, where the log has it. */
const named = (key: string) => key.replace(/^(\S+) (0x[0-9a-f]+)/, (all, name: string, sfi: string) => {
  const where = positions.get(sfi);
  return where === undefined ? all : name === '(anonymous)' ? `(anonymous) ${where}` : where;
});

function report(name: string, t: Tally): void {
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [named(k), v] as const);
  process.stdout.write(`\n== ${name}: per block (marked for TurboFan / compiles / deopts / code invalidated / TurboFan ms; with --trace-gc: Mark-Compacts, their pause ms)\n`);
  for (const [p, c] of t.phases) {
    process.stdout.write(`  ${p.padEnd(12)} ${c.marked} / ${c.compiled} / ${c.deopts} / ${c.invalidated} / ${c.ms.toFixed(0)}; ${c.majorGcs}, ${c.majorGcMs.toFixed(1)}\n`);
  }
  process.stdout.write(`-- ${name}: deopts after the warm-up (${[...t.deopts.values()].reduce((a, b) => a + b, 0)}), by function | kind | reason | where\n`);
  for (const [k, n] of top(t.deopts, 60)) process.stdout.write(`  ${String(n).padStart(5)}  ${k}\n`);
  process.stdout.write(`-- ${name}: TurboFan compiles after the warm-up (${[...t.compiles.values()].reduce((a, b) => a + b, 0)}), top functions\n`);
  for (const [k, n] of top(t.compiles, 40)) process.stdout.write(`  ${String(n).padStart(5)}  ${k}\n`);
  process.stdout.write(`-- ${name}: TurboFan ms after the warm-up (${[...t.compileMs.values()].reduce((a, b) => a + b, 0).toFixed(0)}), top functions\n`);
  for (const [k, n] of top(t.compileMs, 30)) process.stdout.write(`  ${n.toFixed(1).padStart(7)}  ${k}\n`);
  process.stdout.write(`-- ${name}: deopts and invalidations after the warm-up, in order\n`);
  for (const l of t.log) process.stdout.write(`  ${l}\n`);
  if (t.invalidations.size > 0) {
    process.stdout.write(`-- ${name}: dependent code invalidated after the warm-up, by reason\n`);
    for (const [k, n] of top(t.invalidations, 20)) process.stdout.write(`  ${String(n).padStart(5)}  ${k}\n`);
  }
}

await withTempDir('deopt-trace-', async (parent) => {
  await chmod(parent, 0o755);
  const logs = join(parent, 'v8-logs');
  mkdirSync(logs);
  const agent = tracer();
  if (mode === 'online') {
    const host = tracer();
    await withOnlineStack(parent, {
      nodelay: true, warmup: warmup, settleMs, hostNodeArgs: traceFlags(logs), agentNodeArgs: traceFlags(logs),
      hostOnLine: host.onLine, agentOnLine: agent.onLine,
    }, async ({ award }) => {
      setPhase(0);
      const online = await run(awards, 1, (i) => { setPhase(i); return award(`on-${i}`); });
      awardStatuses('online award', online.responses, ['awarded', 'queued']);
      await new Promise((r) => setTimeout(r, 300)); // the last lines through the pipes
      phase = 'warm-up'; // what follows (the stop) is not counted per function either
    });
    positions = sourcePositions(logs);
    report('host', host.tally);
  } else {
    const broker = await createMosquitto({ dir: await mosquittoDir(parent, 'mosquitto'), nodelay: false });
    const posPort = await freePort();
    const files = await writeConfigs(await mosquittoDir(parent, 'run'), broker.url, posPort);
    await broker.start();
    const proc = await spawnTill(['run', '--config', files.agent], 'till-agent ready', agent.onLine, traceFlags(logs));
    try {
      const pos = await connectPos({ port: posPort });
      await waitUplink(pos, true);
      await broker.stop();
      await waitUplink(pos, false);
      await pos.close();
      await new Promise((r) => setTimeout(r, settleMs));
      if (warmup > 0) await awardLanes(posPort, connections, warmup, 'warm-');
      // Blocks of `block` awards, one lane run each, so every event falls into its block.
      for (let sent = 0; sent < awards; sent += block) {
        setPhase(sent);
        const n = Math.min(block, awards - sent);
        const lanes = await awardLanes(posPort, connections, n, `off-${sent}-`);
        if (lanes.statuses.get('queued') !== n) throw new Error(`not every answer was "queued": ${JSON.stringify([...lanes.statuses])}`);
      }
      await new Promise((r) => setTimeout(r, 300));
      phase = 'warm-up';
    } finally {
      await proc.stop();
      await broker.stop();
    }
    positions = sourcePositions(logs);
  }
  report('agent', agent.tally);
});
