// `npm run fuzz`: hostile frames against a real agent process (not part of CI).
//
//   100 connections ──▶ batches of hostile lines (frames.ts) ──▶ till-agent run (child process)
//        ▲                                                            │
//        └──── exactly one answer per line, within 10 s, or a hang ◀──┘
//
// Reports crashes (the agent process exiting), hangs (a batch not fully answered in time),
// unexpected closes, answers that are not valid protocol frames, INTERNAL errors, error log
// lines, RSS and throughput. Figures go in bench/README.md ("Fuzzing").
import net from 'node:net';
import { ERROR_CODES } from '../../protocol/errors.ts';
import { withTempDir } from '../temp-dir.ts';
import { startFuzzAgent, type FuzzAgent } from './agent.ts';
import { hostileFrame, oversizeFrame, seeded, type Frame, type Rand } from './frames.ts';

const USAGE = `npm run fuzz -- [--frames 1000000] [--connections 100] [--batch 50] [--seed N] [--json]
`;

interface Options { frames: number; connections: number; batch: number; seed: number; json: boolean }

function parseOptions(argv: string[]): Options | string {
  const o: Options = { frames: 1_000_000, connections: 100, batch: 50, seed: Math.floor(Math.random() * 2 ** 31), json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') o.json = true;
    else if (arg === '--help' || arg === '-h') return USAGE;
    else {
      const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
      const key = flag.replace(/^--/, '') as keyof Options;
      if (!['frames', 'connections', 'batch', 'seed'].includes(key)) return `unknown argument "${arg}"\n${USAGE}`;
      const value = Number(inline ?? argv[++i]);
      if (!Number.isSafeInteger(value) || value < (key === 'seed' ? 0 : 1)) return `${flag} needs a positive integer\n${USAGE}`;
      (o as unknown as Record<string, number>)[key] = value;
    }
  }
  return o;
}

// A hang is a connection that gets no answer at all for this long while its batch is unanswered.
// Not a latency bound: with 100 connections saturating 2 cores a batch may wait many seconds.
const HANG_MS = 60_000;
const CODES = new Set<string>(ERROR_CODES);

interface Stats {
  sent: number;
  answered: number;
  byCode: Record<string, number>;
  byKind: Record<string, number>;
  hangs: Array<{ kinds: string[]; unanswered: number }>;
  unexpectedCloses: number;
  badAnswers: string[];
  connectionsOpened: number;
  abrupt: number;
  crashes: Array<{ code: number | null; signal: string | null; tail: string[] }>;
  /** Round trip of each fully answered batch, ms. */
  batchMs: number[];
}

/** One POS connection that sends a batch, waits for one answer per line, and repeats. */
async function worker(agent: FuzzAgent, r: Rand, o: Options, stats: Stats, budget: { left: number }): Promise<void> {
  while (budget.left > 0) {
    const socket = net.connect({ port: agent.port, host: '127.0.0.1' });
    stats.connectionsOpened++;
    let buffered = '';
    let answers = 0;
    let closed = false;
    let wake: (() => void) | undefined;
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        check(line, stats) && answers++;
      }
      wake?.();
    });
    socket.on('error', () => {});
    socket.on('close', () => { closed = true; wake?.(); });
    const connected = await new Promise<boolean>((resolve) => { socket.once('connect', () => resolve(true)); socket.once('close', () => resolve(false)); });
    if (!connected) continue; // the agent is restarting after a crash

    while (budget.left > 0 && !closed) {
      const oversize = r() < 0.001;
      const frames: Frame[] = oversize ? [oversizeFrame(r)] : Array.from({ length: Math.min(o.batch, budget.left) }, () => hostileFrame(r));
      budget.left -= frames.length;
      stats.sent += frames.length;
      for (const f of frames) stats.byKind[f.kind] = (stats.byKind[f.kind] ?? 0) + 1;
      const payload = Buffer.concat(frames.flatMap((f) => [f.line, Buffer.from('\n')]));
      const abrupt = !oversize && r() < 0.01;
      if (abrupt) {
        // A POS that dies mid-line: half a batch, then a reset. Nothing is expected back.
        socket.end(payload.subarray(0, Math.floor(payload.length / 2)));
        socket.destroy();
        stats.abrupt++;
        break;
      }
      const expected = answers + frames.length;
      const sentAt = performance.now();
      socket.write(payload);
      const done = await new Promise<'ok' | 'closed' | 'hang'>((resolve) => {
        let timer = setTimeout(() => resolve('hang'), HANG_MS);
        let seen = answers;
        wake = () => {
          if (answers >= expected) { clearTimeout(timer); resolve('ok'); } else if (closed) { clearTimeout(timer); resolve('closed'); } else if (answers > seen) {
            seen = answers; // progress: the agent is slow, not stuck
            clearTimeout(timer);
            timer = setTimeout(() => resolve('hang'), HANG_MS);
          }
        };
        wake();
      });
      wake = undefined;
      if (done === 'ok') stats.batchMs.push(performance.now() - sentAt);
      if (done === 'hang') {
        stats.hangs.push({ kinds: frames.map((f) => f.kind), unanswered: expected - answers });
        socket.destroy();
        break;
      } else if (done === 'closed' && !oversize && agent.exits === 0) {
        stats.unexpectedCloses++;
      }
      if (oversize) {
        await new Promise<void>((resolve) => { if (closed) resolve(); else socket.once('close', () => resolve()); });
      }
    }
    socket.destroy();
  }
}

/** Every answer must be a protocol frame: {id, ok: true, result} or {id, ok: false, error: {code, message, retryable}}. */
function check(line: string, stats: Stats): boolean {
  let frame: Record<string, unknown>;
  try {
    frame = JSON.parse(line) as Record<string, unknown>;
  } catch {
    if (stats.badAnswers.length < 20) stats.badAnswers.push(line.slice(0, 300));
    return true;
  }
  if ('event' in frame) return false; // events after a subscription are not answers
  stats.answered++;
  const error = frame.error as { code?: unknown; message?: unknown; retryable?: unknown } | undefined;
  const code = frame.ok === true ? 'OK' : String(error?.code);
  stats.byCode[code] = (stats.byCode[code] ?? 0) + 1;
  const valid = 'id' in frame && (frame.ok === true ? 'result' in frame : frame.ok === false && CODES.has(code) && typeof error?.message === 'string' && typeof error?.retryable === 'boolean');
  if (!valid && stats.badAnswers.length < 20) stats.badAnswers.push(line.slice(0, 300));
  return true;
}

function percentiles(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(sorted[sorted.length - 1] ?? 0) };
}

async function statusAnswered(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => { s.destroy(); resolve(false); }, 5000);
    s.on('error', () => resolve(false));
    s.once('data', (b: Buffer) => { clearTimeout(timer); s.destroy(); resolve(/"ok":true/.test(b.toString())); });
    s.write('{"id":"final","op":"status"}\n');
  });
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  if (typeof o === 'string') {
    process.stderr.write(o);
    return o === USAGE ? 0 : 2;
  }
  return withTempDir('fuzz', async (dir) => {
    process.stderr.write(`fuzz: seed ${o.seed}, ${o.frames} frames over ${o.connections} connections, batches of ${o.batch}\n`);
    const agent = await startFuzzAgent(dir, o.connections);
    const stats: Stats = { sent: 0, answered: 0, byCode: {}, byKind: {}, hangs: [], unexpectedCloses: 0, badAnswers: [], connectionsOpened: 0, abrupt: 0, crashes: [], batchMs: [] };
    let stopping = false;
    agent.onExit((code, signal) => {
      if (stopping) return;
      stats.crashes.push({ code, signal, tail: agent.tail() });
      process.stderr.write(`fuzz: THE AGENT EXITED (${code ?? signal}); restarting\n`);
      void agent.restart().catch((e: Error) => process.stderr.write(`fuzz: restart failed: ${e.message}\n`));
    });
    const budget = { left: o.frames };
    const progress = setInterval(() => process.stderr.write(`fuzz: ${stats.sent} sent, ${stats.answered} answered, RSS ${agent.rss().nowMb.toFixed(0)} MB\n`), 5000);
    const started = performance.now();
    const rootRand = seeded(o.seed);
    await Promise.all(Array.from({ length: o.connections }, () => worker(agent, seeded(Math.floor(rootRand() * 2 ** 31)), o, stats, budget)));
    const seconds = (performance.now() - started) / 1000;
    clearInterval(progress);
    const alive = await statusAnswered(agent.port);
    const rss = agent.rss();
    stopping = true;
    const exit = await agent.stop();

    const report = {
      seed: o.seed, connections: o.connections, batch: o.batch,
      frames_sent: stats.sent, answers: stats.answered, seconds: Math.round(seconds * 10) / 10,
      frames_per_s: Math.round(stats.sent / seconds),
      crashes: stats.crashes.length, hangs: stats.hangs.length, unexpected_closes: stats.unexpectedCloses,
      invalid_answers: stats.badAnswers.length, internal_errors: stats.byCode.INTERNAL ?? 0, error_log_lines: agent.errorLines.length,
      rss_mb: { start: Math.round(rss.startMb), peak: Math.round(rss.peakMb), end: Math.round(rss.nowMb) },
      batch_round_trip_ms: percentiles(stats.batchMs),
      alive_after: alive, sigterm_exit: exit.code,
      connections_opened: stats.connectionsOpened, abrupt_disconnects: stats.abrupt,
      answers_by_code: stats.byCode, frames_by_kind: stats.byKind,
      samples: { hangs: stats.hangs.slice(0, 5), invalid_answers: stats.badAnswers.slice(0, 5), error_log_lines: agent.errorLines.slice(0, 5), crashes: stats.crashes.slice(0, 3) },
    };
    if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const rows: Array<[string, unknown]> = [
        ['frames sent', report.frames_sent], ['answers', report.answers], ['duration', `${report.seconds} s`], ['throughput', `${report.frames_per_s} frames/s`],
        ['crashes', report.crashes], ['hangs', report.hangs], ['unexpected closes', report.unexpected_closes], ['invalid answers', report.invalid_answers],
        ['INTERNAL errors', report.internal_errors], ['error log lines', report.error_log_lines],
        ['RSS start / peak / end', `${report.rss_mb.start} / ${report.rss_mb.peak} / ${report.rss_mb.end} MB`],
        ['batch round trip', `p50 ${report.batch_round_trip_ms.p50} / p99 ${report.batch_round_trip_ms.p99} / max ${report.batch_round_trip_ms.max} ms`],
        ['status answered after', report.alive_after], ['SIGTERM exit code', report.sigterm_exit],
        ['connections opened', report.connections_opened], ['abrupt disconnects', report.abrupt_disconnects],
      ];
      process.stdout.write(rows.map(([k, v]) => `${k.padEnd(24)} ${String(v)}`).join('\n') + '\n');
      process.stdout.write(`answers by code: ${JSON.stringify(report.answers_by_code)}\n`);
      if (report.samples.hangs.length || report.samples.invalid_answers.length || report.samples.error_log_lines.length || report.samples.crashes.length) {
        process.stdout.write(`samples: ${JSON.stringify(report.samples, null, 2)}\n`);
      }
    }
    const clean = report.crashes === 0 && report.hangs === 0 && report.invalid_answers === 0 && report.internal_errors === 0 && alive && exit.code === 0;
    return clean ? 0 : 1;
  });
}

process.exitCode = await main();
