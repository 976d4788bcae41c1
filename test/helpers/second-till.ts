// A second till (terminal T2) next to a startSystem() one: same broker, same host, its own
// agent process, data dir and socket. For rules that involve two tills (locks).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { connectPos, type PosClient } from './pos-client.ts';
import { freePort } from './ports.ts';
import { startProcess } from './processes.ts';
import type { System } from './system.ts';
import { waitFor } from './wait.ts';

export async function secondTill(t: { teardown(fn: () => unknown): void }, sys: System, terminal = 'T2'): Promise<PosClient> {
  const port = await freePort();
  const config = join(sys.dir, `agent-${terminal}.yaml`);
  await writeFile(config, stringify({
    terminal, store: 'S1', merchant: 'M1',
    data_dir: join(sys.dir, `agent-${terminal}-data`),
    log_level: 'debug',
    socket: { tcp: `127.0.0.1:${port}`, unix: join(sys.dir, `agent-${terminal}.sock`) },
    uplink: { url: sys.broker.url, request_timeout_ms: 2000, reconnect_max_ms: 2000 },
    offline: { spend_floor_limit: 500, identify_cache_days: 30 },
    outbox: { max_backoff_ms: 1000 },
  }));
  const proc = startProcess(t, ['run', '--config', config]);
  // A second agent starting on a loaded machine (CI): more time than the first one gets.
  await proc.waitForLog((l) => l.msg === 'till-agent ready', `agent ${terminal} ready`, 40_000);
  const pos = await connectPos({ port });
  t.teardown(() => pos.close());
  await waitFor(async () => {
    const r = await pos.request('status');
    return r.ok && (r.result as { uplink: { connected: boolean } }).uplink.connected;
  }, { what: `agent ${terminal} online` });
  return pos;
}
