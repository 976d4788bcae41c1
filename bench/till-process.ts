// `till-agent run` and `till-agent host` as real child processes, started the way systemd
// starts them (bin/till-agent.js executed through its shebang), timed from spawn to their
// "ready" log line, measured through /proc and stopped by pid.
import { spawn } from 'node:child_process';
import { trackChild } from './children.ts';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/till-agent.js', import.meta.url));

export interface TillProcess {
  pid: number;
  /** From spawn to the ready log line. */
  readyMs: number;
  /** CPU time (user + system) the process had used by then: less skewed by a busy machine. */
  readyCpuMs: number;
  /** Resident set size now, in MiB (VmRSS). */
  rssMiB(): number;
  /** The largest resident set size so far, in MiB (VmHWM). */
  peakRssMiB(): number;
  /** CPU time (user + system) used so far, in ms. */
  cpuMs(): number;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it has exited. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: no clean shutdown); resolves once it has exited. */
  kill(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_DEADLINE_MS = 10_000;

export function cpuMs(pid: number | string): number {
  // /proc/PID/stat: fields 14 and 15 (utime, stime) after the parenthesised command name.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`bench: no ${field} for pid ${pid}`);
  return Number(match[1]);
}

/**
 * Spawns `till-agent ARGS` and resolves once it logs `readyMsg` (a JSON log line's msg).
 * `onLine` gets every stdout line after that (the fleet bench counts the host's requests).
 */
export async function spawnTill(args: string[], readyMsg: string, onLine?: (line: string) => void, nodeArgs: string[] = [], wrapper: string[] = []): Promise<TillProcess> {
  const started = performance.now();
  // With extra node flags (e.g. --cpu-prof) or a wrapper (valgrind) node runs the bin itself, with the
  // shebang's flags first.
  const child = trackChild(nodeArgs.length === 0 && wrapper.length === 0
    ? spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    : wrapper.length === 0
      ? spawn(process.execPath, [...shebangFlags(), ...nodeArgs, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(wrapper[0]!, [...wrapper.slice(1), process.execPath, ...shebangFlags(), ...nodeArgs, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const readyTimeoutMs = wrapper.length === 0 ? READY_TIMEOUT_MS : 20 * READY_TIMEOUT_MS;
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let readyCpuMs = Number.NaN;
  const readyAt = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(`no "${readyMsg}" within ${readyTimeoutMs} ms`), readyTimeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`bench: till-agent ${args[0]}: ${why}\n${output.slice(-3000)}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited (${code ?? signal}) before "${readyMsg}"`);
    child.once('exit', onExit);
    child.once('error', (error) => fail(error.message));
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (output.length < 1_000_000) output += text;
      pending += text;
      let newline: number;
      while ((newline = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.includes(`"msg":"${readyMsg}"`)) {
          clearTimeout(timer);
          child.off('exit', onExit);
          readyCpuMs = cpuMs(child.pid!);
          resolve(performance.now());
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => { if (output.length < 1_000_000) output += chunk.toString(); });
  });
  // Keep draining its output (a full pipe would block the child) without keeping it.
  child.stdout.removeAllListeners('data');
  if (onLine) {
    let rest = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
  child.stdout.resume();
  child.stderr.resume();
  const pid = child.pid!;
  return {
    pid,
    readyMs: readyAt - started,
    readyCpuMs,
    rssMiB: () => statusKiB(pid, 'VmRSS') / 1024,
    peakRssMiB: () => statusKiB(pid, 'VmHWM') / 1024,
    cpuMs: () => cpuMs(pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_DEADLINE_MS);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The node flags on the bin's `#!/usr/bin/env -S node …` line. */
export function shebangFlags(): string[] {
  const first = readFileSync(BIN, 'utf8').split('\n', 1)[0]!;
  const words = first.split(/\s+/);
  return words.slice(words.indexOf('node') + 1).filter(Boolean);
}

/** Samples a process's RSS every `intervalMs` until stopped; returns the largest sample (MiB). */
export function sampleRss(proc: TillProcess, intervalMs = 50): { stop(): number } {
  let peak = proc.rssMiB();
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, proc.rssMiB());
    } catch {
      // The process is gone; the samples so far stand.
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
