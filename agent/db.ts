// Opens the agent's SQLite file and brings its schema up to date.
// WAL + synchronous=FULL: a commit returns only after the WAL is fsynced, which is
// what lets us acknowledge a money request once its insert has committed.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

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
];

export function openDb(file: string): Db {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
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
  return code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || code === 'ENOSPC';
}
