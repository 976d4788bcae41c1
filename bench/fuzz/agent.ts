// The agent under fuzz: a real `till-agent run` child process with its own config and data
// dir, an embedded broker and no host (money ops are committed and queued), its RSS sampled.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const BIN = fileURLToPath(new URL('../../bin/till-agent.js', import.meta.url));

export interface FuzzAgent {
  port: number;
  readonly pid: number;
  readonly exits: number;
  /** Log lines at level error or fatal, and the last lines of output (for a crash report). */
  readonly errorLines: string[];
  tail(): string[];
  rss(): { startMb: number; peakMb: number; nowMb: number };
  onExit(fn: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  restart(): Promise<void>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function readRssMb(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

export async function startFuzzAgent(dir: string, connections: number): Promise<FuzzAgent> {
  const port = await freePort();
  const config = join(dir, 'agent.yaml');
  await writeFile(config, stringify({
    terminal: 'FUZZ', store: 'S1', merchant: 'M1', data_dir: join(dir, 'data'), log_level: 'info',
    socket: { tcp: `127.0.0.1:${port}`, unix: join(dir, 'agent.sock'), max_connections: Math.min(1024, connections + 16) },
    uplink: { url: 'embedded', embedded_port: 0, request_timeout_ms: 100 },
  }));
  let child: ChildProcess;
  let exits = 0;
  let startMb = 0;
  let peakMb = 0;
  const errorLines: string[] = [];
  const last: string[] = [];
  const exitListeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];
  let sampler: NodeJS.Timeout | undefined;
  const logFile = process.env.FUZZ_AGENT_LOG; // every line of the agent's log, for investigating a finding

  const launch = () => new Promise<void>((resolve, reject) => {
    const nodeArgs = (process.env.FUZZ_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean); // e.g. --cpu-prof
    child = spawn(process.execPath, [...nodeArgs, BIN, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    const onLine = (line: string) => {
      if (logFile) appendFileSync(logFile, `${line}\n`);
      last.push(line);
      if (last.length > 50) last.shift();
      if (/"level":"(error|fatal)"/.test(line) && errorLines.length < 100) errorLines.push(line.slice(0, 2000));
      if (line.includes('"till-agent ready"')) resolve();
    };
    const onData = (b: Buffer) => {
      pending += b.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      lines.forEach(onLine);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      exits++;
      reject(new Error(`agent exited before it was ready (${code ?? signal}):\n${last.join('\n')}`));
      for (const fn of exitListeners) fn(code, signal);
    });
  });

  await launch();
  startMb = readRssMb(child!.pid!).rss;
  sampler = setInterval(() => { peakMb = Math.max(peakMb, readRssMb(child.pid!).hwm); }, 250);
  sampler.unref();

  return {
    port,
    get pid() { return child.pid!; },
    get exits() { return exits; },
    errorLines,
    tail: () => [...last],
    rss: () => ({ startMb, peakMb: Math.max(peakMb, readRssMb(child.pid!).hwm), nowMb: readRssMb(child.pid!).rss }),
    onExit: (fn) => { exitListeners.push(fn); },
    restart: () => launch(),
    stop: () => new Promise((resolve) => {
      clearInterval(sampler);
      if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.kill('SIGTERM');
    }),
  };
}
