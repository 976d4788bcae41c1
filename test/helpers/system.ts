// The whole system on one machine with real parts: a mosquitto process, the reference
// host and the agent as child processes, each with its own config file and data dir.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startBroker, type Broker, type BrokerOptions, type BrokerTls } from './broker.ts';
import { connectPos, type PosClient } from './pos-client.ts';
import { freePort } from './ports.ts';
import { startProcess, type Proc } from './processes.ts';
import { tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';
import { RECONNECT_MAX_MS } from '../../protocol/reconnect-backoff.ts';

export const TEST_SEED = fileURLToPath(new URL('../fixtures/seed.yaml', import.meta.url));

type Teardown = { teardown(fn: () => unknown): void };
type Obj = Record<string, unknown>;

export interface SystemOptions {
  agent?: Obj;            // merged over the default agent config (one level deep for sections)
  hostConfig?: Obj;       // merged over the default host config
  startHost?: boolean;    // default true
  startAgent?: boolean;   // default true; false: the test calls startAgent() itself (after changing its config)
  tls?: BrokerTls;
  broker?: BrokerOptions; // instead of tls: any startBroker options (a custom listener)
  agentTls?: Obj;         // uplink TLS keys for the agent
  hostTls?: Obj;
  agentEnv?: NodeJS.ProcessEnv;
  hostEnv?: NodeJS.ProcessEnv;
  bin?: string;           // the till-agent to run (default: the sources, helpers/processes.ts BIN)
}

export interface System {
  dir: string;
  broker: Broker;
  agentPort: number;
  agentConfig: string;
  hostConfig: string;
  agent: Proc;             // set once the agent has started (options.startAgent false: by startAgent())
  host: Proc | undefined;
  hostDb: string;
  startAgent(env?: NodeJS.ProcessEnv): Promise<Proc>;
  startHost(extra?: Obj): Promise<Proc>;
  pos(): Promise<PosClient>;
  waitOnline(): Promise<void>;
  /** Kills the broker and waits until the agent says its uplink is down. */
  goOffline(): Promise<void>;
}

function merge(base: Obj, over: Obj = {}): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = b && typeof b === 'object' && !Array.isArray(b) && v && typeof v === 'object' && !Array.isArray(v)
      ? { ...(b as Obj), ...(v as Obj) }
      : v;
  }
  return out;
}

// Online may take up to the reconnect backoff's longest wait (RECONNECT_MAX_MS, 30 s) after the
// broker is back, when the agent failed several attempts while it was away.
async function waitUplink(agentPort: number, connected: boolean): Promise<void> {
  const client = await connectPos({ port: agentPort });
  let last: unknown;
  try {
    await waitFor(async () => {
      const r = await client.request('status');
      last = r.ok ? (r.result as { uplink: unknown }).uplink : r;
      return r.ok && (r.result as { uplink: { connected: boolean } }).uplink.connected === connected;
    }, {
      // The agent's last word on its uplink (state, last_error) says why it never got there.
      what: () => `agent uplink ${connected ? 'online' : 'offline'} (last status.uplink: ${JSON.stringify(last)})`,
      timeout: connected ? RECONNECT_MAX_MS + 10_000 : 10_000,
    });
  } finally {
    await client.close();
  }
}

export async function startSystem(t: Teardown, options: SystemOptions = {}): Promise<System> {
  const dir = await tempDir(t, 'till-system-');
  const broker = await startBroker(t, options.broker ?? (options.tls ? { tls: options.tls } : {}));
  const agentPort = await freePort();
  const agentConfig = join(dir, 'agent.yaml');
  const hostConfig = join(dir, 'host.yaml');
  const hostData = join(dir, 'host-data');
  await writeFile(agentConfig, stringify(merge({
    terminal: 'T1', store: 'S1', merchant: 'M1',
    data_dir: join(dir, 'agent-data'),
    log_level: 'debug',
    socket: { tcp: `127.0.0.1:${agentPort}`, unix: join(dir, 'agent.sock') },
    // A short reconnect backoff (the default doubles to 30 s): tests that keep the broker down
    // for a while then wait for the link, and would wait out the longest step.
    uplink: { url: broker.url, request_timeout_ms: 2000, reconnect_max_ms: 2000, ...options.agentTls },
    offline: { spend_floor_limit: 500, identify_cache_days: 30 },
    outbox: { max_backoff_ms: 1000 },
  }, options.agent)));
  const writeHostConfig = (extra?: Obj) => writeFile(hostConfig, stringify(merge(merge({
    data_dir: hostData,
    uplink: { url: broker.url, reconnect_max_ms: 2000, ...options.hostTls },
    seed: TEST_SEED,
    log_level: 'debug',
  }, options.hostConfig), extra)));
  await writeHostConfig();

  const system: System = {
    dir, broker, agentPort, agentConfig, hostConfig,
    hostDb: join(hostData, 'host.db'),
    agent: undefined as unknown as Proc,
    host: undefined,
    async startAgent(env = {}) {
      const proc = startProcess(t, ['run', '--config', agentConfig], { ...options.agentEnv, ...env }, options.bin);
      await proc.waitForLog((l) => l.msg === 'till-agent ready', 'agent ready');
      system.agent = proc;
      return proc;
    },
    async startHost(extra) {
      if (extra) await writeHostConfig(extra);
      const proc = startProcess(t, ['host', '--config', hostConfig], options.hostEnv ?? {}, options.bin);
      await proc.waitForLog((l) => l.msg === 'host ready', 'host ready');
      system.host = proc;
      return proc;
    },
    async pos() {
      const client = await connectPos({ port: agentPort });
      t.teardown(() => client.close());
      return client;
    },
    waitOnline: () => waitUplink(agentPort, true),
    async goOffline() {
      await broker.kill();
      await waitUplink(agentPort, false);
    },
  };
  if (options.startHost !== false) await system.startHost();
  if (options.startAgent !== false) await system.startAgent();
  return system;
}
