// Real child processes of till-agent (agent or host), killable with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.ts';

// The processes a test spawns start without tap's @tapjs/processinfo hook: see
// children-without-processinfo.ts, which tap loads into every test process.

/** `till-agent` from the TypeScript sources (see till-agent-source.js): `node BIN ARGS…`. */
export const BIN = fileURLToPath(new URL('./till-agent-source.js', import.meta.url));

export interface Proc {
  child: ChildProcess;
  output(): string;
  lines(): Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(match: (line: Record<string, unknown>) => boolean, what: string, timeout?: number): Promise<Record<string, unknown>>;
}

// What a failed test prints of each of its processes: enough of the end of the log to see why
// (a flake in CI is otherwise gone with its temp dir), bounded so one test cannot flood the log.
const FAILURE_TAIL_LINES = 80;
const FAILURE_TAIL_CHARS = 16_000;

/** The end of a process's output, as a failed test prints it to stderr (tap passes it into the log). */
export function failureTail(args: string[], pid: number | undefined, out: string): string {
  const lines = out.split('\n').filter((l) => l !== '').slice(-FAILURE_TAIL_LINES).join('\n').slice(-FAILURE_TAIL_CHARS);
  return `--- till-agent ${args.join(' ')} (pid ${pid ?? '?'}): last lines of its output, the test failed ---\n${lines}\n--- end ---\n`;
}

/** `bin` is BIN unless a test runs another till-agent (the installed one: test/systemd/installed.test.ts). */
export function startProcess(
  t: { teardown(fn: () => unknown): void; passing?(): boolean },
  args: string[],
  env: NodeJS.ProcessEnv = {},
  bin = BIN,
): Proc {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr?.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // 'close' comes after the last of its output has been read ('exit' may come before it).
  let closed = false;
  child.once('close', () => { closed = true; });
  const lines = () =>
    out.split('\n').flatMap((l) => {
      if (!l.startsWith('{')) return [];
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const proc: Proc = {
    child,
    output: () => out,
    lines,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    // The output as it is at the deadline (read then), not as it was when the wait began. A process
    // that has exited without the line will not write it: the wait ends then, with its output.
    waitForLog: (match, what, timeout = 15_000) =>
      waitFor(() => {
        const found = lines().find(match);
        if (found || !closed) return found;
        throw new Error(`${what}: the process exited (${child.exitCode ?? child.signalCode}) without it\n--- output ---\n${out.slice(-3000)}`);
      }, { what: () => `${what}\n--- output ---\n${out.slice(-3000)}`, timeout, failFast: true }),
  };
  t.teardown(() => {
    if (t.passing && !t.passing()) process.stderr.write(failureTail(args, child.pid, out));
    return proc.kill('SIGKILL');
  });
  return proc;
}
