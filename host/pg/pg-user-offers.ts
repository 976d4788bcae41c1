// Offers issued to customers, their locks and redemptions on PostgreSQL: host/user-offers.ts
// statement for statement (tables in pg-schema.ts), inside the ledger's transaction.
import type { MoneyReward, OfferConditions } from '../engine.ts';
import type { StoreApi } from '../ledger.ts';
import { NoLocksCache, type OfferLock, type Redemption, type UserOffer, type UserOffers } from '../user-offers.ts';
import type { Sql } from './sync-pg.ts';

interface OfferRow extends Omit<UserOffer, 'reward' | 'conditions'> {
  reward: string;
  conditions: string;
}

const decode = (r: OfferRow): UserOffer => ({
  ...r, reward: JSON.parse(r.reward) as MoneyReward, conditions: JSON.parse(r.conditions) as OfferConditions,
});

// The columns SQLite's `SELECT *` gives (the lock's identity column is PostgreSQL's rowid).
const OFFER_COLUMNS = '*';
const LOCK_COLUMNS = 'terminal, txn_id, participant_id, user_offer_id, amount, currency, expires_at, created_at';
const REDEMPTION_COLUMNS = '*';

export class PgUserOffers implements StoreApi<UserOffers> {
  constructor(private readonly sql: Sql) {}
  private readonly noLocks = new NoLocksCache(() => this.sql.get('SELECT 1 FROM offer_locks LIMIT 1') !== undefined);

  /** Called by the ledger at BEGIN (true), at the end of the transaction and when a savepoint rolls back. */
  transactionCache(on: boolean): void {
    this.noLocks.reset(on);
  }

  get(id: string): UserOffer | undefined {
    const row = this.sql.get<OfferRow>(`SELECT ${OFFER_COLUMNS} FROM user_offers WHERE id = $1`, [id]);
    return row && decode(row);
  }

  issued(participantId: string): UserOffer[] {
    return this.sql.all<OfferRow>(`SELECT ${OFFER_COLUMNS} FROM user_offers WHERE participant_id = $1 AND state = 'issued' ORDER BY id COLLATE "C"`, [participantId])
      .map(decode);
  }

  issue(o: Omit<UserOffer, 'state'>, at: string): boolean {
    return this.sql.run(
      `INSERT INTO user_offers (id, participant_id, name, reward, conditions, expires_at, state, issued_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'issued', $7, $7) ON CONFLICT (id) DO NOTHING`,
      [o.id, o.participant_id, o.name, JSON.stringify(o.reward), JSON.stringify(o.conditions), o.expires_at, at],
    ) > 0;
  }

  setState(id: string, state: UserOffer['state'], at: string): void {
    this.sql.run('UPDATE user_offers SET state = $1, updated_at = $2 WHERE id = $3', [state, at, id]);
  }

  // ---- locks -------------------------------------------------------------

  expireLocks(now: string): number {
    if (this.noLocks.empty()) return 0;
    return this.sql.run('DELETE FROM offer_locks WHERE expires_at <= $1', [now]);
  }

  lockOf(userOfferId: string): OfferLock | undefined {
    if (this.noLocks.empty()) return undefined;
    return this.sql.get<OfferLock>(`SELECT ${LOCK_COLUMNS} FROM offer_locks WHERE user_offer_id = $1`, [userOfferId]);
  }

  locksOfTxn(terminal: string, txnId: string): OfferLock[] {
    if (this.noLocks.empty()) return [];
    return this.sql.all<OfferLock>(`SELECT ${LOCK_COLUMNS} FROM offer_locks WHERE terminal = $1 AND txn_id = $2 ORDER BY id`, [terminal, txnId]);
  }

  lockedAmountByOthers(participantId: string, currency: string, terminal: string, txnId: string | null): number {
    if (this.noLocks.empty()) return 0;
    return this.sql.get<{ total: number }>(
      `SELECT coalesce(sum(amount), 0)::bigint AS total FROM offer_locks
       WHERE participant_id = $1 AND currency = $2 AND amount IS NOT NULL AND NOT (terminal = $3 AND txn_id IS NOT DISTINCT FROM $4::text)`,
      [participantId, currency, terminal, txnId],
    )!.total;
  }

  lockedAmountByOtherTills(participantId: string, currency: string, terminal: string): number {
    if (this.noLocks.empty()) return 0;
    return this.sql.get<{ total: number }>(
      `SELECT coalesce(sum(amount), 0)::bigint AS total FROM offer_locks
       WHERE participant_id = $1 AND currency = $2 AND amount IS NOT NULL AND terminal <> $3`,
      [participantId, currency, terminal],
    )!.total;
  }

  addLock(lock: OfferLock, at: string): void {
    this.noLocks.added();
    this.sql.run(
      `INSERT INTO offer_locks (terminal, txn_id, participant_id, user_offer_id, amount, currency, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [lock.terminal, lock.txn_id, lock.participant_id, lock.user_offer_id, lock.amount, lock.currency, lock.expires_at, at],
    );
  }

  release(terminal: string, txnId: string, offerIds?: readonly string[]): OfferLock[] {
    const held = this.locksOfTxn(terminal, txnId);
    const released = offerIds ? held.filter((l) => l.user_offer_id !== null && offerIds.includes(l.user_offer_id)) : held;
    for (const l of released) {
      this.sql.run('DELETE FROM offer_locks WHERE terminal = $1 AND txn_id = $2 AND user_offer_id IS NOT DISTINCT FROM $3::text',
        [terminal, txnId, l.user_offer_id]);
    }
    return released;
  }

  releaseAmount(terminal: string, txnId: string): void {
    this.sql.run('DELETE FROM offer_locks WHERE terminal = $1 AND txn_id = $2 AND user_offer_id IS NULL', [terminal, txnId]);
  }

  // ---- redemptions -------------------------------------------------------

  redemption(terminal: string, redemptionId: string): Redemption | undefined {
    return this.sql.get<Redemption>(`SELECT ${REDEMPTION_COLUMNS} FROM redemptions WHERE terminal = $1 AND redemption_id = $2`, [terminal, redemptionId]);
  }

  addRedemption(r: Omit<Redemption, 'state'>, at: string): void {
    this.sql.run(
      `INSERT INTO redemptions (terminal, redemption_id, user_offer_id, txn_id, discount_amount, currency, state, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'redeemed', $7, $7)`,
      [r.terminal, r.redemption_id, r.user_offer_id, r.txn_id, r.discount_amount, r.currency, at],
    );
  }

  redeemedInSale(terminal: string, txnId: string): Redemption[] {
    return this.sql.all<Redemption>(
      `SELECT ${REDEMPTION_COLUMNS} FROM redemptions WHERE terminal = $1 AND txn_id = $2 AND state = 'redeemed' ORDER BY created_at COLLATE "C", redemption_id COLLATE "C"`,
      [terminal, txnId],
    );
  }

  /** Whether this till redeemed any offer in the sale, reinstated since or not. */
  hasRedemptionInSale(terminal: string, txnId: string): boolean {
    return this.sql.get<{ one: number }>('SELECT 1 AS one FROM redemptions WHERE terminal = $1 AND txn_id = $2 LIMIT 1', [terminal, txnId]) !== undefined;
  }

  markReinstated(terminal: string, redemptionId: string, at: string): void {
    this.sql.run(`UPDATE redemptions SET state = 'reinstated', updated_at = $1 WHERE terminal = $2 AND redemption_id = $3`, [at, terminal, redemptionId]);
  }
}
