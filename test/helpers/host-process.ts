// A real `till-agent host` child process with its stdout JSON log lines at hand.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './processes.ts';
import { waitFor } from './wait.ts';

export interface HostProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  logs(): Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(msg: string): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnHost(t: { teardown(fn: () => unknown): void }, args: string[], env: NodeJS.ProcessEnv = {}): HostProcess {
  const child = spawn(process.execPath, [BIN, 'host', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  const tails = () => `stdout: ${out.slice(-1500)} stderr: ${err.slice(-1500)}`;
  const logs = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const proc: HostProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    logs,
    exited,
    // The child's output is read at the deadline (or at its exit), not when the wait began.
    waitForLog: (msg) => waitFor(() => {
      const line = logs().find((l) => l.msg === msg);
      if (line) return line;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`host exited (${child.exitCode ?? child.signalCode}) before logging "${msg}"; ${tails()}`);
      return undefined;
    }, { what: () => `host log "${msg}"; ${tails()}`, timeout: 20_000, failFast: true }),
    async stop(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  t.teardown(() => proc.stop('SIGKILL'));
  return proc;
}
