// Where the fleet bench's hosts keep their ledger, and how the bench reads it back to check it:
// one SQLite file shared by every host process (the embedded default), or PostgreSQL
// (`host.store: postgres`), each run in its own schema of the development server's database
// `test`, dropped afterwards. The bench reads PostgreSQL with `psql`, so it needs no driver.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hostConfigSchema } from '../host/config.ts';
import { LEDGER_FILE } from '../host/store.ts';
import type { LedgerAward } from './fleet-verify.ts';

export interface FleetStorage {
  /** Keys added to every host's config. */
  hostConfig: Record<string, unknown>;
  /** Every `award` entry, in the order the hosts applied them. */
  readLedger(): Promise<LedgerAward[]>;
  dispose(): Promise<void>;
}

export interface FleetStore {
  name: string;
  /** Why this store cannot be measured here, or undefined. */
  unavailable(): Promise<string | undefined>;
  /** Storage for one run, under the run's own dir. */
  prepare(dir: string, key: string): Promise<FleetStorage>;
}

const AWARDS = "SELECT terminal, txn_id FROM entries WHERE kind = 'award' ORDER BY seq";

const sqlite: FleetStore = {
  name: 'sqlite',
  unavailable: () => Promise.resolve(undefined),
  prepare: (dir) => Promise.resolve({
    hostConfig: {},
    readLedger: () => {
      const db = new Database(join(dir, 'host-data', LEDGER_FILE), { readonly: true });
      try {
        return Promise.resolve(db.prepare(AWARDS).all() as LedgerAward[]);
      } finally {
        db.close();
      }
    },
    dispose: () => Promise.resolve(),
  }),
};

/** The development machine's PostgreSQL (trust auth); TILL_BENCH_PG_URL points elsewhere. */
export const BENCH_PG_URL = process.env.TILL_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function psql(sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('psql', [BENCH_PG_URL, '-X', '-q', '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
      { maxBuffer: 1 << 28 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`psql: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      });
  });
}

const postgres: FleetStore = {
  name: 'postgres',
  async unavailable() {
    const probe = hostConfigSchema.safeParse({
      data_dir: '/nonexistent', uplink: { url: 'mqtt://127.0.0.1:1' }, store: 'postgres', postgres: { url: BENCH_PG_URL, schema: 'probe' },
    });
    if (!probe.success) return 'needs host.store: postgres (issue #10, not on this branch yet)';
    try {
      await psql('SELECT 1');
      return undefined;
    } catch (error) {
      return `PostgreSQL not reachable at ${BENCH_PG_URL}: ${(error as Error).message.split('\n')[0]}`;
    }
  },
  async prepare(_dir, key) {
    // Its own schema per run; the hosts create their tables in it.
    const schema = `fleet_bench_${key}_${randomBytes(4).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
    const quoted = `"${schema}"`;
    return {
      hostConfig: { store: 'postgres', postgres: { url: BENCH_PG_URL, schema } },
      async readLedger() {
        const text = await psql(`SET search_path TO ${quoted}; ${AWARDS}`);
        return text.split('\n').filter((line) => line !== '').map((line) => {
          const [terminal = '', txn = ''] = line.split('\t');
          return { terminal: terminal === '' ? null : terminal, txn_id: txn === '' ? null : txn };
        });
      },
      async dispose() {
        await psql(`DROP SCHEMA IF EXISTS ${quoted} CASCADE`);
      },
    };
  },
};

export const FLEET_STORES: readonly FleetStore[] = [sqlite, postgres];
