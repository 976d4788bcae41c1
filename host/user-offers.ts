// Offers issued to one customer (SessionM "user offers"), their locks and their redemptions,
// in the ledger's SQLite file and inside its transactions. An offer is `issued` until a
// redemption takes it (`redeemed`); a reinstate gives it back. A lock holds offers (and/or an
// amount of the wallet) for one sale of one till until its unlock, its award, or its expiry:
// expired locks are simply ignored, and deleted the next time locks are touched.
//
//   user_offers (id, participant, definition, expires_at, state)
//   offer_locks (till, txn_id) ─ offers | amount, expires_at     one offer: at most one lock
//   redemptions (till, redemption_id) ─ offer, sale txn_id, discount, state redeemed|reinstated
import type Database from 'better-sqlite3';
import type { MoneyReward, OfferConditions } from './engine.ts';

export const USER_OFFERS_SCHEMA = `
CREATE TABLE IF NOT EXISTS user_offers (
  id TEXT PRIMARY KEY,
  participant_id TEXT NOT NULL REFERENCES participants(id),
  name TEXT NOT NULL,
  reward TEXT NOT NULL,
  conditions TEXT NOT NULL DEFAULT '{}',
  expires_at TEXT,
  state TEXT NOT NULL CHECK (state IN ('issued', 'redeemed')) DEFAULT 'issued',
  issued_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS user_offers_participant ON user_offers (participant_id);
CREATE TABLE IF NOT EXISTS offer_locks (
  terminal TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  participant_id TEXT NOT NULL,
  user_offer_id TEXT REFERENCES user_offers(id),
  amount INTEGER,
  currency TEXT,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  CHECK ((user_offer_id IS NULL) <> (amount IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS offer_locks_offer ON offer_locks (user_offer_id) WHERE user_offer_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS offer_locks_txn ON offer_locks (terminal, txn_id);
CREATE TABLE IF NOT EXISTS redemptions (
  terminal TEXT NOT NULL,
  redemption_id TEXT NOT NULL,
  user_offer_id TEXT NOT NULL REFERENCES user_offers(id),
  txn_id TEXT NOT NULL,
  discount_amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('redeemed', 'reinstated')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (terminal, redemption_id)
);
CREATE INDEX IF NOT EXISTS redemptions_sale ON redemptions (terminal, txn_id);
`;

export interface UserOffer {
  id: string;
  participant_id: string;
  name: string;
  reward: MoneyReward;
  conditions: OfferConditions;
  expires_at: string | null;
  state: 'issued' | 'redeemed';
}

export interface OfferLock {
  terminal: string;
  txn_id: string;
  participant_id: string;
  user_offer_id: string | null;
  amount: number | null;
  currency: string | null;
  expires_at: string;
}

export interface Redemption {
  terminal: string;
  redemption_id: string;
  user_offer_id: string;
  txn_id: string;
  discount_amount: number;
  currency: string;
  state: 'redeemed' | 'reinstated';
}

interface OfferRow extends Omit<UserOffer, 'reward' | 'conditions'> {
  reward: string;
  conditions: string;
}

const decode = (r: OfferRow): UserOffer => ({
  ...r, reward: JSON.parse(r.reward) as MoneyReward, conditions: JSON.parse(r.conditions) as OfferConditions,
});

/**
 * Inside a transaction (the ledger says when: UserOffers.transactionCache): whether offer_locks is
 * empty, as it mostly is. Every award, spend and preview asks about locks three times; with none
 * held anywhere that is one read per request instead. addLock is the only insert, and it clears it.
 * Both stores keep one (this file and pg/pg-user-offers.ts).
 */
export class NoLocksCache {
  private known: boolean | undefined;
  private caching = false;

  /** `anyLock`: whether offer_locks holds a row (one read). */
  constructor(private readonly anyLock: () => boolean) {}

  /**
   * keep: nothing but this connection changed the database since `known` was read (the SQLite
   * ledger's Catalogue, checked at each BEGIN; a rolled-back transaction never keeps), so a "none
   * held" still holds: addLock, this connection's only insert, clears it. Anything else is read again.
   */
  reset(caching: boolean, keep = false): void {
    this.caching = caching;
    if (!keep || this.known !== true) this.known = undefined;
  }

  /** True only inside a transaction when no lock is held anywhere (read once per transaction). */
  empty(): boolean {
    if (!this.caching) return false;
    this.known ??= !this.anyLock();
    return this.known;
  }

  /** A lock was inserted. */
  added(): void {
    this.known = false;
  }
}

export class UserOffers {
  constructor(private readonly db: Database.Database) {}
  private readonly noLocks = new NoLocksCache(() => this.db.prepare('SELECT 1 FROM offer_locks LIMIT 1').get() !== undefined);

  /**
   * Called by the ledger at BEGIN (true), at the end of the transaction and when a savepoint rolls back;
   * keep: see NoLocksCache.reset (the ledger's catalogue was kept at BEGIN; the transaction committed at its end).
   */
  transactionCache(on: boolean, keep = false): void {
    this.noLocks.reset(on, keep);
  }

  get(id: string): UserOffer | undefined {
    const row = this.db.prepare('SELECT * FROM user_offers WHERE id = ?').get(id) as OfferRow | undefined;
    return row && decode(row);
  }

  /** Issued (not redeemed) offers of a participant, expiry not checked, by id. */
  issued(participantId: string): UserOffer[] {
    const rows = this.db.prepare(`SELECT * FROM user_offers WHERE participant_id = ? AND state = 'issued' ORDER BY id`).all(participantId) as OfferRow[];
    return rows.map(decode);
  }

  /** A new offer; an existing id is left as it is (its state belongs to the ledger, not the seed). */
  issue(o: Omit<UserOffer, 'state'>, at: string): boolean {
    const info = this.db.prepare(
      `INSERT INTO user_offers (id, participant_id, name, reward, conditions, expires_at, state, issued_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'issued', ?, ?) ON CONFLICT (id) DO NOTHING`,
    ).run(o.id, o.participant_id, o.name, JSON.stringify(o.reward), JSON.stringify(o.conditions), o.expires_at, at, at);
    return info.changes > 0;
  }

  setState(id: string, state: UserOffer['state'], at: string): void {
    this.db.prepare('UPDATE user_offers SET state = ?, updated_at = ? WHERE id = ?').run(state, at, id);
  }

  // ---- locks -------------------------------------------------------------

  /** Forget locks whose time is up: from then on they hold nothing. */
  expireLocks(now: string): number {
    if (this.noLocks.empty()) return 0;
    return this.db.prepare('DELETE FROM offer_locks WHERE expires_at <= ?').run(now).changes;
  }

  lockOf(userOfferId: string): OfferLock | undefined {
    if (this.noLocks.empty()) return undefined;
    return this.db.prepare('SELECT * FROM offer_locks WHERE user_offer_id = ?').get(userOfferId) as OfferLock | undefined;
  }

  locksOfTxn(terminal: string, txnId: string): OfferLock[] {
    if (this.noLocks.empty()) return [];
    return this.db.prepare('SELECT * FROM offer_locks WHERE terminal = ? AND txn_id = ? ORDER BY rowid').all(terminal, txnId) as OfferLock[];
  }

  /** Amount locked on a participant's wallet by every sale except (terminal, txnId). */
  lockedAmountByOthers(participantId: string, currency: string, terminal: string, txnId: string | null): number {
    if (this.noLocks.empty()) return 0;
    const row = this.db.prepare(
      `SELECT coalesce(sum(amount), 0) AS total FROM offer_locks
       WHERE participant_id = ? AND currency = ? AND amount IS NOT NULL AND NOT (terminal = ? AND txn_id IS ?)`,
    ).get(participantId, currency, terminal, txnId) as { total: number };
    return row.total;
  }

  /** Amount locked on a participant's wallet by the sales of every other till. */
  lockedAmountByOtherTills(participantId: string, currency: string, terminal: string): number {
    if (this.noLocks.empty()) return 0;
    const row = this.db.prepare(
      `SELECT coalesce(sum(amount), 0) AS total FROM offer_locks
       WHERE participant_id = ? AND currency = ? AND amount IS NOT NULL AND terminal <> ?`,
    ).get(participantId, currency, terminal) as { total: number };
    return row.total;
  }

  addLock(lock: OfferLock, at: string): void {
    this.noLocks.added();
    this.db.prepare(
      `INSERT INTO offer_locks (terminal, txn_id, participant_id, user_offer_id, amount, currency, expires_at, created_at)
       VALUES (@terminal, @txn_id, @participant_id, @user_offer_id, @amount, @currency, @expires_at, @at)`,
    ).run({ ...lock, at });
  }

  /** Releases a sale's locks: all of them, or only the given offers. Returns what was released. */
  release(terminal: string, txnId: string, offerIds?: readonly string[]): OfferLock[] {
    const held = this.locksOfTxn(terminal, txnId);
    const released = offerIds ? held.filter((l) => l.user_offer_id !== null && offerIds.includes(l.user_offer_id)) : held;
    const del = this.db.prepare('DELETE FROM offer_locks WHERE terminal = ? AND txn_id = ? AND user_offer_id IS ?');
    for (const l of released) del.run(terminal, txnId, l.user_offer_id);
    return released;
  }

  releaseAmount(terminal: string, txnId: string): void {
    this.db.prepare('DELETE FROM offer_locks WHERE terminal = ? AND txn_id = ? AND user_offer_id IS NULL').run(terminal, txnId);
  }

  // ---- redemptions -------------------------------------------------------

  redemption(terminal: string, redemptionId: string): Redemption | undefined {
    return this.db.prepare('SELECT * FROM redemptions WHERE terminal = ? AND redemption_id = ?').get(terminal, redemptionId) as Redemption | undefined;
  }

  addRedemption(r: Omit<Redemption, 'state'>, at: string): void {
    this.db.prepare(
      `INSERT INTO redemptions (terminal, redemption_id, user_offer_id, txn_id, discount_amount, currency, state, created_at, updated_at)
       VALUES (@terminal, @redemption_id, @user_offer_id, @txn_id, @discount_amount, @currency, 'redeemed', @at, @at)`,
    ).run({ ...r, at });
  }

  /** Redemptions of one sale that still hold their offer. */
  redeemedInSale(terminal: string, txnId: string): Redemption[] {
    return this.db.prepare(`SELECT * FROM redemptions WHERE terminal = ? AND txn_id = ? AND state = 'redeemed' ORDER BY created_at, redemption_id`)
      .all(terminal, txnId) as Redemption[];
  }

  /** Whether this till redeemed any offer in the sale, reinstated since or not. */
  hasRedemptionInSale(terminal: string, txnId: string): boolean {
    return this.db.prepare('SELECT 1 FROM redemptions WHERE terminal = ? AND txn_id = ? LIMIT 1').get(terminal, txnId) !== undefined;
  }

  markReinstated(terminal: string, redemptionId: string, at: string): void {
    this.db.prepare(`UPDATE redemptions SET state = 'reinstated', updated_at = ? WHERE terminal = ? AND redemption_id = ?`).run(at, terminal, redemptionId);
  }
}
