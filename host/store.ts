// Where the ledger backend keeps its data (host config `store`):
//
//   sqlite    <data_dir>/host.db (host/ledger.ts): the embedded default. Several host processes
//             may share the file on one machine; BEGIN IMMEDIATE makes them take turns.
//   postgres  a shared PostgreSQL (host/pg/): host processes on several machines. Each request is
//             one SERIALIZABLE transaction, run again on a serialization conflict; a till's
//             requests take a per-till advisory lock first, so its batches apply one at a time
//             and in order whichever process got them (chain.ts), and dedup is the unique keys of
//             `processed` inside that transaction.
//
// Both implement one synchronous interface (`Ledger`, host/ledger.ts): the handlers are the
// same code on either store, and the host's behaviour tests run against both.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostConfig } from './config.ts';
import { Ledger } from './ledger.ts';
import { PgLedger } from './pg/pg-ledger.ts';
import { isConflictError } from './pg/sync-pg.ts';

export const LEDGER_FILE = 'host.db';
export const PG_PASSWORD_ENV = 'TILL_HOST_PG_PASSWORD';

/** A serialization failure or deadlock: not the message's fault, the transaction runs again (SQLite has none: BEGIN IMMEDIATE). */
export const isStoreConflict = isConflictError;

/** Opens (and creates or migrates) the configured store. */
export function openStore(config: HostConfig, env: NodeJS.ProcessEnv = process.env): Ledger {
  if (config.store === 'sqlite' || !config.postgres) return Ledger.open(join(config.data_dir, LEDGER_FILE));
  const pg = config.postgres;
  const password = pg.password_file !== undefined ? readFileSync(pg.password_file, 'utf8').trim() : env[PG_PASSWORD_ENV];
  return PgLedger.open({ url: pg.url, schema: pg.schema, ...(password ? { password } : {}) });
}
