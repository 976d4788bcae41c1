// The demo as a newcomer starts it: `node bin/till-agent.js demo`, `npm start --` or
// `npx till-agent demo`, on free ports, with its input a pipe the test can type into. The
// demo's own pid comes from its banner (under npm/npx the child is npm, not the demo).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BIN } from './processes.ts';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export type Launcher = 'node' | 'npm' | 'npx';

export interface Demo {
  child: ChildProcess;
  /** The demo process itself (from its banner). */
  pid: number;
  port: number;
  statusPort: number;
  brokerPort: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Types a line on the demo's input. */
  type(line: string): void;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function command(launcher: Launcher, args: string[]): [string, string[]] {
  if (launcher === 'npm') return ['npm', ['start', '--', ...args]];
  if (launcher === 'npx') return ['npx', ['till-agent', 'demo', ...args]];
  return [process.execPath, [BIN, 'demo', ...args]];
}

export async function startDemo(
  t: { teardown(fn: () => unknown): void },
  dataDir: string,
  { launcher = 'node', cwd = REPO, extra = [], env = {} }: { launcher?: Launcher; cwd?: string; extra?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<Demo> {
  const port = await freePort();
  const brokerPort = await freePort();
  const statusPort = await freePort();
  const [file, args] = command(launcher, ['--data', dataDir, '--port', String(port), '--status-port', String(statusPort), '--broker-port', String(brokerPort), ...extra]);
  const child = spawn(file, args, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  let pid = 0;
  t.teardown(async () => {
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const seen = waitFor(() => /demo is running \(pid (\d+)\)/.exec(out), { timeout: 60_000, what: 'the demo banner' });
  seen.catch(() => undefined); // when the demo exits first, the race below reports that instead
  const banner = await Promise.race([seen, exited.then(() => null)]).catch((error: Error) => { throw new Error(`${error.message}\n${out}`); });
  if (!banner) throw new Error(`the demo exited before it ran:\n${out}`);
  pid = Number(banner[1]);
  return {
    child, pid, port, statusPort, brokerPort, exited,
    output: () => out,
    type: (line) => { child.stdin!.write(`${line}\n`); },
  };
}
