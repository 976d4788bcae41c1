// How run, demo and host stop (cli/commands/signals.ts), in a child process that gets a real
// SIGTERM: the stop runs, the exit status says how it went, the listeners are gone afterwards.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { STOP_DEADLINE_MS } from '../../../cli/commands/signals.ts';

const SIGNALS = fileURLToPath(new URL('../../../cli/commands/signals.ts', import.meta.url));
// The child runs the TypeScript as the test processes do (package.json "tap" "node-arg").
const COMPILED_TS = fileURLToPath(new URL('../../helpers/compiled-ts.mjs', import.meta.url));

// The child prints one JSON line per log call and `listening` once it listens; mode (env) picks its stop.
const CHILD = `
import { listenForSignal } from ${JSON.stringify(SIGNALS)};
const print = (line) => process.stdout.write(JSON.stringify(line) + '\\n');
const log = { info: (o, msg) => print({ msg, ...o }), error: (o, msg) => print({ msg, ...o, err: o.err ? String(o.err) : undefined }) };
const mode = process.env.MODE;
const stops = {
  ok: () => new Promise((resolve) => setTimeout(() => { print({ msg: 'stopped' }); resolve(); }, 50)),
  throws: async () => { throw new Error('stop broke'); },
  // A stop that never settles, with nothing else on the event loop: only the deadline's timer keeps the process.
  hangs: () => { clearInterval(keepAlive); return new Promise(() => undefined); },
};
const listeners = () => process.listenerCount('SIGTERM') + process.listenerCount('SIGINT');
const before = listeners(); // any the loader has of its own
const signal = listenForSignal(log);
const keepAlive = setInterval(() => undefined, 1000);
print({ msg: 'listening' });
const stopping = () => signal.thenStop(stops[mode === 'early' ? 'ok' : mode]).then((code) => {
  print({ msg: 'exit', code, added: listeners() - before });
  clearInterval(keepAlive);
  process.exit(code);
});
// early: the signal comes before thenStop is called (the host listens while it starts).
if (mode === 'early') setTimeout(stopping, 500); else stopping();
`;

async function stopChild(mode: string): Promise<{ lines: Array<Record<string, unknown>>; code: number | null; ms: number }> {
  const child = spawn(process.execPath, ['--import', COMPILED_TS, '--input-type=module', '-e', CHILD], {
    env: { ...process.env, MODE: mode }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let sentAt = 0;
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>;
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      if (line.msg === 'listening') {
        sentAt = Date.now();
        child.kill('SIGTERM');
      }
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { lines, code, ms: Date.now() - sentAt };
}

t.test('SIGTERM: logs stopping, runs the stop, exits 0 and stops listening', async (t) => {
  const { lines, code } = await stopChild('ok');
  t.equal(code, 0);
  t.same(lines.map((l) => l.msg), ['listening', 'stopping', 'stopped', 'exit']);
  t.match(lines[1], { signal: 'SIGTERM' });
  t.match(lines[3], { code: 0, added: 0 }, 'its listeners removed');
});

t.test('a signal received before thenStop is not lost', async (t) => {
  const { lines, code } = await stopChild('early');
  t.equal(code, 0);
  t.same(lines.map((l) => l.msg), ['listening', 'stopping', 'stopped', 'exit']);
});

t.test('a stop that throws: logged, exit 1', async (t) => {
  const { lines, code } = await stopChild('throws');
  t.equal(code, 1);
  t.match(lines.find((l) => l.msg === 'error while stopping'), { err: /stop broke/ });
});

t.test('a stop that hangs, with nothing else left to run: exit 1 after the deadline, said so', async (t) => {
  const { lines, code, ms } = await stopChild('hangs');
  t.equal(code, 1);
  t.match(lines.find((l) => l.msg === 'stop took too long; exiting anyway'), { deadline_ms: STOP_DEADLINE_MS });
  t.ok(ms >= STOP_DEADLINE_MS, `after ${ms} ms`);
});
