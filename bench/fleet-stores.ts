// Where the fleet bench's hosts keep their ledger, and how the bench reads it back to check it:
// one SQLite file shared by every host process (the embedded default), or PostgreSQL.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hostConfigSchema } from '../host/config.ts';
import { LEDGER_FILE } from '../host/main.ts';
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

const postgres: FleetStore = {
  name: 'postgres',
  unavailable: () => {
    const probe = hostConfigSchema.safeParse({ data_dir: '/nonexistent', uplink: { url: 'mqtt://127.0.0.1:1' }, store: 'postgres' });
    return Promise.resolve(probe.success ? 'host.store is there but this bench does not drive it yet'
      : 'needs host.store: postgres (issue #10, not on this branch yet): rows to come');
  },
  prepare: () => Promise.reject(new Error('bench: postgres fleet store not implemented')),
};

export const FLEET_STORES: readonly FleetStore[] = [sqlite, postgres];
