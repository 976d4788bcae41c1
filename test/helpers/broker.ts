// A real mosquitto process on an ephemeral port, with its own config and persistence dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canConnect, freePort } from './ports.ts';
import { tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export interface BrokerTls {
  ca: string;
  cert: string;
  key: string;
  requireCertificate?: boolean;
}

export interface Broker {
  port: number;
  url: string;
  dir: string;
  /** SIGKILL the broker: no clean shutdown, no will delivered by a goodbye. */
  kill(): Promise<void>;
  /** Start it again on the same port with the same persistence dir. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Sends a signal to the running broker (SIGSTOP: it holds its connections and answers nothing). */
  signal(signal: NodeJS.Signals): void;
  log(): string;
}

interface Teardown { teardown(fn: () => unknown): void }

export interface BrokerOptions {
  tls?: BrokerTls;
  /**
   * Listener and security lines replacing the default open listener (the persistence and log
   * lines stay); `port` is the broker's port. The URL is mqtts:// when they set a certfile.
   */
  listener?: (port: number) => string;
}

export async function startBroker(t: Teardown, options: BrokerOptions = {}): Promise<Broker> {
  const dir = await tempDir(t, 'till-mosquitto-');
  const data = join(dir, 'data');
  await mkdir(data, { recursive: true });
  // mosquitto started as root drops to the `mosquitto` user: it must be able to write here.
  await chmod(dir, 0o777);
  await chmod(data, 0o777);
  const port = await freePort();
  const custom = options.listener?.(port);
  const lines = [
    ...(custom === undefined ? [`listener ${port} 127.0.0.1`, 'allow_anonymous true'] : [custom]),
    'persistence true',
    `persistence_location ${data}/`,
    'autosave_interval 1',
    'max_queued_messages 100000',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
  ];
  if (options.tls) {
    lines.push(`cafile ${options.tls.ca}`, `certfile ${options.tls.cert}`, `keyfile ${options.tls.key}`);
    if (options.tls.requireCertificate) lines.push('require_certificate true', 'use_identity_as_username true');
  }
  const configFile = join(dir, 'mosquitto.conf');
  await writeFile(configFile, lines.join('\n') + '\n');

  let child: ChildProcess | undefined;
  let output = '';
  const launch = async () => {
    child = spawn('mosquitto', ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (b: Buffer) => { output += b.toString(); });
    child.stderr?.on('data', (b: Buffer) => { output += b.toString(); });
    const exited = new Promise<never>((_, reject) =>
      child?.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}: ${output}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitFor(() => canConnect(port), { what: `mosquitto on ${port}` }), exited]);
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await gone;
  };
  await launch();
  t.teardown(kill);
  return {
    port,
    url: `${options.tls || /^certfile /m.test(custom ?? '') ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    dir,
    kill,
    restart: launch,
    stop: kill,
    signal: (signal) => { child?.kill(signal); },
    log: () => output,
  };
}
