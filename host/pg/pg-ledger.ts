// The ledger on a shared PostgreSQL (host config `store: postgres`): the same methods and the
// same behaviour as the SQLite store (host/ledger.ts), for host processes on several machines.
//
//   immediate(fn, till)  pg_advisory_lock(till)           one batch of a till at a time, in
//                        BEGIN ISOLATION LEVEL SERIALIZABLE  the order the locks are granted;
//                        fn() … COMMIT                       other tills run in parallel
//                        40001 / 40P01 → ROLLBACK, fn() again (up to MAX_ATTEMPTS; from
//                        the 4th attempt alone in the fleet: LOCK_CLASS_SERIAL)
//                        pg_advisory_unlock(till)
//
// The session lock is taken before BEGIN, so the transaction's snapshot already sees what the
// previous holder committed (chain.ts reads the till's last seq from it). SERIALIZABLE gives
// what SQLite's single writer gave: every request's reads and writes as if alone, also for two
// tills spending one customer's wallet at once; dedup is the unique keys of `processed`.
import { AgentError } from '../../protocol/errors.ts';
import { resultJson } from '../result-json.ts';
import type { IdentifierKind, Product } from '../../protocol/local.ts';
import { MAX_BALANCE, isPointsUnit } from '../../protocol/money.ts';
import type { Offer, ProductInfo } from '../engine.ts';
import { REVERSIBLE_KINDS, balanceRefusal, type Entry, type Ledger, type NewEntry, type Participant, type Processed, type Wallet } from '../ledger.ts';
import { PgCreditStore } from './pg-credit.ts';
import { LOCK_CLASS, PG_SCHEMA_VERSION, migratePg } from './pg-schema.ts';
import { PgUserOffers } from './pg-user-offers.ts';
import { sleepSync } from '../../runtime/sleep-sync.ts';
import { PgError, SyncPg, isConflictError, isUnreachableError, type PgConnectionOptions, type Sql } from './sync-pg.ts';

/** Advisory lock class of a till's batches (the second key is hashtext(schema/terminal): lockKey). */
const LOCK_CLASS_TILL = LOCK_CLASS + 1;
/**
 * Advisory lock class that every transaction holds shared and a batch that keeps meeting
 * serialization conflicts takes exclusive (after SERIAL_AFTER attempts): it then waits for the
 * transactions in flight, runs alone across the fleet and cannot conflict again. Without it, hosts
 * hammering one customer's wallet from several tills could use up every attempt.
 */
const LOCK_CLASS_SERIAL = LOCK_CLASS + 2;
const SERIAL_AFTER = 3;
const MAX_ATTEMPTS = 12;
/** A request waits this long for a till's lock or a row (SQLite's busy_timeout); start-up work may wait longer. */
const LOCK_TIMEOUT_MS = 5000;
/** A transaction left idle this long is abandoned by its host: the server ends it (see connect). */
export const IDLE_IN_TRANSACTION_MS = 15_000;

const now = () => new Date().toISOString();

type ProcessedRow = Omit<Processed, 'result'> & { result: string };

/** The till's processed rows a batch may ask about: prefetched in one query, plus what it wrote since. */
interface ProcessedCache {
  terminal: string;
  byMessage: Map<string, Processed>;
  byTxn: Map<string, Processed>;
  /** Keys the prefetch looked for (`m:<id>`, `t:<op> <txn>`): absent from the maps means not processed. */
  asked: Set<string>;
}

type PendingProcessed = Omit<Processed, 'result'> & { json: string; created_at: string };

const txnKey = (op: string, txnId: string) => `t:${op} ${txnId}`;

interface PgTxCache {
  processed?: ProcessedCache;
  /** processed rows recorded but not yet sent: one INSERT at the next savepoint end or COMMIT (flushProcessed). */
  pending: PendingProcessed[];
  offers?: Offer[];
  units?: string[];
  products: Map<string, ProductInfo | null>;
  participants: Map<string, Participant | null>;
  wallets: Map<string, Wallet[]>;
}

const freshCache = (): PgTxCache => ({ pending: [], products: new Map(), participants: new Map(), wallets: new Map() });

export class PgLedger implements Ledger {
  readonly userOffers: PgUserOffers;
  readonly credit: PgCreditStore;
  private readonly sql: Sql;
  private savepoints = 0;
  private inTransaction = false;
  /**
   * Read once per transaction (a batch has up to hundreds of awards, each a round trip per read):
   * the offers, the wallet units, products, customers and their wallets. Only kept inside a
   * transaction (SERIALIZABLE: what it read stays what it sees, but for its own writes, which
   * update or drop what they change); cleared at every BEGIN and end, and when a savepoint rolls back.
   */
  private cached: PgTxCache = freshCache();
  /** Why the last connection attempt failed (the server unreachable), until one succeeds. */
  private unreachable: string | undefined;
  private reachabilityListener: ((problem: string | undefined) => void) | undefined;

  private constructor(private readonly conn: SyncPg, private readonly options: PgConnectionOptions) {
    this.sql = {
      all: (text, params) => conn.query(text, params).rows as never[],
      get: (text, params) => conn.query(text, params).rows[0] as never,
      run: (text, params) => conn.query(text, params).rowCount,
    };
    this.userOffers = new PgUserOffers(this.sql);
    this.credit = new PgCreditStore(this.sql);
  }

  static open(options: PgConnectionOptions): PgLedger {
    const conn = new SyncPg(options);
    const ledger = new PgLedger(conn, options);
    ledger.connect();
    try {
      migratePg(conn, options.schema);
    } catch (error) {
      conn.close();
      throw error;
    }
    return ledger;
  }

  private connect(): void {
    if (this.conn.connected) return;
    this.conn.connect();
    // As SQLite's busy_timeout: a till lock or row lock held longer fails the batch (retried by the till).
    this.conn.query(`SET lock_timeout = ${LOCK_TIMEOUT_MS}`);
    // A sequential scan takes a relation-wide SERIALIZABLE read lock, so on small tables every
    // two concurrent requests would conflict; index scans lock only what they read (PostgreSQL
    // manual, "Serializable Isolation Level").
    this.conn.query('SET enable_seqscan = off');
    // That makes a plan with no index to use (offers ORDER BY id COLLATE "C": the index is in the
    // database's collation) cost over 10^10, far above jit_above_cost: PostgreSQL then JIT-compiled
    // it on every request, ~10-40 ms of the server's CPU for a 7-row table. These statements are
    // all short; none gains from JIT.
    this.conn.query('SET jit = off');
    // A host that goes silent mid-request (its machine lost, the network cut, the process frozen)
    // leaves its session holding the till's lock and the rows it wrote, and every request of that
    // till on the other hosts fails on lock_timeout: until the server's TCP keepalive notices, two
    // hours by default. A request's statements follow each other with no wait (the handlers are
    // synchronous), so a transaction idle this long is abandoned: the server ends the session and
    // frees what it held. Keepalives a minute apart do the same for a session lost between requests.
    this.conn.query(`SET idle_in_transaction_session_timeout = ${IDLE_IN_TRANSACTION_MS}; SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3`);
  }

  close(): void {
    this.conn.close();
  }

  /**
   * Told when a request finds the server unreachable (the error) and when one reaches it again
   * (undefined): the host's status says so, as requests are answered "retry" meanwhile.
   */
  onReachability(listener: (problem: string | undefined) => void): void {
    this.reachabilityListener = listener;
  }

  /** connect() for a request, reporting a change of reachability. */
  private connectReporting(): void {
    try {
      this.connect();
    } catch (error) {
      if (isUnreachableError(error) && this.unreachable === undefined) {
        this.unreachable = (error as Error).message;
        this.reachabilityListener?.(this.unreachable);
      }
      throw error;
    }
    if (this.unreachable !== undefined) {
      this.unreachable = undefined;
      this.reachabilityListener?.(undefined);
    }
  }

  /** Nothing to do between requests: PostgreSQL checkpoints on its own, off the sessions' commits. */
  afterRequest(): void {}

  /** Not here: PostgreSQL's COMMIT returns after its WAL flush, and the server already groups those of concurrent sessions. */
  deferCommitSync(): void {}

  /** Every commit is on disk when COMMIT returns (synchronous_commit on). */
  durable(): Promise<void> {
    return Promise.resolve();
  }

  /** Likewise: nothing to wait for. */
  durableNow(): boolean {
    return true;
  }

  describe(): string {
    const where = new URL(this.options.url);
    where.password = '';
    const version = this.sql.get<{ version: number }>('SELECT version FROM schema_version')?.version ?? PG_SCHEMA_VERSION;
    return `postgres ${where.host}${where.pathname} schema ${this.options.schema} (schema version ${version})`;
  }

  immediate<T>(fn: () => T, key?: string, options: { waitMs?: number } = {}): T {
    for (let attempt = 1; ; attempt++) {
      this.connectReporting();
      let locked = false;
      let serial: 'shared' | 'exclusive' | null = null;
      let started = false;
      try {
        if (options.waitMs !== undefined) this.conn.query(`SET lock_timeout = ${Math.trunc(options.waitMs)}`);
        if (key !== undefined) {
          this.conn.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS_TILL, this.lockKey(key)]);
          locked = true;
        }
        // Taken before BEGIN like the till's lock, so the snapshot comes after the wait.
        const mode = attempt > SERIAL_AFTER ? 'exclusive' : 'shared';
        this.conn.query(mode === 'exclusive' ? 'SELECT pg_advisory_lock($1, hashtext($2))' : 'SELECT pg_advisory_lock_shared($1, hashtext($2))', [LOCK_CLASS_SERIAL, this.options.schema]);
        serial = mode;
        this.conn.conflicted = false;
        this.conn.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
        this.inTransaction = true;
        this.cached = freshCache();
        this.userOffers.transactionCache(true);
        started = true;
        const value = fn();
        this.flushProcessed();
        // A conflict inside a savepoint the handler code caught still dooms the transaction.
        if (this.conn.conflicted) throw new PgError('serialization conflict in the batch', '40001');
        this.conn.query('COMMIT');
        this.inTransaction = false;
        return value;
      } catch (error) {
        if (this.inTransaction) {
          this.inTransaction = false;
          try { this.conn.query('ROLLBACK'); } catch { /* connection lost: the server rolled back */ }
        }
        // A connection lost while idle (server restart, failover) shows at the lock or BEGIN:
        // nothing ran yet, so the batch goes on a new connection.
        const idleLoss = !started && !this.conn.connected && attempt === 1;
        if (!(idleLoss || isConflictError(error) || this.conn.conflicted) || attempt >= MAX_ATTEMPTS) throw error;
        sleepSync(Math.min(100, 2 ** attempt) * Math.random());
      } finally {
        this.cached = freshCache();
        this.userOffers.transactionCache(false);
        if (options.waitMs !== undefined && this.conn.connected) {
          try { this.conn.query(`SET lock_timeout = ${LOCK_TIMEOUT_MS}`); } catch { /* a new connection gets it anyway */ }
        }
        if (serial !== null) {
          const unlock = serial === 'exclusive' ? 'SELECT pg_advisory_unlock($1, hashtext($2))' : 'SELECT pg_advisory_unlock_shared($1, hashtext($2))';
          try { this.conn.query(unlock, [LOCK_CLASS_SERIAL, this.options.schema]); } catch { /* gone with the session */ }
        }
        if (locked && key !== undefined) {
          try { this.conn.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS_TILL, this.lockKey(key)]); } catch { /* gone with the session */ }
        }
      }
    }
  }

  /**
   * A till's lock key: advisory locks belong to the database, not to a schema, so the schema is part
   * of it. Fleets (or a staging and a production) in other schemas of one database then never wait
   * on each other's tills, nor on each other's fleet-wide serial lock (keyed by the schema too).
   */
  private lockKey(till: string): string {
    return `${this.options.schema}/${till}`;
  }

  savepoint<T>(fn: () => T): T {
    // What was recorded before the savepoint must not go with it if it rolls back.
    this.flushProcessed();
    const name = `sp${++this.savepoints}`;
    this.conn.query(`SAVEPOINT ${name}`);
    try {
      const value = fn();
      // Inside it: a failing insert is this savepoint's failure.
      this.flushProcessed();
      this.conn.query(`RELEASE SAVEPOINT ${name}`);
      return value;
    } catch (error) {
      this.cached = freshCache();
      if (this.inTransaction) this.userOffers.transactionCache(true);
      if (this.inTransaction && this.conn.connected) {
        this.conn.query(`ROLLBACK TO SAVEPOINT ${name}`);
        this.conn.query(`RELEASE SAVEPOINT ${name}`);
      }
      throw error;
    } finally {
      this.savepoints--;
    }
  }

  // ---- dedup -------------------------------------------------------------

  processedByMessage(terminal: string, messageId: string): Processed | undefined {
    this.flushProcessed();
    const row = this.sql.get<ProcessedRow>('SELECT * FROM processed WHERE terminal = $1 AND message_id = $2', [terminal, messageId]);
    return row && { ...row, result: JSON.parse(row.result) as Record<string, unknown> };
  }

  processedByTxn(terminal: string, op: string, txnId: string): Processed | undefined {
    // A key the batch's prefetch looked for (an award's sale's void: handlers.ts) is answered from it.
    const cache = this.cached.processed;
    if (cache?.terminal === terminal && cache.asked.has(txnKey(op, txnId))) {
      const hit = cache.byTxn.get(txnKey(op, txnId));
      return hit && structuredClone(hit);
    }
    this.flushProcessed();
    const row = this.sql.get<ProcessedRow>('SELECT * FROM processed WHERE terminal = $1 AND op = $2 AND txn_id = $3', [terminal, op, txnId]);
    return row && { ...row, result: JSON.parse(row.result) as Record<string, unknown> };
  }

  /**
   * A batch's dedup in one round trip: the till's processed rows for any of these messages (by
   * message id or op + txn_id), kept for the transaction; processedFor then answers from memory.
   * Only this transaction writes the till's rows: its advisory lock (immediate) keeps other hosts out.
   */
  prefetchProcessed(terminal: string, keys: ReadonlyArray<{ message_id: string; op: string; txn_id: string | null }>): void {
    if (!this.inTransaction || keys.length === 0) return;
    this.flushProcessed();
    // An award's sale may have been voided (handlers.ts refuses it): its void is looked for in the same round trip.
    const withTxn = keys.filter((k) => k.txn_id !== null);
    for (const k of keys) if (k.op === 'award' && k.txn_id !== null) withTxn.push({ message_id: k.message_id, op: 'void', txn_id: k.txn_id });
    const rows = this.sql.all<ProcessedRow>(
      `SELECT * FROM processed WHERE terminal = $1 AND message_id = ANY($2::text[])
       UNION ALL
       SELECT p.* FROM unnest($3::text[], $4::text[]) AS k(op, txn_id)
         JOIN processed p ON p.terminal = $1 AND p.op = k.op AND p.txn_id = k.txn_id`,
      [terminal, keys.map((k) => k.message_id), withTxn.map((k) => k.op), withTxn.map((k) => k.txn_id)],
    );
    const cache: ProcessedCache = { terminal, byMessage: new Map(), byTxn: new Map(), asked: new Set() };
    for (const k of keys) cache.asked.add(`m:${k.message_id}`);
    for (const k of withTxn) cache.asked.add(txnKey(k.op, k.txn_id!));
    for (const row of rows) this.remember(cache, { ...row, result: JSON.parse(row.result) as Record<string, unknown> });
    this.cached.processed = cache;
  }

  private remember(cache: ProcessedCache, p: Processed): void {
    cache.byMessage.set(p.message_id, p);
    if (p.txn_id !== null) cache.byTxn.set(txnKey(p.op, p.txn_id), p);
  }

  /** As SqliteLedger.processedFor: by message id first, else by op and txn_id, in one round trip (none after a prefetch). */
  processedFor(terminal: string, messageId: string, op: string, txnId: string | null): Processed | undefined {
    const cache = this.cached.processed;
    if (cache?.terminal === terminal) {
      const hit = cache.byMessage.get(messageId) ?? (txnId !== null ? cache.byTxn.get(txnKey(op, txnId)) : undefined);
      if (hit) return structuredClone(hit);
      if (cache.asked.has(`m:${messageId}`) && (txnId === null || cache.asked.has(txnKey(op, txnId)))) return undefined;
    }
    this.flushProcessed();
    const row = this.sql.get<ProcessedRow & { pref?: number }>(
      `SELECT 0 AS pref, * FROM processed WHERE terminal = $1 AND message_id = $2
       UNION ALL SELECT 1 AS pref, * FROM processed WHERE terminal = $1 AND op = $3 AND txn_id = $4
       ORDER BY pref LIMIT 1`,
      [terminal, messageId, op, txnId],
    );
    if (!row) return undefined;
    delete row.pref;
    return { ...row, result: JSON.parse(row.result) as Record<string, unknown> };
  }

  /** Inside a transaction the row waits (pending) for the next savepoint end or COMMIT: one INSERT for many messages. */
  recordProcessed(p: Processed): void {
    const json = resultJson(p.result);
    const row = { ...p, json, created_at: now() };
    if (!this.inTransaction) {
      this.insertProcessed([row]);
      return;
    }
    this.cached.pending.push(row);
    // As a repeat later in the batch would read it back from the table.
    if (this.cached.processed?.terminal === p.terminal) this.remember(this.cached.processed, { ...p, result: JSON.parse(json) as Record<string, unknown> });
  }

  private flushProcessed(): void {
    const rows = this.cached.pending;
    if (rows.length === 0) return;
    this.cached.pending = [];
    this.insertProcessed(rows);
  }

  private insertProcessed(rows: readonly PendingProcessed[]): void {
    const col = <K extends keyof PendingProcessed>(k: K) => rows.map((r) => r[k]);
    this.sql.run(
      `INSERT INTO processed (message_id, terminal, op, txn_id, result, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
      [col('message_id'), col('terminal'), col('op'), col('txn_id'), col('json'), col('created_at')],
    );
  }

  chainLast(terminal: string): number | null {
    return this.sql.get<{ last_seq: number }>('SELECT last_seq FROM till_chain WHERE terminal = $1', [terminal])?.last_seq ?? null;
  }

  setChainLast(terminal: string, seq: number): void {
    this.sql.run(
      `INSERT INTO till_chain (terminal, last_seq, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (terminal) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at`,
      [terminal, seq, now()],
    );
  }

  // ---- participants and wallets ------------------------------------------

  participant(id: string): Participant | undefined {
    const cached = this.cached.participants.get(id);
    if (cached !== undefined) return cached === null ? undefined : { ...cached };
    if (!this.inTransaction) return this.sql.get<Participant>('SELECT id, name, tier, automatic_spend FROM participants WHERE id = $1', [id]);
    // In a transaction the customer's wallets come along (every op that reads one reads the
    // other next): one round trip for both.
    const row = this.sql.get<Participant & { wallets: Wallet[] }>(
      `SELECT p.id, p.name, p.tier, p.automatic_spend,
         coalesce((SELECT json_agg(json_build_object('participant_id', w.participant_id, 'balance', w.balance, 'currency', w.currency) ORDER BY w.ord)
                   FROM wallets w WHERE w.participant_id = p.id), '[]') AS wallets
       FROM participants p WHERE p.id = $1`,
      [id],
    );
    if (!row) {
      this.cached.participants.set(id, null);
      return undefined;
    }
    const { wallets, ...participant } = row;
    this.cached.participants.set(id, { ...participant });
    if (!this.cached.wallets.has(id)) this.cached.wallets.set(id, wallets);
    return participant;
  }

  participantByIdentifier(kind: IdentifierKind, value: string): Participant | undefined {
    return this.sql.get<Participant>(
      `SELECT p.id, p.name, p.tier, p.automatic_spend FROM identifiers i JOIN participants p ON p.id = i.participant_id
       WHERE i.kind = $1 AND i.value = $2`,
      [kind, value],
    );
  }

  identifierOwner(kind: IdentifierKind, value: string): string | undefined {
    return this.sql.get<{ participant_id: string }>('SELECT participant_id FROM identifiers WHERE kind = $1 AND value = $2', [kind, value])
      ?.participant_id;
  }

  insertParticipant(p: Participant): void {
    this.cached.participants.delete(p.id);
    this.sql.run('INSERT INTO participants (id, name, tier, automatic_spend, created_at) VALUES ($1, $2, $3, $4, $5)',
      [p.id, p.name, p.tier, p.automatic_spend, now()]);
  }

  insertIdentifier(kind: IdentifierKind, value: string, participantId: string): void {
    this.sql.run('INSERT INTO identifiers (kind, value, participant_id) VALUES ($1, $2, $3)', [kind, value, participantId]);
  }

  wallet(participantId: string): Wallet | undefined {
    const all = this.wallets(participantId);
    return all.find((w) => !isPointsUnit(w.currency)) ?? all[0];
  }

  wallets(participantId: string): Wallet[] {
    let all = this.cached.wallets.get(participantId);
    if (!all) {
      all = this.sql.all<Wallet>('SELECT participant_id, balance, currency FROM wallets WHERE participant_id = $1 ORDER BY ord', [participantId]);
      if (this.inTransaction) this.cached.wallets.set(participantId, all.map((w) => ({ ...w })));
      return all;
    }
    return all.map((w) => ({ ...w }));
  }

  walletIn(participantId: string, unit: string): Wallet | undefined {
    if (this.inTransaction) return this.wallets(participantId).find((w) => w.currency === unit);
    return this.sql.get<Wallet>('SELECT participant_id, balance, currency FROM wallets WHERE participant_id = $1 AND currency = $2',
      [participantId, unit]);
  }

  walletCurrencies(): string[] {
    // wallet_units, not DISTINCT over wallets: a scan of every wallet in each award would make
    // every two concurrent awards a serialization conflict.
    const units = this.cached.units ?? this.sql.all<{ currency: string }>('SELECT currency FROM wallet_units ORDER BY currency COLLATE "C"').map((r) => r.currency);
    if (this.inTransaction) this.cached.units = units;
    return units.filter((c) => !isPointsUnit(c));
  }

  createWallet(participantId: string, currency: string): void {
    this.cached.wallets.delete(participantId);
    this.sql.run('INSERT INTO wallets (participant_id, balance, currency, updated_at) VALUES ($1, 0, $2, $3)', [participantId, currency, now()]);
    this.sql.run('INSERT INTO wallet_units (currency) VALUES ($1) ON CONFLICT DO NOTHING', [currency]);
    delete this.cached.units;
  }

  // ---- ledger ------------------------------------------------------------

  /** One statement: the wallet moves and the entry is written together, or neither (see SqliteLedger.append). */
  append(entry: NewEntry): number {
    if (!Number.isSafeInteger(entry.amount) || Math.abs(entry.amount) > MAX_BALANCE) {
      throw new AgentError('BAD_REQUEST', `amount: ${entry.amount} is beyond the wallet limit of ${MAX_BALANCE} minor units`, false);
    }
    const at = now();
    const row = this.sql.get<{ balance: number }>(
      `WITH moved AS (
         UPDATE wallets SET balance = balance + $6::bigint, updated_at = $11
         WHERE participant_id = $1 AND currency = $7 AND balance + $6::bigint BETWEEN -$12::bigint AND $12::bigint
         RETURNING balance
       ), written AS (
         INSERT INTO entries (participant_id, terminal, txn_id, message_id, kind, amount, currency, offline, reverses, note, created_at)
         SELECT $1, $2, $3, $4, $5, $6::bigint, $7, $8, $9, $10, $11 WHERE EXISTS (SELECT 1 FROM moved)
       )
       SELECT balance FROM moved`,
      [
        entry.participant_id, entry.terminal, entry.txn_id, entry.message_id, entry.kind, entry.amount, entry.currency,
        entry.offline ?? false, entry.reverses ?? null, entry.note ?? null, at, MAX_BALANCE,
      ],
    );
    if (row) {
      const cached = this.cached.wallets.get(entry.participant_id)?.find((w) => w.currency === entry.currency);
      if (cached) cached.balance = row.balance;
      return row.balance;
    }
    throw balanceRefusal(entry, this.walletIn(entry.participant_id, entry.currency));
  }

  reversibleEntries(terminal: string, txnId: string): Entry[] {
    return this.sql.all<Entry>(
      `SELECT e.* FROM entries e
       WHERE e.terminal = $1 AND e.txn_id = $2 AND e.kind = ANY($3::text[])
         AND NOT EXISTS (SELECT 1 FROM entries r WHERE r.reverses = e.seq)
       ORDER BY e.seq`,
      [terminal, txnId, REVERSIBLE_KINDS],
    );
  }

  entries(participantId?: string): Entry[] {
    return participantId === undefined
      ? this.sql.all<Entry>('SELECT * FROM entries ORDER BY seq')
      : this.sql.all<Entry>('SELECT * FROM entries WHERE participant_id = $1 ORDER BY seq', [participantId]);
  }

  // ---- offers and products -----------------------------------------------

  offers(): Offer[] {
    const offers = this.cached.offers
      ?? this.sql.all<{ definition: string }>('SELECT definition FROM offers ORDER BY id COLLATE "C"').map((r) => JSON.parse(r.definition) as Offer);
    if (this.inTransaction) this.cached.offers = offers;
    // Copies: a caller may not change what the next message reads.
    return offers.map((o) => structuredClone(o));
  }

  upsertOffer(offer: Offer): void {
    this.sql.run(
      `INSERT INTO offers (id, definition, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`,
      [offer.id, JSON.stringify(offer), now()],
    );
    delete this.cached.offers;
  }

  upsertProducts(products: readonly Product[]): number {
    this.cached.products.clear();
    // One statement for the batch; a SKU given twice keeps its last version, as row-by-row upserts would.
    const last = [...new Map(products.map((p) => [p.sku, p])).values()];
    if (last.length > 0) {
      const col = <K extends keyof Product>(k: K) => last.map((p) => p[k] ?? null);
      this.sql.run(
        `INSERT INTO products (sku, name, type, brand, family, categories, description, updated_at)
         SELECT *, $8 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
         ON CONFLICT (sku) DO UPDATE SET name = excluded.name, type = excluded.type, brand = excluded.brand,
           family = excluded.family, categories = excluded.categories, description = excluded.description,
           updated_at = excluded.updated_at`,
        [col('sku'), col('name'), col('type'), col('brand'), col('family'), last.map((p) => JSON.stringify(p.categories ?? [])), col('description'), now()],
      );
    }
    return products.length;
  }

  /** As SqliteLedger.stageFullSync: a full sync's SKUs are staged until its last batch is in. */
  stageFullSync(terminal: string, sync: { id: string; batch: number; last: boolean }, skus: readonly string[]): { complete: boolean; deleted?: number } {
    this.cached.products.clear();
    const key = [terminal, sync.id];
    const started = this.sql.run(
      'INSERT INTO product_syncs (terminal, sync_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [...key, now()],
    ) === 1;
    if (started) {
      this.sql.run(`DELETE FROM product_sync_skus WHERE terminal = $1 AND sync_id IN
        (SELECT sync_id FROM product_syncs WHERE terminal = $1 AND sync_id <> $2 AND completed_at IS NULL)`, key);
      this.sql.run('UPDATE product_syncs SET batches = -1 WHERE terminal = $1 AND sync_id <> $2 AND completed_at IS NULL', key);
    }
    this.sql.run('INSERT INTO product_sync_skus (terminal, sync_id, sku) SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING', [...key, skus]);
    const row = this.sql.get<{ received: number; batches: number | null; completed_at: string | null; deleted: number | null }>(
      `UPDATE product_syncs SET received = received + 1,
         batches = CASE WHEN $3 AND (batches IS NULL OR batches >= 0) THEN $4::int ELSE batches END
       WHERE terminal = $1 AND sync_id = $2 RETURNING received, batches, completed_at, deleted`,
      [...key, sync.last, sync.batch],
    )!;
    if (row.completed_at !== null) return { complete: true, deleted: row.deleted ?? 0 };
    if (row.batches === null || row.batches < 0 || row.received < row.batches) return { complete: false };
    const deleted = this.sql.run(
      'DELETE FROM products WHERE sku NOT IN (SELECT sku FROM product_sync_skus WHERE terminal = $1 AND sync_id = $2)', key,
    );
    this.sql.run('UPDATE product_syncs SET completed_at = $3, deleted = $4 WHERE terminal = $1 AND sync_id = $2', [...key, now(), deleted]);
    this.sql.run('DELETE FROM product_sync_skus WHERE terminal = $1 AND sync_id = $2', key);
    return { complete: true, deleted };
  }

  productSkus(): string[] {
    return this.sql.all<{ sku: string }>('SELECT sku FROM products ORDER BY sku COLLATE "C"').map((r) => r.sku);
  }

  product(sku: string): Product | undefined {
    const row = this.sql.get<Record<string, string | null> & { sku: string; name: string; categories: string }>(
      'SELECT sku, name, type, brand, family, categories, description FROM products WHERE sku = $1', [sku],
    );
    if (!row) return undefined;
    const out: Product = { sku: row.sku, name: row.name, categories: JSON.parse(row.categories) as string[] };
    for (const k of ['type', 'brand', 'family', 'description'] as const) if (row[k] !== null && row[k] !== undefined) out[k] = row[k];
    return out;
  }

  productCount(): number {
    return this.sql.get<{ n: number }>('SELECT count(*) AS n FROM products')!.n;
  }

  productInfo(skus: Iterable<string>): Map<string, ProductInfo> {
    const out = new Map<string, ProductInfo>();
    const all = [...new Set(skus)];
    const wanted = all.filter((sku) => !this.cached.products.has(sku));
    if (wanted.length > 0) {
      const rows = this.sql.all<{ sku: string; categories: string }>('SELECT sku, categories FROM products WHERE sku = ANY($1::text[])', [wanted]);
      const found = new Map(rows.map((r) => [r.sku, { categories: JSON.parse(r.categories) as string[] }]));
      if (!this.inTransaction) return found;
      for (const sku of wanted) this.cached.products.set(sku, found.get(sku) ?? null);
    }
    for (const sku of all) {
      const info = this.cached.products.get(sku);
      if (info) out.set(sku, { categories: [...info.categories] });
    }
    return out;
  }

  // ---- seeds -------------------------------------------------------------

  seedApplied(hash: string): boolean {
    return this.sql.get('SELECT 1 FROM seeds WHERE hash = $1', [hash]) !== undefined;
  }

  markSeedApplied(hash: string, file: string): void {
    this.sql.run('INSERT INTO seeds (hash, file, applied_at) VALUES ($1, $2, $3)', [hash, file, now()]);
  }
}
