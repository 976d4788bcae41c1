// Customers seen recently, so identify keeps working offline (answers marked stale).
// Identifiers are stored only as a keyed hash (HMAC-SHA256 with a per-till secret):
// a card number or phone is never written to disk in clear.
import { createHmac, randomBytes } from 'node:crypto';
import type { Customer, IdentifierKind } from '../protocol/local.ts';
import type { Money } from '../protocol/money.ts';
import { normaliseIdentifier } from '../protocol/identifiers.ts';
import type { Statement } from 'better-sqlite3';
import { memoisedPrepare } from '../runtime/statement-cache.ts';
import { isDiskFull, withoutFsync, type Db } from './storage/db.ts';
import { observed, type WriteObserver } from './storage/storage-health.ts';

export interface CachedCustomer {
  customer: Customer;
  as_of: string;
}

interface CustomerRow {
  id: string;
  name: string;
  tier: string | null;
  balance_amount: number;
  currency: string;
  as_of: string;
  seen_at: string;
}

const DAY_MS = 86_400_000;

/** How many ids updateBalances remembers as not cached (each a few dozen bytes; past it, it starts again). */
const ABSENT_IDS = 1000;

export class CustomerCache {
  private readonly secret: Buffer;
  /** Prepared once each: db.prepare compiles the SQL again on every call (an award settles one balance). */
  private readonly prepared: (sql: string) => Statement;
  /**
   * Customers an update found no row for, so not cached (all of the table's rows are written
   * through remember(), which takes its customer out): their balances are not written again. An
   * award for a customer the till never identified made a write transaction of its own, with
   * nothing in it, after every settle (issue 10). Only ever too small: cleared past ABSENT_IDS.
   */
  private readonly absent = new Set<string>();
  /** Built once: db.transaction() makes five functions per call. */
  private readonly updateAll: (updates: ReadonlyArray<BalanceUpdate>) => void;

  constructor(
    private readonly db: Db,
    /** seen_at, freshness and pruning: the till's trusted time (agent/till-clock.ts) in the agent. */
    private readonly now: () => Date = () => new Date(),
    private readonly observer?: WriteObserver,
  ) {
    this.prepared = memoisedPrepare(db);
    this.updateAll = db.transaction((updates: ReadonlyArray<BalanceUpdate>) => { for (const u of updates) this.updateOne(u); });
    const row = db.prepare("SELECT value FROM meta WHERE key = 'cache_secret'").get() as { value: string } | undefined;
    if (row) {
      this.secret = Buffer.from(row.value, 'hex');
    } else {
      this.secret = randomBytes(32);
      // On a full disk the secret lives for this run only: what it keys cannot be written either.
      this.bestEffort(() => db.prepare("INSERT INTO meta (key, value) VALUES ('cache_secret', ?)").run(this.secret.toString('hex')));
    }
  }

  keyOf(by: IdentifierKind, value: string): string {
    return createHmac('sha256', this.secret).update(`${by}:${normaliseIdentifier(by, value)}`).digest('hex');
  }

  /** Best effort: on a full disk the customer is not cached (false) and identify still answers. */
  remember(by: IdentifierKind, value: string, customer: Customer, asOf: string): boolean {
    const seen = this.now().toISOString();
    return this.bestEffort(() => this.db.transaction(() => {
      this.prepared(`INSERT INTO customers (id, name, tier, balance_amount, currency, as_of, seen_at)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET name = excluded.name, tier = excluded.tier,
            balance_amount = excluded.balance_amount, currency = excluded.currency,
            as_of = excluded.as_of, seen_at = excluded.seen_at`)
        .run(customer.id, customer.name, customer.tier ?? null, customer.balance.amount, customer.balance.currency, asOf, seen);
      this.prepared(`INSERT INTO customer_keys (key_hash, customer_id, seen_at) VALUES (?, ?, ?)
          ON CONFLICT (key_hash) DO UPDATE SET customer_id = excluded.customer_id, seen_at = excluded.seen_at`)
        .run(this.keyOf(by, value), customer.id, seen);
      this.absent.delete(customer.id);
    })());
  }

  lookup(by: IdentifierKind, value: string, maxAgeDays: number): CachedCustomer | undefined {
    const cutoff = new Date(this.now().getTime() - maxAgeDays * DAY_MS).toISOString();
    const row = this.prepared(`SELECT c.* FROM customer_keys k JOIN customers c ON c.id = k.customer_id
        WHERE k.key_hash = ? AND k.seen_at >= ?`).get(this.keyOf(by, value), cutoff) as CustomerRow | undefined;
    return row && toCached(row);
  }

  get(customerId: string): CachedCustomer | undefined {
    const row = this.prepared('SELECT * FROM customers WHERE id = ?').get(customerId) as CustomerRow | undefined;
    return row && toCached(row);
  }

  /**
   * Record a balance the host reported. Answers are recorded in the order they arrive, so the
   * last one is the newest: no comparison of clock readings (a clock stepped back would freeze
   * the balance, and an offline spend would trust the frozen one). Best effort.
   */
  updateBalance(customerId: string, balance: Money, asOf: string): boolean {
    return this.bestEffort(() => this.prepared(`UPDATE customers SET balance_amount = ?, currency = ?, as_of = ?
        WHERE id = ?`).run(balance.amount, balance.currency, asOf, customerId));
  }

  /** Several at once (a settled batch, in arrival order), in one transaction: one fsync, not one per row. */
  updateBalances(updates: ReadonlyArray<BalanceUpdate>): boolean {
    const cached = updates.filter((u) => !this.absent.has(u.customerId));
    if (cached.length === 0) return true;
    // A cache: a power cut may lose it (withoutFsync), the next answer sets it again. One statement
    // is atomic by itself: no transaction around it.
    return this.bestEffort(() => withoutFsync(this.db, () => (cached.length === 1 ? this.updateOne(cached[0]!) : this.updateAll(cached))));
  }

  private updateOne(u: BalanceUpdate): void {
    const { changes } = this.prepared('UPDATE customers SET balance_amount = ?, currency = ?, as_of = ? WHERE id = ?')
      .run(u.balance.amount, u.balance.currency, u.asOf, u.customerId);
    if (changes > 0) return;
    if (this.absent.size >= ABSENT_IDS) this.absent.clear();
    this.absent.add(u.customerId);
  }

  prune(maxAgeDays: number): void {
    const cutoff = new Date(this.now().getTime() - maxAgeDays * DAY_MS).toISOString();
    observed(this.observer, () => this.db.transaction(() => {
      this.prepared('DELETE FROM customer_keys WHERE seen_at < ?').run(cutoff);
      this.prepared('DELETE FROM customers WHERE id NOT IN (SELECT customer_id FROM customer_keys)').run();
    })());
  }

  /** The cache only saves trips to the host: a write that finds the disk full is skipped. */
  private bestEffort(write: () => unknown): boolean {
    try {
      observed(this.observer, write);
      return true;
    } catch (error) {
      if (isDiskFull(error)) return false;
      throw error;
    }
  }
}

interface BalanceUpdate {
  customerId: string;
  balance: Money;
  asOf: string;
}

function toCached(row: CustomerRow): CachedCustomer {
  const customer: Customer = { id: row.id, name: row.name, balance: { amount: row.balance_amount, currency: row.currency } };
  if (row.tier !== null) customer.tier = row.tier;
  return { customer, as_of: row.as_of };
}
