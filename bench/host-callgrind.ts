// The host's instructions per award, counted exactly (valgrind's callgrind, so a busy machine does
// not skew them): the real `till-agent host` process under callgrind, over a real mosquitto, fed by
// one simulated till (bench/fleet-till.ts: the agent's own outbox, uplink and forwarder).
//
//   npx tsx bench/host-callgrind.ts online [awards=300] [--warmup=100]
//   npx tsx bench/host-callgrind.ts drain  [awards=4000] [--warmup=2000]
//
// online: one lane, each award waiting for its answer (requests of one award, as a till online).
// drain:  a first till drains `warmup` awards (JIT, caches), then a second till's queued backlog of
//         `awards` is drained (requests of up to 200 awards, a window of 4, as after an outage).
// The counters are zeroed (callgrind_control -z) once the warm-up is answered and dumped (-d) once the
// measured awards are: start-up and warm-up are not in the figure. Everything the host process runs in
// between is (MQTT, decode, apply, SQLite, answer, log lines, checkpoints, GC, timers).
// Prints one JSON line: instructions per award (Ir) of the host's main thread (main_ir_per_award: the
// request path; steadier) and of all its threads (ir_per_award: with V8's background JIT and GC, which
// still optimizes functions that run once per request thousands of requests after the start).
// --keep=FILE keeps the main thread's callgrind dump for callgrind_annotate (and FILE.map, V8's
// /tmp/perf-PID.map, when the host ran with --node=--perf-basic-prof: JS names for JIT code addresses).
import { spawn, execFile } from 'node:child_process';
import { trackChild } from './children.ts';
import { readFileSync } from 'node:fs';
import { copyFile, readdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { silentLogger } from '../runtime/log.ts';
import { SimTill } from './fleet-till.ts';
import { createMosquitto, mosquittoDir } from './mosquitto.ts';
import { SAMPLE_SEED } from './sample-sale.ts';
import { withTempDir } from './temp-dir.ts';
import { BIN, shebangFlags } from './till-process.ts';
import { waitUntil } from './wait.ts';

const run = promisify(execFile);
const flag = (name: string): string | undefined => {
  const arg = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return arg === undefined ? undefined : arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : '';
};
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const mode = args[0] === 'drain' ? 'drain' : 'online';
const awards = Number(args[1] ?? (mode === 'drain' ? 4000 : 300));
const warmup = Number(flag('warmup') ?? (mode === 'drain' ? 2000 : 100));
const keep = flag('keep');
// --node=FLAGS: extra node flags for the host (comma-separated); --stdout=FILE: the host's stdout kept (e.g. with --trace-opt).
const nodeFlags = flag('node')?.split(',').filter(Boolean) ?? [];
const stdoutFile = flag('stdout');
// --plain: node without valgrind (with --node=--cpu-prof,… for a profile of the same run); prints no counts.
const plain = flag('plain') !== undefined;
// --bin=PATH: another build's bin/till-agent.js for the host (a before/after pair from one bench).
const bin = flag('bin') || BIN;
const CUSTOMERS = ['P-1001', 'P-1002', 'P-1003', 'P-1004'];
const SLOW_MS = 600_000; // everything runs ~50x slower under valgrind

/** CPU ms (user, system) of a process so far, from /proc/PID/stat (clock ticks of 10 ms). */
function userSys(pid: number): { user: number; sys: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return { user: Number(fields[11]) * 10, sys: Number(fields[12]) * 10 };
}

async function callgrind(command: '-z' | '-d', pid: number): Promise<void> {
  await run('callgrind_control', [command, String(pid)], { timeout: SLOW_MS });
}

await withTempDir('host-callgrind', async (dir) => {
  await chmod(dir, 0o755);
  const broker = await createMosquitto({ dir: await mosquittoDir(dir, 'mosquitto'), nodelay: false });
  const hostFile = join(dir, 'host.yaml');
  await writeFile(hostFile, [
    `data_dir: ${join(dir, 'host')}`, `seed: ${fileURLToPath(SAMPLE_SEED)}`, 'log_level: info',
    'uplink:', `  url: ${broker.url}`, '  client_id: bench-host', '',
  ].join('\n'));
  const out = join(dir, 'callgrind.out');
  await broker.start();
  const hostArgs = [...shebangFlags(), ...nodeFlags, bin, 'host', '--config', hostFile];
  const host = trackChild(plain
    ? spawn(process.execPath, hostArgs, { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('valgrind', [
      '--tool=callgrind', `--callgrind-out-file=${out}.%p`, '--dump-instr=no', '--separate-threads=yes', process.execPath, ...hostArgs,
    ], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let lines = 0;
  let ready = false;
  let stderr = '';
  const kept: string[] = [];
  if (stdoutFile !== undefined) host.stdout.on('data', (chunk: Buffer) => { kept.push(chunk.toString()); });
  // What the host's `request handled` lines say: requests, messages, duplicates (from the zeroing on).
  const handled = { requests: 0, messages: 0, duplicates: 0 };
  let pending = '';
  host.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    if (text.includes('"msg":"host ready"')) ready = true;
    lines += text.split('\n').length - 1;
    const all = (pending + text).split('\n');
    pending = all.pop() ?? '';
    for (const line of all) {
      // (a line of --trace-deopt-verbose may quote a log line: only the host's own lines count)
      if (!line.startsWith('{') || !line.includes('"msg":"request handled"')) continue;
      const l = JSON.parse(line) as { messages: number; duplicates: number };
      handled.requests++;
      handled.messages += l.messages;
      handled.duplicates += l.duplicates;
    }
  });
  host.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => host.once('exit', () => resolve()));
  const tills: SimTill[] = [];
  const till = (terminal: string) => {
    const t = new SimTill({
      dir, identity: { merchant: 'M1', store: 'S1', terminal }, brokerUrl: broker.url, lanes: 1, customers: CUSTOMERS, log: silentLogger(),
      requestTimeoutMs: SLOW_MS, // no resends: every request is answered once, however slowly
    });
    tills.push(t);
    return t;
  };
  try {
    await waitUntil(() => ready || host.exitCode !== null, 'host ready under valgrind', SLOW_MS, 200);
    if (!ready) throw new Error(`host exited before ready:\n${stderr}`);
    let measured: () => Promise<void>;
    if (mode === 'online') {
      const t = till('T1');
      t.connect();
      t.startIssuing();
      await waitUntil(() => t.acked.size >= warmup, 'warm-up answered', SLOW_MS, 50);
      await t.finishIssuing();
      measured = async () => {
        const before = t.acked.size;
        t.startIssuing();
        await waitUntil(() => t.acked.size >= before + awards, 'measured awards answered', SLOW_MS, 50);
        await t.finishIssuing();
      };
    } else {
      const first = till('T1');
      await first.queue(warmup);
      const second = till('T2');
      await second.queue(awards);
      first.connect();
      await waitUntil(() => first.pending() === 0, 'warm-up drained', SLOW_MS, 200);
      measured = async () => {
        second.connect();
        await waitUntil(() => second.pending() === 0, 'backlog drained', SLOW_MS, 200);
      };
    }
    const linesBefore = lines;
    Object.assign(handled, { requests: 0, messages: 0, duplicates: 0 });
    if (plain) {
      const before = userSys(host.pid!);
      const started = performance.now();
      await measured();
      const after = userSys(host.pid!);
      console.log(JSON.stringify({
        mode, awards, warmup, plain: true, wall_ms: Math.round(performance.now() - started),
        user_us_per_award: Math.round(((after.user - before.user) * 1000) / awards), sys_us_per_award: Math.round(((after.sys - before.sys) * 1000) / awards),
      }));
      return;
    }
    await callgrind('-z', host.pid!);
    const started = performance.now();
    await measured();
    const ms = performance.now() - started;
    await callgrind('-d', host.pid!);
    // With --separate-threads, -d writes one file per thread: `callgrind.out.PID.N-TT` (TT 01: the main thread).
    const prefix = `callgrind.out.${host.pid}.`;
    const files = (await readdir(dir)).filter((f) => f.startsWith(prefix));
    const dumpNo = Math.max(...files.map((f) => Number(f.slice(prefix.length).split('-')[0])));
    const dump = files.filter((f) => f.startsWith(`${prefix}${dumpNo}-`)).sort();
    if (dump.length === 0) throw new Error('no callgrind dump');
    let ir = 0;
    let mainIr = 0;
    for (const f of dump) {
      const totals = /^(?:totals|summary): (\d+)/m.exec(await readFile(join(dir, f), 'utf8'));
      if (!totals) throw new Error(`no totals in ${f}`);
      ir += Number(totals[1]);
      if (f.endsWith('-01')) mainIr = Number(totals[1]);
    }
    if (keep) {
      await copyFile(join(dir, `${prefix}${dumpNo}-01`), keep);
      // With --node=--perf-basic-prof: V8's map of JIT code addresses to JS functions (callgrind's `???:0x…`).
      await copyFile(`/tmp/perf-${host.pid}.map`, `${keep}.map`).catch(() => undefined);
    }
    console.log(JSON.stringify({
      mode, awards, warmup, main_ir_per_award: Math.round(mainIr / awards), ir_per_award: Math.round(ir / awards), ir_total: ir, host_log_lines: lines - linesBefore, ...handled,
      wall_ms: Math.round(ms),
    }));
  } finally {
    for (const t of tills) await t.stop().catch(() => undefined);
    if (host.exitCode === null) host.kill('SIGTERM');
    const timer = setTimeout(() => host.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
    await broker.stop();
    if (stdoutFile) await writeFile(stdoutFile, kept.join(''));
  }
});
