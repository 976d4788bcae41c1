// Opens the agent's SQLite file and brings its schema up to date.
// WAL + synchronous=FULL: a commit returns only after the WAL is fsynced, which is
// what lets us acknowledge a money request once its insert has committed.
import Database from 'better-sqlite3';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { accessDenied } from '../../runtime/setup-problem.ts';
import { tightenDatabaseFile } from '../../runtime/private-database-file.ts';

export { accessDenied };

export type Db = Database.Database;

/**
 * The connection's page cache, in KiB (SQLite's own default; better-sqlite3 compiles in 16 MB).
 * The cache fills up to the file's size (quick_check at open reads every page) and stays in the
 * agent's RSS: with 16 MB, 20,000 awards queued offline held ~19 MiB more RSS, before and while
 * draining (bench/README "Idle and draining RSS"). The outbox's writes touch the tails of its
 * table and indexes, and what misses is in the OS's page cache: CPU per award unchanged.
 */
export const PAGE_CACHE_KIB = 2048;

const MIGRATIONS: string[] = [
  `CREATE TABLE outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     op TEXT NOT NULL,
     txn_id TEXT,
     fingerprint TEXT NOT NULL,
     customer_id TEXT,
     payload TEXT NOT NULL,
     offline INTEGER NOT NULL DEFAULT 0,
     amount INTEGER,
     currency TEXT,
     state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
     attempts INTEGER NOT NULL DEFAULT 0,
     result TEXT,
     error TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE UNIQUE INDEX outbox_txn ON outbox (op, txn_id) WHERE txn_id IS NOT NULL;
   CREATE INDEX outbox_pending ON outbox (seq) WHERE state = 'pending';
   CREATE INDEX outbox_dead ON outbox (seq) WHERE state = 'dead';
   CREATE INDEX outbox_customer_pending ON outbox (customer_id) WHERE state = 'pending';
   CREATE TABLE customers (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     tier TEXT,
     balance_amount INTEGER NOT NULL,
     currency TEXT NOT NULL,
     as_of TEXT NOT NULL,
     seen_at TEXT NOT NULL
   );
   CREATE TABLE customer_keys (
     key_hash TEXT PRIMARY KEY,
     customer_id TEXT NOT NULL,
     seen_at TEXT NOT NULL
   );
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // receipt.print job ids (agent/receipts/print-jobs.ts): a job id prints once, across restarts.
  `CREATE TABLE print_jobs (
     job_id TEXT PRIMARY KEY,
     printer TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('queued', 'printing', 'printed', 'sent', 'uncertain', 'failed')),
     reason TEXT,
     copies INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX print_jobs_updated ON print_jobs (updated_at);`,
  // settled_at: when the host's answer was recorded, in the till's trusted time (agent/till-clock.ts),
  // which pruning goes by; updated_at stays the wall clock, for people. The txn_id index serves
  // void (every row of a sale) and pruning (a sale's rows go together).
  `ALTER TABLE outbox ADD COLUMN settled_at TEXT;
   UPDATE outbox SET settled_at = updated_at WHERE state <> 'pending';
   CREATE INDEX outbox_txn_any ON outbox (txn_id) WHERE txn_id IS NOT NULL;`,
  // A sale's named spends and refunds (payload.sale_txn_id) and its redemptions (payload.txn_id):
  // every award, spend and void reads them, and a scan of the whole outbox made each request slower
  // as the backlog grew (offline enqueue of 20,000 awards: 143/s with the scan, 616/s without, same
  // loaded machine). Partial: only rows that have the key.
  `CREATE INDEX outbox_sale ON outbox (json_extract(payload, '$.sale_txn_id'), op)
     WHERE json_extract(payload, '$.sale_txn_id') IS NOT NULL;
   CREATE INDEX outbox_redeem ON outbox (json_extract(payload, '$.txn_id')) WHERE op = 'redeem';`,
  // Fewer index pages written per appended row (issue 10, offline enqueue): one unique index on
  // (txn_id, op) serves both the (op, txn_id) lookup before each insert and a sale's rows by txn_id,
  // which outbox_txn and outbox_txn_any did as two; the pending-customer index only ever served the
  // pending spends of a customer (Outbox.pendingSpend), so awards and voids no longer enter it.
  `DROP INDEX outbox_txn;
   DROP INDEX outbox_txn_any;
   CREATE UNIQUE INDEX outbox_txn_op ON outbox (txn_id, op) WHERE txn_id IS NOT NULL;
   DROP INDEX outbox_customer_pending;
   CREATE INDEX outbox_spend_pending ON outbox (customer_id, currency) WHERE state = 'pending' AND op = 'spend';`,
  // A sale's named spends, refunds and vouchers by a real column (issue 10, offline enqueue): outbox_sale indexed
  // json_extract(payload, '$.sale_txn_id'), and its partial WHERE parsed the payload of every inserted row, an award
  // (which has no sale_txn_id) too. The append fills the column from the payload it writes (null without the key), so
  // rows without it skip the index on a NULL test. Existing rows get it from their payload here.
  `ALTER TABLE outbox ADD COLUMN sale_txn_id TEXT;
   UPDATE outbox SET sale_txn_id = json_extract(payload, '$.sale_txn_id') WHERE json_extract(payload, '$.sale_txn_id') IS NOT NULL;
   DROP INDEX outbox_sale;
   CREATE INDEX outbox_sale ON outbox (sale_txn_id, op) WHERE sale_txn_id IS NOT NULL;`,
  // The state's CHECK as comparisons (issue 10, offline enqueue): SQLite evaluates `state IN (three constants)` through a
  // temporary b-tree of the three values built, filled and dropped on every insert and every update of a row's state
  // (~15 k of an offline award's ~300 k instructions). SQLite cannot change a CHECK in place: the table is rebuilt as
  // its documented ALTER TABLE procedure does (same columns in the same order, every row with its seq), the
  // AUTOINCREMENT mark carried over (a seq is never given twice, even after the last rows were pruned), the indexes
  // made again as they were.
  `CREATE TABLE outbox_new (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     op TEXT NOT NULL,
     txn_id TEXT,
     fingerprint TEXT NOT NULL,
     customer_id TEXT,
     payload TEXT NOT NULL,
     offline INTEGER NOT NULL DEFAULT 0,
     amount INTEGER,
     currency TEXT,
     state TEXT NOT NULL CHECK (state = 'pending' OR state = 'done' OR state = 'dead'),
     attempts INTEGER NOT NULL DEFAULT 0,
     result TEXT,
     error TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     settled_at TEXT,
     sale_txn_id TEXT
   );
   INSERT INTO outbox_new SELECT * FROM outbox ORDER BY seq;
   DELETE FROM sqlite_sequence WHERE name = 'outbox_new';
   INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_new', seq FROM sqlite_sequence WHERE name = 'outbox';
   DROP TABLE outbox;
   ALTER TABLE outbox_new RENAME TO outbox;
   CREATE UNIQUE INDEX outbox_txn_op ON outbox (txn_id, op) WHERE txn_id IS NOT NULL;
   CREATE INDEX outbox_pending ON outbox (seq) WHERE state = 'pending';
   CREATE INDEX outbox_dead ON outbox (seq) WHERE state = 'dead';
   CREATE INDEX outbox_spend_pending ON outbox (customer_id, currency) WHERE state = 'pending' AND op = 'spend';
   CREATE INDEX outbox_redeem ON outbox (json_extract(payload, '$.txn_id')) WHERE op = 'redeem';
   CREATE INDEX outbox_sale ON outbox (sale_txn_id, op) WHERE sale_txn_id IS NOT NULL;`,
];

/** The schema's migrations in order; user_version is how many have run (exported for the migration tests). */
export const SCHEMA_MIGRATIONS: readonly string[] = MIGRATIONS;

export interface OpenedDb {
  db: Db;
  /** Opened in exclusive locking mode because the disk was full (see openDatabase). */
  exclusive: boolean;
}

export function openDb(file: string): Db {
  return openDatabase(file).db;
}

/**
 * The database file cannot be used as it is: empty, not a database, or damaged. The agent
 * refuses to start rather than serve from (or re-create over) a file that may hold unsent sales.
 */
export class DatabaseUnusable extends Error {
  readonly code = 'DATABASE_UNUSABLE';
  override readonly name = 'DatabaseUnusable';
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
  }
}

/**
 * Opens (or creates) the database. On a full disk a WAL database whose shared-memory index
 * (-shm) is gone — removed by the last clean close — cannot be opened normally: SQLite must
 * grow that file. Opened in exclusive locking mode before its first access, SQLite keeps the
 * index in memory instead, so the agent still starts and serves; other processes (doctor,
 * outbox export) cannot read the file until the agent restarts.
 *
 * A new database is built under a temporary name and linked into place, so a file at `file`
 * always holds at least the schema: an existing empty or damaged file is refused
 * (DatabaseUnusable), never re-created. Files are created 0600 (SQLite gives -wal and -shm
 * the database's mode), whatever the umask.
 */
export function openDatabase(file: string): OpenedDb {
  mkdirSync(dirname(file), { recursive: true });
  const denied = accessDenied(file);
  // Before SQLite's "unable to open database file", which says neither which file nor why.
  if (denied) throw Object.assign(new Error(`${denied.path}: not readable and writable by this user`), { code: 'EACCES', path: denied.path });
  if (!existsSync(file)) createDatabase(file);
  checkFile(file);
  tightenDatabaseFile(file); // made 0644 by an older version outside systemd
  let opened: OpenedDb;
  try {
    opened = { db: configure(new Database(file, { fileMustExist: true }), false), exclusive: false };
  } catch (error) {
    if (!isDiskFull(error)) throw unusable(file, error);
    try {
      opened = { db: configure(new Database(file, { fileMustExist: true }), true), exclusive: true };
    } catch (again) {
      throw isDiskFull(again) ? again : unusable(file, again);
    }
  }
  quickCheck(file, opened.db);
  return opened;
}

/** Schema into a private temporary file, then link() into place: link never replaces a file. */
function createDatabase(file: string): void {
  const wal = `${file}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) {
    throw new DatabaseUnusable(file, `the database file is missing but its write-ahead log ${basename(wal)} is there (it may hold sales)`);
  }
  const tmp = join(dirname(file), `.${basename(file)}.new-${process.pid}`);
  rmSync(tmp, { force: true });
  closeSync(openSync(tmp, 'wx', 0o600));
  try {
    configure(new Database(tmp, { fileMustExist: true }), false).close();
    try {
      linkSync(tmp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // another process won: use its file
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir); // the new name survives a power cut
  } finally {
    closeSync(dir);
  }
}

function checkFile(file: string): void {
  const size = statSync(file).size;
  if (size === 0) throw new DatabaseUnusable(file, 'the database file is empty (0 bytes): it was truncated, not created by the agent');
}

function quickCheck(file: string, db: Db): void {
  let result: string;
  try {
    result = (db.pragma('quick_check') as Array<{ quick_check: string }>).map((r) => r.quick_check).join('; ');
  } catch (error) {
    db.close();
    throw unusable(file, error);
  }
  if (result !== 'ok') {
    db.close();
    throw new DatabaseUnusable(file, `the database is damaged (quick_check: ${oneLine(result).slice(0, 200)})`);
  }
}

function unusable(file: string, error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^SQLITE_(CORRUPT|NOTADB)/.test(code)) return error;
  return new DatabaseUnusable(file, code.startsWith('SQLITE_NOTADB')
    ? 'the file is not a SQLite database (its header is damaged)'
    : `the database is damaged (${oneLine((error as Error).message)})`);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

function configure(db: Db, exclusive: boolean): Db {
  try {
    if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || code === 'SQLITE_IOERR_SHMSIZE' || code === 'ENOSPC';
}

interface SynchronousPragmas {
  get: Database.Statement;
  set(level: number): Database.Statement;
}

/**
 * PRAGMA synchronous, read and set, each prepared once per connection: db.pragma() compiles its
 * statement on every call, and an online award goes through withoutFsync three times (issue 10).
 */
const synchronousPragmas = (() => {
  const byDb = new WeakMap<Db, SynchronousPragmas>();
  return (db: Db): SynchronousPragmas => {
    let pragmas = byDb.get(db);
    if (!pragmas) {
      const setters = new Map<number, Database.Statement>();
      pragmas = {
        get: db.prepare('PRAGMA synchronous').pluck(),
        set: (level) => {
          let stmt = setters.get(level);
          if (!stmt) setters.set(level, (stmt = db.prepare(`PRAGMA synchronous = ${Math.trunc(level)}`)));
          return stmt;
        },
      };
      byDb.set(db, pragmas);
    }
    return pragmas;
  };
})();

/**
 * Commits fn's transaction without an fsync of its own (synchronous = NORMAL for it, FULL again
 * after). In WAL mode the order holds: the commit reaches the disk with the next FULL commit (the
 * next append) or checkpoint; a power cut may lose it but never tears it. Only for writes a crash
 * may lose (attempt counts, the host's ok answers, cached balances): the online path then costs the
 * till one fsync (the append) instead of three or four.
 */
export function withoutFsync<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) return fn();
  const pragmas = synchronousPragmas(db);
  const level = pragmas.get.get() as number; // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
  if (level <= 1) return fn();
  pragmas.set(1).run();
  try {
    return fn();
  } finally {
    pragmas.set(level).run();
  }
}
