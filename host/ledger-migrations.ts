// Schema changes for host databases created by earlier versions. `PRAGMA user_version` is
// the schema version; Ledger.open runs migrate() in the same BEGIN IMMEDIATE as the schema,
// so two hosts opening one file at once migrate it once. A step is a snapshot of its time:
// it builds the shape of that version, later steps change it further.
import type Database from 'better-sqlite3';
import { CREDIT_TABLES } from './credit-store.ts';

export const SCHEMA_VERSION = 6;

type Step = (db: Database.Database) => void;

function primaryKey(db: Database.Database, table: string): string[] {
  const columns = db.pragma(`table_info(${table})`) as Array<{ name: string; pk: number }>;
  return columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
}

// v1: message-id dedup is per till. Version 0 keyed `processed` by message_id alone, so a till
// sending another till's message id got that till's stored result (its customer, its balance).
const perTillDedup: Step = (db) => {
  if (primaryKey(db, 'processed').join() === 'terminal,message_id') return; // created by this version
  db.exec(`
    CREATE TABLE processed_v1 (
      message_id TEXT NOT NULL,
      terminal TEXT NOT NULL,
      op TEXT NOT NULL,
      txn_id TEXT,
      result TEXT NOT NULL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (terminal, message_id)
    );
    INSERT INTO processed_v1 (message_id, terminal, op, txn_id, result, created_at)
      SELECT message_id, terminal, op, txn_id, result, created_at FROM processed ORDER BY rowid;
    DROP TABLE processed;
    ALTER TABLE processed_v1 RENAME TO processed;
    CREATE UNIQUE INDEX processed_txn ON processed (terminal, op, txn_id);
  `);
};

// v2: products keep their description, and a full catalogue sync is staged (the SKUs of its
// batches so far) until the host has all of it, then the products not in it are deleted.
const productCatalogue: Step = (db) => {
  const columns = db.pragma('table_info(products)') as Array<{ name: string }>;
  if (!columns.some((c) => c.name === 'description')) db.exec('ALTER TABLE products ADD COLUMN description TEXT');
  db.exec(`
    CREATE TABLE IF NOT EXISTS product_syncs (
      terminal TEXT NOT NULL,
      sync_id TEXT NOT NULL,
      batches INTEGER,
      received INTEGER NOT NULL DEFAULT 0,
      completed_at TEXT,
      deleted INTEGER,
      created_at TEXT NOT NULL,
      PRIMARY KEY (terminal, sync_id)
    );
    CREATE TABLE IF NOT EXISTS product_sync_skus (
      terminal TEXT NOT NULL,
      sync_id TEXT NOT NULL,
      sku TEXT NOT NULL,
      PRIMARY KEY (terminal, sync_id, sku)
    ) WITHOUT ROWID;
  `);
};

// v3: a participant may hold one wallet per unit (money and points, protocol/units.ts). Earlier versions
// keyed `wallets` by participant alone. Rows keep their order: the first is the primary wallet.
const walletPerUnit: Step = (db) => {
  if (primaryKey(db, 'wallets').join() === 'participant_id,currency') return; // created by this version
  db.exec(`
    CREATE TABLE wallets_v3 (
      participant_id TEXT NOT NULL REFERENCES participants(id),
      balance INTEGER NOT NULL,
      currency TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (participant_id, currency)
    );
    INSERT INTO wallets_v3 (participant_id, balance, currency, updated_at)
      SELECT participant_id, balance, currency, updated_at FROM wallets ORDER BY rowid;
    DROP TABLE wallets;
    ALTER TABLE wallets_v3 RENAME TO wallets;
  `);
};

// v4: sale baskets (for returns), refund vouchers and refunds (host/credit-store.ts).
const creditTables: Step = (db) => db.exec(CREDIT_TABLES);

// v5: a return takes back the points the sale earned too: per points unit, what it reversed and
// what a zero balance left unrecovered (JSON `[{currency, reversed, unrecovered}]`).
const refundPoints: Step = (db) => {
  const columns = db.pragma('table_info(refunds)') as Array<{ name: string }>;
  if (!columns.some((c) => c.name === 'points')) db.exec(`ALTER TABLE refunds ADD COLUMN points TEXT NOT NULL DEFAULT '[]'`);
};

// v6: each return records the sale's spends at that time and what had been returned before it, so
// a later return credits a spend made after an earlier return against the goods then kept
// (refund-math.ts). Returns recorded before v6 keep NULL: their sale falls back to the earlier rule.
const refundSpendSnapshot: Step = (db) => {
  const columns = db.pragma('table_info(refunds)') as Array<{ name: string }>;
  if (!columns.some((c) => c.name === 'spent_before')) db.exec('ALTER TABLE refunds ADD COLUMN spent_before INTEGER');
  if (!columns.some((c) => c.name === 'returned_before')) db.exec('ALTER TABLE refunds ADD COLUMN returned_before INTEGER');
};

const STEPS: Step[] = [perTillDedup, productCatalogue, walletPerUnit, creditTables, refundPoints, refundSpendSnapshot];

/**
 * The entries' kind check as comparisons. SQLite evaluates `kind IN (six constants)` by building a
 * temporary B-tree of the constants each time a statement runs (more than two constants: an
 * ephemeral index, opened, filled and closed per INSERT): ~40 k instructions of a drained award's
 * ~400 k on the host (2.5 entries an award; callgrind, issue 10), 1.5 µs of a 5 µs insert in
 * isolation. The same rule as comparisons costs nothing measurable.
 */
export const ENTRY_KIND_CHECK = "kind = 'award' OR kind = 'instant_spend' OR kind = 'automatic_spend' OR kind = 'spend' OR kind = 'reversal' OR kind = 'seed'";
/** The check as every version before wrote it. */
const ENTRY_KIND_CHECK_IN_LIST = "kind IN ('award', 'instant_spend', 'automatic_spend', 'spend', 'reversal', 'seed')";

/**
 * A database created with the IN list gets the comparisons (ENTRY_KIND_CHECK), at every open, with
 * no schema version of its own: the two accept exactly the same rows and an older host reads and
 * writes either, so hosts of both versions keep sharing one file. Rewriting a table's text in
 * sqlite_schema is SQLite's documented way to change a constraint without rebuilding the table
 * (https://sqlite.org/lang_altertable.html#otheralter: the stored rows are untouched, and every
 * row already satisfies the new check, which is the old one), followed by a new schema cookie so
 * that every connection, also another host's, reads the schema again. A text that does not hold the
 * IN list exactly is left alone (it works, only slower). Call inside a write transaction.
 */
function entryKindCheck(db: Database.Database): void {
  const row = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'entries'").get() as { sql: string } | undefined;
  if (!row || !row.sql.includes(`CHECK (${ENTRY_KIND_CHECK_IN_LIST})`)) return;
  const sql = row.sql.replace(`CHECK (${ENTRY_KIND_CHECK_IN_LIST})`, `CHECK (${ENTRY_KIND_CHECK})`);
  const cookie = db.pragma('schema_version', { simple: true }) as number;
  // better-sqlite3 runs SQLite in defensive mode, which refuses writes to sqlite_schema: off for these statements only.
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    try {
      db.prepare("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = 'entries' AND sql = ?").run(sql, row.sql);
      db.pragma(`schema_version = ${cookie + 1}`);
    } finally {
      db.pragma('writable_schema = OFF');
    }
  } finally {
    db.unsafeMode(false);
  }
}

export class LedgerVersionError extends Error {
  readonly code = 'LEDGER_TOO_NEW';
  constructor(found: number) {
    super(`host database schema version ${found} is newer than this host understands (${SCHEMA_VERSION}): upgrade the host`);
    this.name = 'LedgerVersionError';
  }
}

/** Brings a database to SCHEMA_VERSION. Call inside a write transaction, after the schema. */
export function migrate(db: Database.Database): void {
  const found = db.pragma('user_version', { simple: true }) as number;
  if (found > SCHEMA_VERSION) throw new LedgerVersionError(found);
  for (let version = found; version < SCHEMA_VERSION; version++) STEPS[version]?.(db);
  if (found !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  entryKindCheck(db);
}
