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
import { explainPgError } from './pg/pg-errors.ts';
import { isConflictError, isUnreachableError } from './pg/sync-pg.ts';
import type { Logger } from '../runtime/log.ts';
import { databaseAccessProblem } from '../runtime/setup-problem.ts';
import { HOST_USER } from './tls-files.ts';

export const LEDGER_FILE = 'host.db';
export const PG_PASSWORD_ENV = 'TILL_HOST_PG_PASSWORD';

/** A serialization failure or deadlock: not the message's fault, the transaction runs again (SQLite has none: BEGIN IMMEDIATE). */
export const isStoreConflict = isConflictError;

/** The store's server cannot be reached (PostgreSQL down or the link to it lost): not the request's fault. */
export const isStoreUnreachable = isUnreachableError;

/** Opens (and creates or migrates) the configured store. */
export function openStore(config: HostConfig, env: NodeJS.ProcessEnv = process.env): Ledger {
  if (config.store === 'sqlite' || !config.postgres) {
    const file = join(config.data_dir, LEDGER_FILE);
    // SQLite opens a file it may not write read-only, without a word: the host would start "ready" and fail every request.
    const denied = databaseAccessProblem(file, HOST_USER);
    if (denied) throw denied;
    return Ledger.open(file);
  }
  const pg = config.postgres;
  const password = pg.password_file !== undefined ? readPasswordFile(pg.password_file) : env[PG_PASSWORD_ENV];
  try {
    return PgLedger.open({ url: pg.url, schema: pg.schema, ...(password ? { password } : {}) });
  } catch (error) {
    throw explainPgError(error, pg.schema);
  }
}

/** The file's first line (host/README), as the platform secrets are read: a trailing newline or note is not part of it. */
function readPasswordFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n')[0]!.trim();
  } catch (error) {
    throw new Error(`postgres.password_file: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Waits between attempts to reach PostgreSQL at start: doubling from the first to the last. */
export const STORE_WAIT_MS = { first: 1000, max: 15_000 } as const;

/**
 * openStore, waiting for a PostgreSQL that cannot be reached yet (down at boot, restarting, failing
 * over): each failed attempt is logged and reported to `waiting`, then tried again, until `abort`
 * (a stop signal). Exiting instead made systemd give up on the host after five quick restarts
 * (StartLimitBurst) while the server came back. Errors waiting cannot mend (wrong password,
 * database, role or rights, a newer schema, an unreadable password_file) are thrown at once.
 */
export async function openStoreWaiting(
  config: HostConfig, log: Logger, waiting: (reason: string) => void, abort?: AbortSignal, env: NodeJS.ProcessEnv = process.env,
): Promise<Ledger> {
  for (let delay: number = STORE_WAIT_MS.first; ; delay = Math.min(STORE_WAIT_MS.max, delay * 2)) {
    abort?.throwIfAborted();
    try {
      return openStore(config, env);
    } catch (error) {
      if (!isUnreachableError(error)) throw error;
      const reason = (error as Error).message;
      log.warn({ err: { message: reason, code: (error as { code?: string }).code }, retry_in_ms: delay }, 'waiting for PostgreSQL (postgres.url)');
      waiting(reason);
      await abortableSleep(delay, abort);
    }
  }
}

function abortableSleep(ms: number, abort: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (abort?.aborted) return reject(abort.reason);
    const timer = setTimeout(() => { abort?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(abort!.reason); };
    abort?.addEventListener('abort', onAbort, { once: true });
  });
}
