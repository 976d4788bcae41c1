// The host's own SQLite store. Several host processes share one file, so every write batch
// runs in BEGIN IMMEDIATE (one writer at a time, busy_timeout to queue) and dedup is checked
// inside that transaction. The ledger is append-only (enforced by triggers); a wallet balance
// changes only together with the ledger entry that explains it.
//
//   participants ─┬─ identifiers (kind, normalised value)
//                 ├─ wallets (balance, currency)
//                 └─ entries (append-only; reversal rows point at the entry they reverse)
//   offers, products, processed (message results, dedup), seeds (applied content hashes)
import Database from 'better-sqlite3';
import { AgentError } from '../protocol/errors.ts';
import type { IdentifierKind, Product } from '../protocol/local.ts';
import { MAX_BALANCE, isPointsUnit } from '../protocol/money.ts';
import type { Offer, ProductInfo } from './engine.ts';
import { CreditStore } from './credit-store.ts';
import { isoNow } from '../runtime/iso-now.ts';
import { WalCheckpointer } from '../runtime/wal-checkpointer.ts';
import { resultJson } from './result-json.ts';
import { ENTRY_KIND_CHECK, migrate } from './ledger-migrations.ts';
import { USER_OFFERS_SCHEMA, UserOffers } from './user-offers.ts';
import { cacheStatements } from '../runtime/statement-cache.ts';
import { mapPacked } from '../runtime/packed.ts';
import { WalSync, type SyncFn, type SyncNowFn } from '../runtime/wal-sync.ts';
import { MultiRowInsert } from '../runtime/multi-row-insert.ts';
import { enterWal } from '../runtime/enter-wal.ts';
import { privateDatabaseFile } from '../runtime/private-database-file.ts';

export const ENTRY_KINDS = ['award', 'instant_spend', 'automatic_spend', 'spend', 'reversal', 'seed'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];
/** Entries a void reverses: the award credit and every spend of the transaction. */
export const REVERSIBLE_KINDS: readonly EntryKind[] = ['award', 'instant_spend', 'automatic_spend', 'spend'];

export interface Participant {
  id: string;
  name: string;
  tier: string | null;
  automatic_spend: boolean;
}

export interface Wallet {
  participant_id: string;
  balance: number;
  currency: string;
}

export interface NewEntry {
  participant_id: string;
  terminal: string | null;
  txn_id: string | null;
  message_id: string | null;
  kind: EntryKind;
  amount: number;
  currency: string;
  offline?: boolean;
  note?: string | null;
  reverses?: number | null;
}

export interface Entry extends Required<NewEntry> {
  seq: number;
  created_at: string;
}

export interface Processed {
  message_id: string;
  terminal: string;
  op: string;
  txn_id: string | null;
  result: Record<string, unknown>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS participants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  tier TEXT,
  automatic_spend INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS identifiers (
  kind TEXT NOT NULL CHECK (kind IN ('card', 'phone', 'email', 'token')),
  value TEXT NOT NULL,
  participant_id TEXT NOT NULL REFERENCES participants(id),
  PRIMARY KEY (kind, value)
);
-- One wallet per participant and unit (money or points); the first created is the primary one.
CREATE TABLE IF NOT EXISTS wallets (
  participant_id TEXT NOT NULL REFERENCES participants(id),
  balance INTEGER NOT NULL,
  currency TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (participant_id, currency)
);
CREATE TABLE IF NOT EXISTS entries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  participant_id TEXT NOT NULL REFERENCES participants(id),
  terminal TEXT,
  txn_id TEXT,
  message_id TEXT,
  kind TEXT NOT NULL CHECK (${ENTRY_KIND_CHECK}),
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  offline INTEGER NOT NULL DEFAULT 0,
  reverses INTEGER UNIQUE REFERENCES entries(seq),
  note TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_txn ON entries (terminal, txn_id);
CREATE INDEX IF NOT EXISTS entries_participant ON entries (participant_id);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TABLE IF NOT EXISTS offers (
  id TEXT PRIMARY KEY,
  definition TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS products (
  sku TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  type TEXT,
  brand TEXT,
  family TEXT,
  categories TEXT NOT NULL DEFAULT '[]',
  updated_at TEXT NOT NULL
);
-- Dedup is per till: a message id is the till's own idempotency key (ledger-migrations.ts).
CREATE TABLE IF NOT EXISTS processed (
  message_id TEXT NOT NULL,
  terminal TEXT NOT NULL,
  op TEXT NOT NULL,
  txn_id TEXT,
  result TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (terminal, message_id)
);
-- NULL txn_ids (products.sync) are distinct for UNIQUE: those dedup by message id only.
CREATE UNIQUE INDEX IF NOT EXISTS processed_txn ON processed (terminal, op, txn_id);
-- Per-till ordering of pipelined requests (chain.ts): the seq of the last message processed.
CREATE TABLE IF NOT EXISTS till_chain (
  terminal TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seeds (
  hash TEXT PRIMARY KEY,
  file TEXT NOT NULL,
  applied_at TEXT NOT NULL
);
`;

const now = isoNow;

/**
 * What a transaction keeps until it ends: the wallet moves it has made and not yet written (the
 * balances they lead to are in the Catalogue's wallets meanwhile).
 */
interface TxCache {
  /**
   * Wallet moves already in the cached balances (and their entries written), not yet in `wallets`:
   * written by flushWallets, one UPDATE per wallet, before COMMIT and before every SAVEPOINT (so a
   * rollback to it can only take back moves it also drops: a failed savepoint starts a fresh cache).
   */
  moves: Map<string, { participant_id: string; currency: string; amount: number }>;
  /**
   * Entries appended and not yet inserted (bufferEntry), in append order, each its 10 parameters in turn:
   * written by flushEntries, many to a statement, before any read of `entries` and at every savepoint's
   * start and end and the commit.
   */
  entries: unknown[];
}

const freshCache = (): TxCache => ({ moves: new Map(), entries: [] });

/**
 * What a transaction reads, kept from one transaction to the next (an online award is a transaction of
 * its own, and read all of it again: ~a fifth of the host's apply work). Used inside transactions
 * only, and valid while `PRAGMA data_version` read just after BEGIN is the one it was filled under:
 * that number changes whenever another connection (another host process, the CLI) committed to the
 * file. This connection's own writes do not change it, so each of them drops what it changes (also
 * outside a transaction), and any rollback drops it all (a write taken back may have been read into it).
 */
interface Catalogue {
  offers?: readonly Offer[];
  currencies?: readonly string[];
  products: Map<string, ProductInfo | null>;
  /** Participants are only ever inserted (no UPDATE or DELETE anywhere): null = not there (yet). */
  participants: Map<string, Participant | null>;
  /**
   * Each participant's wallets with their balances as this connection last committed or read them:
   * append keeps them (its moves are in them before flushWallets writes them), createWallet and an
   * append outside a transaction drop the participant's.
   */
  wallets: Map<string, Wallet[]>;
  /** Each till's last chained seq (till_chain), as this connection last read or wrote it: null = no row. */
  chains: Map<string, number | null>;
}

const freshCatalogue = (): Catalogue => ({ products: new Map(), participants: new Map(), wallets: new Map(), chains: new Map() });
/** Products, participants and wallets kept at most (many SKUs, a large customer base): then start afresh. */
const CATALOGUE_MAX_ROWS = 20_000;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

interface EntryRow extends Omit<Entry, 'offline'> {
  offline: number;
}

/**
 * Commits between two of the store's own WAL checkpoints (afterRequest). SQLite's automatic one
 * runs inside the commit that takes the WAL past 1,000 pages: an online award writes ~14, so about
 * one request in 70 also waited for the checkpoint (copying pages, an fsync of the database file)
 * before its answer could go, which set the online round trip's p99. Checkpointing between
 * requests, 48 of them (~700 pages of single awards), keeps the WAL below that mark; the automatic
 * checkpoint stays as the net (a drain's batches of hundreds of messages still reach it, as before).
 * The checkpoint runs in a worker thread on its own connection (runtime/wal-checkpointer.ts): on the
 * event loop, between requests, it still held up the next request (~1 ms of the nodelay p99, issue 10).
 */
export const CHECKPOINT_EVERY_COMMITS = 48;

/** The SQLite store (the embedded default); `Ledger` below is the interface every handler takes. */
export class SqliteLedger {
  private savepoints = 0;
  /** Counts commits and runs afterRequest's checkpoints, in a worker where it can. */
  private readonly checkpoints: WalCheckpointer;
  /** Set inside immediate() only (see TxCache). */
  private tx: TxCache | undefined;
  /** See Catalogue: read through inside transactions only, checked against data_version at each BEGIN. */
  private catalogue: Catalogue = freshCatalogue();
  private catalogueVersion: number | undefined;
  /** Offers issued to customers, their locks and redemptions (user-offers.ts). */
  readonly userOffers: UserOffers;
  /** Sale baskets, refund vouchers and refunds, in the same database and transactions. */
  readonly credit: CreditStore;
  /** Set by deferCommitSync: commits no longer wait for the disk, durable() does. */
  private walSync: WalSync | undefined;
  /** flushEntries' statements: the entries bufferEntry held back, many rows to a statement. */
  private readonly entryInsert: MultiRowInsert;

  private constructor(private readonly db: Database.Database) {
    this.checkpoints = new WalCheckpointer(db, { every: CHECKPOINT_EVERY_COMMITS });
    this.userOffers = new UserOffers(db);
    this.credit = new CreditStore(db, () => this.flushEntries());
    this.entryInsert = new MultiRowInsert(
      db,
      'INSERT INTO entries (participant_id, terminal, txn_id, message_id, kind, amount, currency, offline, reverses, note, created_at)',
      '(?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)', 10,
    );
  }

  static open(file: string): SqliteLedger {
    privateDatabaseFile(file); // 0600 outside systemd too: it holds the customers' identifiers
    const db = new Database(file);
    db.pragma('busy_timeout = 5000');
    enterWal(db, 5_000);
    // FULL: a committed award survives power loss, the till has been told it is done.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Two processes may open a fresh file at once: serialise schema creation too.
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(SCHEMA);
      db.exec(USER_OFFERS_SCHEMA);
      migrate(db);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      db.close();
      throw error;
    }
    cacheStatements(db);
    return new SqliteLedger(db);
  }

  close(): void {
    this.checkpoints.close();
    this.walSync?.close();
    if (this.db.open) this.db.close();
  }

  /**
   * Group commit (runtime/wal-sync.ts), for the serving host only: from now on a COMMIT does not
   * wait for its fsync (synchronous = NORMAL), and whoever answers for a commit awaits durable()
   * first (host/consumer.ts does, for every answer). The fsync then runs on the thread pool while
   * the next request is applied, and requests handled during one sync share the next one (a
   * fleet's requests of a few awards each paid a whole fsync of their own). A commit nobody awaits
   * durable() for may be lost on a power cut: the seed and the CLI's own writes stay FULL (they
   * run before this, or in processes that never call it). Not in WAL mode: nothing changes.
   *
   * Per-till order (chain.ts) holds with it: a batch committed but not yet synced counts as
   * processed for the next batch of its till, here or in another host process on this file,
   * whose transaction reads it. That next batch's frames follow it in the WAL, so a power cut
   * takes the next one back whenever it takes this one (recovery keeps a prefix of the WAL,
   * see wal-sync.ts), and the next one's answer waits for an fdatasync that began after its own
   * commit: that sync covers both (it flushes the file, whoever wrote it). An answered batch
   * therefore never survives without its predecessor, and a lost pair is resent from the first
   * (the till keeps both pending until answered; dedup and the chain take it from there).
   */
  deferCommitSync(sync?: SyncFn, syncNow?: SyncNowFn): void {
    if (this.walSync || !this.db.open) return;
    const walSync = new WalSync(this.db, sync, syncNow);
    if (!walSync.enabled) return;
    this.walSync = walSync;
    this.db.pragma('synchronous = NORMAL');
  }

  /**
   * Resolves once everything committed so far is on disk: at once while commits sync themselves,
   * else after the next fdatasync of the WAL (deferCommitSync). Rejects if that sync failed, and
   * from then on always (wal-sync.ts: no later sync can be trusted to cover it).
   */
  durable(): Promise<void> {
    return this.walSync ? this.walSync.durable() : Promise.resolve();
  }

  /**
   * durable() on the caller's thread (WalSync.durableNow): true once everything committed so far is
   * on disk, false while a durable() sync is in flight (await durable() then). Throws if the sync fails.
   */
  durableNow(): boolean {
    return this.walSync ? this.walSync.durableNow() : true;
  }

  /**
   * Upkeep between requests, called once a reply is on its way: every CHECKPOINT_EVERY_COMMITS
   * commits, a passive WAL checkpoint (it never waits for another host's readers or writer), handed
   * to the checkpoint worker. Throws the worker's last failure, once (the consumer logs it).
   */
  afterRequest(): void {
    this.checkpoints.runIfDue();
  }

  /** For the host doctor: which store, where, at which schema version. */
  describe(): string {
    return `sqlite ${this.db.name} (schema version ${this.db.pragma('user_version', { simple: true }) as number})`;
  }

  /**
   * Run fn in BEGIN IMMEDIATE … COMMIT: one writer across processes, one fsync per batch.
   * `key` (a till) and `options.waitMs` (how long to wait for another host's locks, at start-up)
   * matter to PostgreSQL only (host/pg/pg-ledger.ts): SQLite has one writer and its busy_timeout.
   * fn may run more than once on PostgreSQL (a serialization conflict): it must start afresh each time.
   */
  immediate<T>(fn: () => T, _key?: string, _options: { waitMs?: number } = {}): T {
    this.control('BEGIN IMMEDIATE');
    this.tx = freshCache();
    let committed = false;
    try {
      // The offer locks' "none held" is kept from one transaction to the next as the catalogue is.
      this.userOffers.transactionCache(true, this.checkCatalogue());
      const value = fn();
      this.flushEntries();
      this.flushWallets();
      this.control('COMMIT');
      committed = true;
      this.checkpoints.committed();
      return value;
    } catch (error) {
      this.dropCatalogue();
      if (this.db.inTransaction) this.control('ROLLBACK');
      throw error;
    } finally {
      this.tx = undefined;
      this.userOffers.transactionCache(false, committed);
    }
  }

  /**
   * A transaction statement (BEGIN, COMMIT, SAVEPOINT …), prepared once (the connection's prepare is
   * memoised, statement-cache.ts): exec() parses and compiles its text on every call, ~3 k instructions
   * each, four per online request (callgrind, issue 10).
   */
  private control(sql: string): void {
    this.db.prepare(sql).run();
  }

  /** Run fn in a SAVEPOINT: if it throws, only its own changes are rolled back. */
  savepoint<T>(fn: () => T): T {
    this.flushEntries();
    this.flushWallets();
    const name = `sp${++this.savepoints}`;
    this.control(`SAVEPOINT ${name}`);
    try {
      const value = fn();
      // Its entries are written inside it: one that fails rolls back this savepoint, not a later one.
      this.flushEntries();
      this.control(`RELEASE ${name}`);
      return value;
    } catch (error) {
      this.dropCatalogue();
      if (this.tx) {
        this.tx = freshCache();
        this.userOffers.transactionCache(true);
      }
      if (this.db.inTransaction) {
        this.control(`ROLLBACK TO ${name}`);
        this.control(`RELEASE ${name}`);
      }
      throw error;
    } finally {
      this.savepoints--;
    }
  }

  /**
   * Inside a transaction, before anything is read: another connection's commit since the catalogue was
   * filled empties it. True when it was kept (nothing changed the file but this connection since).
   */
  private checkCatalogue(): boolean {
    const version = (this.db.prepare('PRAGMA data_version').get() as { data_version: number }).data_version;
    // Capped here only: mid-transaction the wallets hold moves not yet written (flushWallets).
    if (version === this.catalogueVersion && this.catalogue.wallets.size < CATALOGUE_MAX_ROWS) return true;
    this.catalogue = freshCatalogue();
    this.catalogueVersion = version;
    return false;
  }

  private dropCatalogue(): void {
    this.catalogue = freshCatalogue();
  }

  // ---- dedup -------------------------------------------------------------

  processedByMessage(terminal: string, messageId: string): Processed | undefined {
    const row = this.db.prepare('SELECT * FROM processed WHERE terminal = ? AND message_id = ?').get(terminal, messageId) as
      | (Omit<Processed, 'result'> & { result: string })
      | undefined;
    return row && { ...row, result: JSON.parse(row.result) as Record<string, unknown> };
  }

  processedByTxn(terminal: string, op: string, txnId: string): Processed | undefined {
    const row = this.db
      .prepare('SELECT * FROM processed WHERE terminal = ? AND op = ? AND txn_id = ?')
      .get(terminal, op, txnId) as (Omit<Processed, 'result'> & { result: string }) | undefined;
    return row && { ...row, result: JSON.parse(row.result) as Record<string, unknown> };
  }

  /**
   * The stored result a repeat of this message gets, in one lookup: by its message id first, else
   * by op and txn_id (the same sale sent again under another id).
   */
  processedFor(terminal: string, messageId: string, op: string, txnId: string | null): Processed | undefined {
    // Positional parameters: better-sqlite3 binds a named one by looking its name up on the object (~1 k instructions each).
    const row = this.db.prepare(
      `SELECT 0 AS pref, * FROM processed WHERE terminal = ? AND message_id = ?
       UNION ALL SELECT 1 AS pref, * FROM processed WHERE terminal = ? AND op = ? AND txn_id = ?
       ORDER BY pref LIMIT 1`,
    ).get(terminal, messageId, terminal, op, txnId) as (Omit<Processed, 'result'> & { result: string; pref?: number }) | undefined;
    if (!row) return undefined;
    delete row.pref;
    return { ...row, result: JSON.parse(row.result) as Record<string, unknown> };
  }

  /**
   * PostgreSQL reads a batch's dedup rows in one round trip (pg-ledger.ts); here each lookup is a
   * cheap indexed read in-process, so processedFor reads them as it goes.
   */
  prefetchProcessed(_terminal: string, _keys: ReadonlyArray<{ message_id: string; op: string; txn_id: string | null }>): void {}

  recordProcessed(p: Processed): void {
    this.db
      .prepare('INSERT INTO processed (message_id, terminal, op, txn_id, result, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(p.message_id, p.terminal, p.op, p.txn_id, resultJson(p.result), now());
  }

  /** Seq of the last message processed for this till's chained requests (chain.ts); inside a transaction kept in the Catalogue. */
  chainLast(terminal: string): number | null {
    const cache = this.tx ? this.catalogue.chains : undefined;
    const cached = cache?.get(terminal);
    if (cached !== undefined) return cached;
    const row = this.db.prepare('SELECT last_seq FROM till_chain WHERE terminal = ?').get(terminal) as { last_seq: number } | undefined;
    const last = row?.last_seq ?? null;
    if (cache) {
      if (cache.size >= CATALOGUE_MAX_ROWS) cache.clear();
      cache.set(terminal, last);
    }
    return last;
  }

  setChainLast(terminal: string, seq: number): void {
    this.db
      .prepare(`INSERT INTO till_chain (terminal, last_seq, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (terminal) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at`)
      .run(terminal, seq, now());
    // Outside a transaction nothing keeps the catalogue up to date: read again.
    if (this.tx) this.catalogue.chains.set(terminal, seq);
    else this.catalogue.chains.delete(terminal);
  }

  // ---- participants and wallets ------------------------------------------

  participant(id: string): Participant | undefined {
    const cache = this.tx ? this.catalogue.participants : undefined;
    const cached = cache?.get(id);
    if (cached !== undefined) return cached === null ? undefined : { ...cached };
    const row = this.db.prepare('SELECT id, name, tier, automatic_spend FROM participants WHERE id = ?').get(id) as
      | (Omit<Participant, 'automatic_spend'> & { automatic_spend: number })
      | undefined;
    const participant = row && { ...row, automatic_spend: row.automatic_spend === 1 };
    if (cache) {
      if (cache.size >= CATALOGUE_MAX_ROWS) cache.clear();
      cache.set(id, participant ? { ...participant } : null);
    }
    return participant;
  }

  /** Look up by an already normalised identifier value. */
  participantByIdentifier(kind: IdentifierKind, value: string): Participant | undefined {
    const row = this.db.prepare('SELECT participant_id FROM identifiers WHERE kind = ? AND value = ?').get(kind, value) as
      | { participant_id: string }
      | undefined;
    return row && this.participant(row.participant_id);
  }

  identifierOwner(kind: IdentifierKind, value: string): string | undefined {
    const row = this.db.prepare('SELECT participant_id FROM identifiers WHERE kind = ? AND value = ?').get(kind, value) as
      | { participant_id: string }
      | undefined;
    return row?.participant_id;
  }

  insertParticipant(p: Participant): void {
    this.catalogue.participants.delete(p.id);
    this.db
      .prepare('INSERT INTO participants (id, name, tier, automatic_spend, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(p.id, p.name, p.tier, p.automatic_spend ? 1 : 0, now());
  }

  insertIdentifier(kind: IdentifierKind, value: string, participantId: string): void {
    this.db.prepare('INSERT INTO identifiers (kind, value, participant_id) VALUES (?, ?, ?)').run(kind, value, participantId);
  }

  /** The primary wallet: the first money wallet, else the first (points) wallet. */
  wallet(participantId: string): Wallet | undefined {
    const all = this.wallets(participantId);
    return all.find((w) => !isPointsUnit(w.currency)) ?? all[0];
  }

  /** Every wallet of the participant, in the order they were created. */
  wallets(participantId: string): Wallet[] {
    const cache = this.tx ? this.catalogue.wallets : undefined;
    let all = cache?.get(participantId);
    if (!all) {
      all = this.db.prepare('SELECT participant_id, balance, currency FROM wallets WHERE participant_id = ? ORDER BY rowid')
        .all(participantId) as Wallet[];
      cache?.set(participantId, mapPacked(all, (w) => ({ ...w })));
      return all;
    }
    // Not all.map(…): packed in every tier (runtime/packed.ts).
    return mapPacked(all, (w) => ({ ...w }));
  }

  /** The transaction's cached wallet itself (not a copy, as wallets() returns), loading the participant's once. */
  private txWallet(participantId: string, unit: string): Wallet | undefined {
    if (!this.tx) return undefined;
    if (!this.catalogue.wallets.has(participantId)) this.wallets(participantId);
    return this.catalogue.wallets.get(participantId)?.find((w) => w.currency === unit);
  }

  walletIn(participantId: string, unit: string): Wallet | undefined {
    if (this.tx) return this.wallets(participantId).find((w) => w.currency === unit);
    return this.db.prepare('SELECT participant_id, balance, currency FROM wallets WHERE participant_id = ? AND currency = ?')
      .get(participantId, unit) as Wallet | undefined;
  }

  /** The currencies (not points units) some wallet is kept in. */
  walletCurrencies(): string[] {
    let currencies = this.tx ? this.catalogue.currencies : undefined;
    if (!currencies) {
      const rows = this.db.prepare('SELECT DISTINCT currency FROM wallets ORDER BY currency').all() as { currency: string }[];
      currencies = rows.map((r) => r.currency).filter((c) => !isPointsUnit(c));
      if (this.tx) this.catalogue.currencies = currencies;
    }
    return [...currencies];
  }

  /** A new wallet at zero; an opening balance is then a `seed` entry, so the ledger explains it. */
  createWallet(participantId: string, currency: string): void {
    delete this.catalogue.currencies;
    this.flushWallets(); // the participant's wallets are read again from the table
    this.catalogue.wallets.delete(participantId);
    this.db
      .prepare('INSERT INTO wallets (participant_id, balance, currency, updated_at) VALUES (?, 0, ?, ?)')
      .run(participantId, currency, now());
  }

  // ---- ledger ------------------------------------------------------------

  /**
   * Append one entry and move its wallet by the same amount, atomically. Returns the new balance.
   * A balance beyond ±MAX_BALANCE is refused (permanent BAD_REQUEST, nothing written): SQLite
   * would turn an overflowing sum into a float, and a balance past 2^53 is unreadable for good.
   */
  append(entry: NewEntry): number {
    if (!Number.isSafeInteger(entry.amount) || Math.abs(entry.amount) > MAX_BALANCE) {
      throw new AgentError('BAD_REQUEST', `amount: ${entry.amount} is beyond the wallet limit of ${MAX_BALANCE} minor units`, false);
    }
    const at = now();
    // Inside a transaction the cached balance is the wallet's (only this connection writes): the
    // limit is checked here, the entry written, and the wallet's UPDATE deferred to flushWallets,
    // one per wallet and transaction instead of one per entry (~2.5 per award; the host's costliest
    // statement in a drain). Exact while every number is a safe integer; else the SQL path below.
    const cached = this.txWallet(entry.participant_id, entry.currency);
    if (this.tx && cached && Number.isSafeInteger(cached.balance) && Number.isSafeInteger(cached.balance + entry.amount)) {
      const next = cached.balance + entry.amount;
      if (Math.abs(next) > MAX_BALANCE) throw balanceRefusal(entry, { ...cached });
      // A reversal may fail its UNIQUE (a second reversal of one entry): inserted at once, it throws here.
      if ((entry.reverses ?? null) === null) this.bufferEntry(entry, at);
      else this.insertEntry(entry, at); // throws before anything moved
      cached.balance = next;
      const key = `${entry.participant_id}\u0000${entry.currency}`;
      const move = this.tx.moves.get(key);
      if (move) move.amount += entry.amount;
      else this.tx.moves.set(key, { participant_id: entry.participant_id, currency: entry.currency, amount: entry.amount });
      return next;
    }
    this.flushWallets();
    // Outside a transaction nothing keeps this participant's wallets up to date: they are read again.
    if (!this.tx) this.catalogue.wallets.delete(entry.participant_id);
    // The wallet first: if it refuses the amount nothing is written, so no savepoint of its own is
    // needed (two statements fewer per entry). The entry insert fails only on a broken invariant
    // (a second reversal of one entry): the wallet is then put back before the error goes up.
    const move = (amount: number) => this.db
      .prepare(
        `UPDATE wallets SET balance = balance + @amount, updated_at = @at
         WHERE participant_id = @participant AND currency = @currency AND balance + @amount BETWEEN -@max AND @max
         RETURNING balance`,
      )
      .get({ amount, at, participant: entry.participant_id, currency: entry.currency, max: MAX_BALANCE }) as { balance: number } | undefined;
    const row = move(entry.amount);
    if (!row) {
      throw balanceRefusal(entry, this.walletIn(entry.participant_id, entry.currency));
    }
    try {
      this.insertEntry(entry, at);
    } catch (error) {
      move(-entry.amount);
      throw error;
    }
    if (cached) cached.balance = row.balance;
    return row.balance;
  }

  /**
   * Inside a transaction: the entry is inserted by flushEntries, with the others of the transaction (a
   * drained request's ~500: many rows to a statement; one to a statement, a drained award's 2.5 entries were
   * ~29 % of the host's instructions, callgrind, issue 10). Only for an entry that cannot fail its
   * constraints: no reversal (UNIQUE reverses), the participant's wallet read (its foreign key), a kind of ours.
   */
  private bufferEntry(entry: NewEntry, at: string): void {
    this.tx!.entries.push(
      entry.participant_id, entry.terminal, entry.txn_id, entry.message_id, entry.kind, entry.amount,
      entry.currency, entry.offline ? 1 : 0, entry.note ?? null, at,
    );
  }

  /** The entries bufferEntry holds back, into the table (in append order: their seqs are as if inserted one by one). */
  private flushEntries(): void {
    const entries = this.tx?.entries;
    if (!entries || entries.length === 0) return;
    this.entryInsert.run(entries);
    entries.length = 0;
  }

  private insertEntry(entry: NewEntry, at: string): void {
    this.flushEntries();
    this.db
      .prepare(
        `INSERT INTO entries (participant_id, terminal, txn_id, message_id, kind, amount, currency, offline, reverses, note, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        entry.participant_id, entry.terminal, entry.txn_id, entry.message_id, entry.kind, entry.amount,
        entry.currency, entry.offline ? 1 : 0, entry.reverses ?? null, entry.note ?? null, at,
      );
  }

  /** The transaction's deferred wallet moves (append) into `wallets`: one UPDATE per wallet. */
  private flushWallets(): void {
    const moves = this.tx?.moves;
    if (!moves || moves.size === 0) return;
    const at = now();
    // Positional parameters (see processedFor).
    const update = this.db.prepare('UPDATE wallets SET balance = balance + ?, updated_at = ? WHERE participant_id = ? AND currency = ?');
    for (const move of moves.values()) {
      if (move.amount === 0) continue;
      // Each move was checked against the cached balance, which is the table's plus these moves.
      if (update.run(move.amount, at, move.participant_id, move.currency).changes !== 1) throw new Error(`no ${move.currency} wallet for participant ${move.participant_id}`);
    }
    moves.clear();
  }

  /** Entries of (terminal, txn_id) that a void may still reverse, oldest first. */
  reversibleEntries(terminal: string, txnId: string): Entry[] {
    this.flushEntries();
    const kinds = REVERSIBLE_KINDS.map(() => '?').join(', ');
    const rows = this.db
      .prepare(
        `SELECT e.* FROM entries e
         WHERE e.terminal = ? AND e.txn_id = ? AND e.kind IN (${kinds})
           AND NOT EXISTS (SELECT 1 FROM entries r WHERE r.reverses = e.seq)
         ORDER BY e.seq`,
      )
      .all(terminal, txnId, ...REVERSIBLE_KINDS) as EntryRow[];
    return rows.map((r) => ({ ...r, offline: r.offline === 1 }));
  }

  entries(participantId?: string): Entry[] {
    this.flushEntries();
    const rows = (participantId === undefined
      ? this.db.prepare('SELECT * FROM entries ORDER BY seq').all()
      : this.db.prepare('SELECT * FROM entries WHERE participant_id = ? ORDER BY seq').all(participantId)) as EntryRow[];
    return rows.map((r) => ({ ...r, offline: r.offline === 1 }));
  }

  // ---- offers and products -----------------------------------------------

  /** Inside a transaction the same (frozen) definitions for every message, kept while nobody changes them (Catalogue). */
  offers(): Offer[] {
    const cached = this.tx ? this.catalogue.offers : undefined;
    if (cached) return [...cached];
    const rows = this.db.prepare('SELECT definition FROM offers ORDER BY id').all() as { definition: string }[];
    const offers = rows.map((r) => JSON.parse(r.definition) as Offer);
    if (this.tx) this.catalogue.offers = deepFreeze(offers);
    return [...offers];
  }

  upsertOffer(offer: Offer): void {
    this.db
      .prepare(
        `INSERT INTO offers (id, definition, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`,
      )
      .run(offer.id, JSON.stringify(offer), now());
    delete this.catalogue.offers;
  }

  upsertProducts(products: readonly Product[]): number {
    this.catalogue.products.clear();
    const stmt = this.db.prepare(
      `INSERT INTO products (sku, name, type, brand, family, categories, description, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (sku) DO UPDATE SET name = excluded.name, type = excluded.type, brand = excluded.brand,
         family = excluded.family, categories = excluded.categories, description = excluded.description,
         updated_at = excluded.updated_at`,
    );
    const at = now();
    for (const p of products) {
      stmt.run(p.sku, p.name, p.type ?? null, p.brand ?? null, p.family ?? null, JSON.stringify(p.categories ?? []), p.description ?? null, at);
    }
    return products.length;
  }

  /**
   * One batch of a till's full catalogue sync: its SKUs are staged until every batch up to the
   * one marked last is in (batches are applied once each: dedup by message id), then the
   * products not in the catalogue are deleted. A missing batch (a dead letter) holds the deletes
   * back until it is retried and arrives.
   */
  stageFullSync(terminal: string, sync: { id: string; batch: number; last: boolean }, skus: readonly string[]): { complete: boolean; deleted?: number } {
    this.catalogue.products.clear();
    const key = { terminal, sync: sync.id };
    const started = this.db.prepare('INSERT OR IGNORE INTO product_syncs (terminal, sync_id, created_at) VALUES (@terminal, @sync, @at)')
      .run({ ...key, at: now() }).changes === 1;
    // A till runs one full sync at a time: a new one abandons the till's unfinished ones (their
    // staged SKUs go; they can no longer complete, so they never delete anything).
    if (started) {
      this.db.prepare(`DELETE FROM product_sync_skus WHERE terminal = @terminal AND sync_id IN
        (SELECT sync_id FROM product_syncs WHERE terminal = @terminal AND sync_id != @sync AND completed_at IS NULL)`).run(key);
      this.db.prepare(`UPDATE product_syncs SET batches = -1 WHERE terminal = @terminal AND sync_id != @sync AND completed_at IS NULL`).run(key);
    }
    const insert = this.db.prepare('INSERT OR IGNORE INTO product_sync_skus (terminal, sync_id, sku) VALUES (?, ?, ?)');
    for (const sku of skus) insert.run(terminal, sync.id, sku);
    const row = this.db.prepare(
      `UPDATE product_syncs SET received = received + 1, batches = CASE WHEN @last AND (batches IS NULL OR batches >= 0) THEN @batch ELSE batches END
       WHERE terminal = @terminal AND sync_id = @sync RETURNING received, batches, completed_at, deleted`,
    ).get({ ...key, last: sync.last ? 1 : 0, batch: sync.batch }) as { received: number; batches: number | null; completed_at: string | null; deleted: number | null };
    if (row.completed_at !== null) return { complete: true, deleted: row.deleted ?? 0 };
    if (row.batches === null || row.batches < 0 || row.received < row.batches) return { complete: false };
    const deleted = this.db.prepare(
      'DELETE FROM products WHERE sku NOT IN (SELECT sku FROM product_sync_skus WHERE terminal = @terminal AND sync_id = @sync)',
    ).run(key).changes;
    this.db.prepare('UPDATE product_syncs SET completed_at = @at, deleted = @deleted WHERE terminal = @terminal AND sync_id = @sync')
      .run({ ...key, at: now(), deleted });
    this.db.prepare('DELETE FROM product_sync_skus WHERE terminal = @terminal AND sync_id = @sync').run(key);
    return { complete: true, deleted };
  }

  /** Every stored product's SKU (a platform backend's catalogue: what it synchronised and has not retired). */
  productSkus(): string[] {
    return (this.db.prepare('SELECT sku FROM products ORDER BY sku').all() as Array<{ sku: string }>).map((r) => r.sku);
  }

  /** A stored product (null fields omitted), or undefined. */
  product(sku: string): Product | undefined {
    const row = this.db.prepare('SELECT sku, name, type, brand, family, categories, description FROM products WHERE sku = ?').get(sku) as
      | (Record<string, string | null> & { sku: string; name: string; categories: string })
      | undefined;
    if (!row) return undefined;
    const out: Product = { sku: row.sku, name: row.name, categories: JSON.parse(row.categories) as string[] };
    for (const k of ['type', 'brand', 'family', 'description'] as const) if (row[k] !== null && row[k] !== undefined) out[k] = row[k];
    return out;
  }

  productCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM products').get() as { n: number }).n;
  }

  /** Categories of the given SKUs that are known; unknown SKUs are simply absent. */
  productInfo(skus: Iterable<string>): Map<string, ProductInfo> {
    const stmt = this.db.prepare('SELECT categories FROM products WHERE sku = ?');
    const out = new Map<string, ProductInfo>();
    const cache = this.tx ? this.catalogue.products : undefined;
    for (const sku of new Set(skus)) {
      let info = cache?.get(sku);
      if (info === undefined) {
        const row = stmt.get(sku) as { categories: string } | undefined;
        info = row ? { categories: JSON.parse(row.categories) as string[] } : null;
        if (cache) {
          if (cache.size >= CATALOGUE_MAX_ROWS) cache.clear();
          cache.set(sku, info);
        }
      }
      if (info) out.set(sku, { categories: [...info.categories] });
    }
    return out;
  }

  // ---- seeds -------------------------------------------------------------

  seedApplied(hash: string): boolean {
    return this.db.prepare('SELECT 1 FROM seeds WHERE hash = ?').get(hash) !== undefined;
  }

  markSeedApplied(hash: string, file: string): void {
    this.db.prepare('INSERT INTO seeds (hash, file, applied_at) VALUES (?, ?, ?)').run(hash, file, now());
  }
}

/**
 * The store interface of the ledger backend: the public API of the SQLite store, which the
 * PostgreSQL store (host/pg/pg-ledger.ts) implements too. A method added to SqliteLedger is
 * part of it at once, so the PostgreSQL store fails to compile until it has the method too.
 * `Ledger.open(file)` opens the SQLite one.
 */
export type Ledger = Omit<StoreApi<SqliteLedger>, 'userOffers' | 'credit'> & {
  readonly userOffers: StoreApi<UserOffers>;
  readonly credit: StoreApi<CreditStore>;
};
export const Ledger = SqliteLedger;

/** The public members of a store class, without its private fields (which make a class type nominal). */
export type StoreApi<T> = { [K in keyof T]: T[K] };

/** Why a wallet update matched no row: the wallet is missing (a bug), or the balance would pass ±MAX_BALANCE. */
export function balanceRefusal(entry: NewEntry, wallet: Wallet | undefined): Error {
  if (!wallet) return new Error(`no ${entry.currency} wallet for participant ${entry.participant_id}`);
  return new AgentError(
    'BAD_REQUEST',
    `this ${entry.kind} would take the balance of ${entry.participant_id} beyond the wallet limit of ±${MAX_BALANCE} minor units`,
    false,
  );
}
