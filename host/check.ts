// `till-agent host --check-backend` and `till-agent host --doctor`: the configured backend's
// per-op support (✔/✖ with what was checked or why not) and its platform checks (auth, a cheap
// call, clock skew), each after the store it opened (sqlite file or PostgreSQL server, schema
// version); the doctor also checks that the broker is reachable and takes the TLS files
// (broker-reach.ts). Neither starts the MQTT consumer; both exit 0 when everything is ✔, else 1.
import { accessSync, constants, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SetupProblem, dataDirHint, namingKey } from '../runtime/setup-problem.ts';
import { HOST_USER } from './tls-files.ts';
import type { OpCheck, PlatformCheck } from './backend.ts';
import { checkBrokerReach } from './broker-reach.ts';
import { createBackend } from './backends.ts';
import type { HostConfig } from './config.ts';
import type { Ledger } from './ledger.ts';
import { LEDGER_FILE, openStore } from './store.ts';
import type { Logger } from '../runtime/log.ts';

function line(ok: boolean, name: string, detail: string, width: number): string {
  return `${ok ? '✔' : '✖'} ${name.padEnd(width)}  ${detail}\n`;
}

export function formatChecks(title: string, rows: Array<OpCheck | PlatformCheck>): string {
  const width = Math.max(...rows.map((r) => ('op' in r ? r.op : r.name).length));
  return `${title}\n${rows.map((r) => line(r.ok, 'op' in r ? r.op : r.name, r.detail, width)).join('')}`;
}

export async function runBackendCheck(config: HostConfig, log: Logger, what: 'ops' | 'doctor', out: (s: string) => void): Promise<number> {
  let ledger: Ledger;
  let notCreated: string | undefined;
  let scratch: string | undefined;
  try {
    const file = join(config.data_dir, LEDGER_FILE);
    if (config.store === 'sqlite' && !existsSync(file)) {
      // The checks only look: a ledger they created (as root, by sudo) would keep the service's user
      // out. Its first start creates it; the checks run on an empty one of their own meanwhile.
      const where = nearestExisting(config.data_dir);
      namingKey('data_dir', config.data_dir, dataDirHint(HOST_USER, '/var/lib/till-agent-host'), () => creatable(where));
      notCreated = `sqlite ${file} not created yet (the host's first start creates it; ${where} is writable by this user)`;
      scratch = mkdtempSync(join(tmpdir(), 'till-host-check-'));
      ledger = openStore({ ...config, data_dir: scratch });
    } else {
      ledger = openStore(config);
    }
  } catch (error) {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    // A data_dir this user may not create: the key and what to do, not a crash with a stack.
    if (error instanceof SetupProblem) {
      out(formatChecks('store', [{ name: 'store', ok: false, detail: `${error.message}` }]));
      return 1;
    }
    // An unreachable PostgreSQL, a wrong password, a newer schema: one line, no stack.
    out(formatChecks('store', [{ name: 'store', ok: false, detail: `${config.store}: ${(error as Error).message}` }]));
    return 1;
  }
  try {
    const store: PlatformCheck = { name: 'store', ok: true, detail: notCreated ?? ledger.describe() };
    const backend = await createBackend(config, ledger, log);
    try {
      if (what === 'ops') {
        const rows = await backend.checkOps();
        out(`store: ${store.detail}\n`);
        out(formatChecks(`backend ${backend.name}: operations`, rows));
        return rows.every((r) => r.ok) ? 0 : 1;
      }
      const rows = [store, await checkBrokerReach(config.uplink), ...await backend.doctor()];
      out(formatChecks(`backend ${backend.name}: platform`, rows));
      return rows.every((r) => r.ok) ? 0 : 1;
    } finally {
      await backend.stop();
    }
  } finally {
    ledger.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

/** Whether the host could create data_dir's rest under `where`, its nearest existing part; the error names data_dir (no path of its own). */
function creatable(where: string): void {
  const code = !statSync(where).isDirectory() ? 'ENOTDIR' : (() => {
    try {
      accessSync(where, constants.W_OK | constants.X_OK);
      return undefined;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code;
    }
  })();
  if (code) throw Object.assign(new Error(`${where}: ${code}`), { code });
}

function nearestExisting(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}
