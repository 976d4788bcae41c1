// A real mosquitto for the process benchmarks: its own port, config and persistence dir under
// the benchmark's temp dir, started and stopped by pid. The config is mosquitto's defaults plus
// only what the bench needs (a loopback listener, anonymous clients, persistence, room to queue
// a 20,000-message backlog); `nodelay` adds `set_tcp_nodelay true`, `bridge` an outgoing bridge.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canConnect, freePort } from '../test/helpers/ports.ts';
import { trackChild } from './children.ts';
import { waitUntil } from './wait.ts';

export interface MosquittoOptions {
  /** A directory of its own (config, persistence). */
  dir: string;
  nodelay: boolean;
  port?: number;
  /** Forward `topic` (QoS 1, persistent session) to a broker on 127.0.0.1:port. */
  bridge?: { port: number; topic: string };
}

export interface Mosquitto {
  port: number;
  url: string;
  /** Starts it (again, with the same config and persistence); resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGTERM (mosquitto saves its persistence file) and wait for the exit. */
  stop(): Promise<void>;
  /** The running process's pid (its CPU time is read from /proc), undefined when stopped. */
  pid(): number | undefined;
}

const STOP_DEADLINE_MS = 10_000;

function config(options: MosquittoOptions, port: number, data: string): string {
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence true',
    `persistence_location ${data}/`,
    // The bridge baseline queues its whole backlog in the local broker (the default is 1,000).
    'max_queued_messages 100000',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
  ];
  if (options.nodelay) lines.push('set_tcp_nodelay true');
  if (options.bridge) {
    lines.push(
      'connection bench-bridge',
      `address 127.0.0.1:${options.bridge.port}`,
      `topic ${options.bridge.topic} out 1`,
      'cleansession false',
      'restart_timeout 1',
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function createMosquitto(options: MosquittoOptions): Promise<Mosquitto> {
  const port = options.port ?? await freePort();
  const data = join(options.dir, 'data');
  await mkdir(data, { recursive: true });
  // mosquitto started as root drops to the `mosquitto` user: it must reach and write these.
  await chmod(options.dir, 0o777);
  await chmod(data, 0o777);
  const file = join(options.dir, 'mosquitto.conf');
  await writeFile(file, config(options, port, data));

  let child: ChildProcess | undefined;
  let output = '';
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    pid: () => (running() ? child?.pid : undefined),
    async start() {
      if (running()) throw new Error(`bench: mosquitto on ${port} is already running`);
      const c = trackChild(spawn('mosquitto', ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] }));
      child = c;
      c.stderr?.on('data', (b: Buffer) => { output += b.toString(); });
      await waitUntil(async () => {
        if (c.exitCode !== null) throw new Error(`bench: mosquitto exited with ${c.exitCode}: ${output}`);
        return canConnect(port);
      }, `mosquitto on port ${port}`, 10_000);
    },
    async stop() {
      const c = child;
      if (!c || !running()) return;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), STOP_DEADLINE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Its own subdirectory of the benchmark's temp dir; the temp dir itself must let mosquitto in. */
export async function mosquittoDir(parent: string, name: string): Promise<string> {
  await chmod(parent, 0o755);
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  return dir;
}
