// Runs `till-agent ARGS…` as a real process and returns its exit code and output.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN } from './processes.ts';

const run = promisify(execFile);

/** A command that has not finished after 60 s is killed and reported with code null. */
export function cli(...args: string[]): Promise<{ code: number; out: string }> {
  return cliIn(process.cwd(), ...args);
}

/** The same, run from the directory `cwd` (where `./data` is looked for). */
export function cliIn(cwd: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return runCli({ cwd }, args);
}

/** The same as user and group nobody (65534), from `cwd`: root may open anything, the service's user may not. Needs root. */
export function cliAsNobody(cwd: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return runCli({ cwd, uid: 65534, gid: 65534 }, args);
}

async function runCli(options: { cwd: string; uid?: number; gid?: number }, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { ...options, timeout: 60_000, killSignal: 'SIGKILL' });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}
