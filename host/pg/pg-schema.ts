// The host's tables on PostgreSQL: the same shape as the SQLite ledger at its schema version 6
// (host/ledger.ts, user-offers.ts, credit-store.ts), with money and seqs as BIGINT minor units,
// flags as BOOLEAN, and an identity column where SQLite ordered by rowid (a participant's first
// wallet is its primary one; a sale's locks in the order taken). Timestamps stay ISO-8601 TEXT
// as in SQLite, so lock expiry compares the same way. JSON columns are TEXT: a stored result is
// returned byte for byte on a repeat. Text is ordered COLLATE "C" in queries, as SQLite orders it
// (byte order), whatever the database's locale.
//
// `schema_version` (one row) is PostgreSQL's user_version. Migrations run at open inside one
// transaction holding an advisory lock, so hosts starting together migrate once.
import { PgError, quoteIdent, type SyncPg } from './sync-pg.ts';

export const PG_SCHEMA_VERSION = 2;

/** Advisory lock class of this program ("till" in the first key), second key per purpose. */
export const LOCK_CLASS = 0x7411;
export const LOCK_MIGRATE = 0;

const V1 = `
CREATE TABLE participants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  tier TEXT,
  automatic_spend BOOLEAN NOT NULL DEFAULT false,
  created_at TEXT NOT NULL
);
CREATE TABLE identifiers (
  kind TEXT NOT NULL CHECK (kind IN ('card', 'phone', 'email', 'token')),
  value TEXT NOT NULL,
  participant_id TEXT NOT NULL REFERENCES participants(id),
  PRIMARY KEY (kind, value)
);
CREATE TABLE wallets (
  ord BIGINT GENERATED ALWAYS AS IDENTITY,
  participant_id TEXT NOT NULL REFERENCES participants(id),
  balance BIGINT NOT NULL,
  currency TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (participant_id, currency)
);
-- The units some wallet is kept in: what walletCurrencies() reads instead of scanning wallets.
CREATE TABLE wallet_units (currency TEXT PRIMARY KEY);
CREATE TABLE entries (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  participant_id TEXT NOT NULL REFERENCES participants(id),
  terminal TEXT,
  txn_id TEXT,
  message_id TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('award', 'instant_spend', 'automatic_spend', 'spend', 'reversal', 'seed')),
  amount BIGINT NOT NULL,
  currency TEXT NOT NULL,
  offline BOOLEAN NOT NULL DEFAULT false,
  reverses BIGINT UNIQUE REFERENCES entries(seq),
  note TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX entries_txn ON entries (terminal, txn_id);
CREATE INDEX entries_participant ON entries (participant_id);
CREATE FUNCTION entries_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'ledger entries are append-only'; END $$;
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
  FOR EACH ROW EXECUTE FUNCTION entries_append_only();
CREATE TABLE offers (
  id TEXT PRIMARY KEY,
  definition TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE products (
  sku TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  type TEXT,
  brand TEXT,
  family TEXT,
  categories TEXT NOT NULL DEFAULT '[]',
  description TEXT,
  updated_at TEXT NOT NULL
);
CREATE TABLE processed (
  message_id TEXT NOT NULL,
  terminal TEXT NOT NULL,
  op TEXT NOT NULL,
  txn_id TEXT,
  result TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (terminal, message_id)
);
CREATE UNIQUE INDEX processed_txn ON processed (terminal, op, txn_id);
CREATE TABLE till_chain (
  terminal TEXT PRIMARY KEY,
  last_seq BIGINT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE seeds (
  hash TEXT PRIMARY KEY,
  file TEXT NOT NULL,
  applied_at TEXT NOT NULL
);
CREATE TABLE product_syncs (
  terminal TEXT NOT NULL,
  sync_id TEXT NOT NULL,
  batches INTEGER,
  received INTEGER NOT NULL DEFAULT 0,
  completed_at TEXT,
  deleted INTEGER,
  created_at TEXT NOT NULL,
  PRIMARY KEY (terminal, sync_id)
);
CREATE TABLE product_sync_skus (
  terminal TEXT NOT NULL,
  sync_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  PRIMARY KEY (terminal, sync_id, sku)
);
CREATE TABLE user_offers (
  id TEXT PRIMARY KEY,
  participant_id TEXT NOT NULL REFERENCES participants(id),
  name TEXT NOT NULL,
  reward TEXT NOT NULL,
  conditions TEXT NOT NULL DEFAULT '{}',
  expires_at TEXT,
  state TEXT NOT NULL DEFAULT 'issued' CHECK (state IN ('issued', 'redeemed')),
  issued_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX user_offers_participant ON user_offers (participant_id);
CREATE TABLE offer_locks (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  terminal TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  participant_id TEXT NOT NULL,
  user_offer_id TEXT REFERENCES user_offers(id),
  amount BIGINT,
  currency TEXT,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  CHECK ((user_offer_id IS NULL) <> (amount IS NULL))
);
CREATE UNIQUE INDEX offer_locks_offer ON offer_locks (user_offer_id) WHERE user_offer_id IS NOT NULL;
CREATE INDEX offer_locks_txn ON offer_locks (terminal, txn_id);
CREATE INDEX offer_locks_participant ON offer_locks (participant_id);
CREATE INDEX offer_locks_expiry ON offer_locks (expires_at);
CREATE TABLE redemptions (
  terminal TEXT NOT NULL,
  redemption_id TEXT NOT NULL,
  user_offer_id TEXT NOT NULL REFERENCES user_offers(id),
  txn_id TEXT NOT NULL,
  discount_amount BIGINT NOT NULL,
  currency TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('redeemed', 'reinstated')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (terminal, redemption_id)
);
CREATE INDEX redemptions_sale ON redemptions (terminal, txn_id);
CREATE TABLE sales (
  terminal TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  participant_id TEXT NOT NULL REFERENCES participants(id),
  currency TEXT NOT NULL,
  basket TEXT NOT NULL,
  award_amount BIGINT NOT NULL,
  reduction TEXT NOT NULL CHECK (reduction IN ('front_end', 'back_end')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (terminal, txn_id)
);
CREATE TABLE vouchers (
  code TEXT PRIMARY KEY,
  participant_id TEXT NOT NULL REFERENCES participants(id),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  terminal TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('issued', 'redeemed', 'voided')),
  redeemed_terminal TEXT,
  redeemed_txn_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX vouchers_sale ON vouchers (terminal, txn_id);
CREATE INDEX vouchers_redeemed ON vouchers (redeemed_terminal, redeemed_txn_id);
CREATE TABLE refunds (
  terminal TEXT NOT NULL,
  refund_id TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  items TEXT NOT NULL,
  returned_amount BIGINT NOT NULL,
  reversed_award_amount BIGINT NOT NULL,
  unrecovered_award_amount BIGINT NOT NULL,
  credited_spend_amount BIGINT NOT NULL,
  points TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  PRIMARY KEY (terminal, refund_id)
);
CREATE INDEX refunds_sale ON refunds (terminal, txn_id);
`;

// v2 (SQLite v6): each return records the sale's spends at that time and what had been returned
// before it (refund-math.ts); NULL in returns recorded before.
const V2 = `
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS spent_before BIGINT;
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS returned_before BIGINT;
`;

/** Step n brings version n-1 to n. */
const STEPS: string[] = [V1, V2];

export class PgSchemaTooNewError extends Error {
  readonly code = 'LEDGER_TOO_NEW';
  constructor(found: number) {
    super(`host database schema version ${found} is newer than this host understands (${PG_SCHEMA_VERSION}): upgrade the host`);
    this.name = 'PgSchemaTooNewError';
  }
}

/** The role may not create schemas (no CREATE on the database): say which key and what to do. */
function createSchema(conn: SyncPg, schema: string): void {
  try {
    conn.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } catch (error) {
    if (!(error instanceof PgError) || error.code !== '42501') throw error;
    throw new PgError(
      `postgres.schema: schema ${schema} does not exist and this role may not create it (${error.message}): ` +
      `create it beforehand (CREATE SCHEMA ${schema} AUTHORIZATION <the host's role>) or grant the role CREATE on the database`,
      error.code,
    );
  }
}

/** Creates the schema if missing and brings it to PG_SCHEMA_VERSION. Returns the version found before. */
export function migratePg(conn: SyncPg, schema: string): number {
  conn.query('BEGIN');
  try {
    // Another host may be creating the tables: wait for it, however long that takes under load.
    conn.query("SET LOCAL lock_timeout = '120s'");
    conn.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, LOCK_MIGRATE]);
    // Only when missing: CREATE SCHEMA IF NOT EXISTS checks the CREATE right on the database before
    // it looks for the schema, so a role given a schema made beforehand (no right to create one) failed.
    if (conn.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]).rowCount === 0) createSchema(conn, schema);
    conn.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const found = conn.query<{ version: number }>('SELECT version FROM schema_version').rows[0]?.version ?? 0;
    if (found > PG_SCHEMA_VERSION) throw new PgSchemaTooNewError(found);
    for (let version = found; version < PG_SCHEMA_VERSION; version++) conn.query(STEPS[version]!);
    if (found === 0) conn.query('INSERT INTO schema_version (version) VALUES ($1)', [PG_SCHEMA_VERSION]);
    else if (found !== PG_SCHEMA_VERSION) conn.query('UPDATE schema_version SET version = $1', [PG_SCHEMA_VERSION]);
    conn.query('COMMIT');
    return found;
  } catch (error) {
    if (conn.connected) {
      try { conn.query('ROLLBACK'); } catch { /* the connection is gone: so is the transaction */ }
    }
    throw error instanceof PgError || error instanceof PgSchemaTooNewError ? error : new PgError(String(error), undefined);
  }
}
