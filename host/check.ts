// `till-agent host --check-backend` and `till-agent host --doctor`: the configured backend's
// per-op support (✔/✖ with what was checked or why not) and its platform checks (auth, a cheap
// call, clock skew). Neither starts the MQTT consumer; both exit 0 when everything is ✔, else 1.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OpCheck, PlatformCheck } from './backend.ts';
import { createBackend } from './backends.ts';
import type { HostConfig } from './config.ts';
import { Ledger } from './ledger.ts';
import type { Logger } from './log.ts';

export const LEDGER_FILE = 'host.db';

function line(ok: boolean, name: string, detail: string, width: number): string {
  return `${ok ? '✔' : '✖'} ${name.padEnd(width)}  ${detail}\n`;
}

export function formatChecks(title: string, rows: Array<OpCheck | PlatformCheck>): string {
  const width = Math.max(...rows.map((r) => ('op' in r ? r.op : r.name).length));
  return `${title}\n${rows.map((r) => line(r.ok, 'op' in r ? r.op : r.name, r.detail, width)).join('')}`;
}

export async function runBackendCheck(config: HostConfig, log: Logger, what: 'ops' | 'doctor', out: (s: string) => void): Promise<number> {
  mkdirSync(config.data_dir, { recursive: true });
  const ledger = Ledger.open(join(config.data_dir, LEDGER_FILE));
  try {
    const backend = await createBackend(config, ledger, log);
    try {
      const rows = what === 'ops' ? await backend.checkOps() : await backend.doctor();
      out(formatChecks(what === 'ops' ? `backend ${backend.name}: operations` : `backend ${backend.name}: platform`, rows));
      return rows.every((r) => r.ok) ? 0 : 1;
    } finally {
      await backend.stop();
    }
  } finally {
    ledger.close();
  }
}
