// The host's records of what a sale can still be credited: its basket (for returns), the refund
// vouchers issued on it or redeemed in it, and its refunds. Tables created by ledger-migrations.ts
// (v2); every call runs inside the caller's batch transaction, next to the ledger entries.
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Basket } from '../protocol/basket.ts';
import type { Voucher } from '../protocol/credit.ts';
import type { Reduction } from '../protocol/local.ts';
import { isoNow } from '../runtime/iso-now.ts';

export interface Sale {
  terminal: string;
  txn_id: string;
  participant_id: string;
  currency: string;
  basket: Basket;
  award_amount: number;
  reduction: Reduction;
}

export type VoucherState = 'issued' | 'redeemed' | 'voided';

export interface VoucherRow extends Voucher {
  participant_id: string;
  terminal: string;
  txn_id: string;
  state: VoucherState;
  redeemed_terminal: string | null;
  redeemed_txn_id: string | null;
}

/** A refunds row as stored: items and points as JSON text; the spend snapshot is null in rows from before schema v6. */
export type StoredRefund = Omit<RefundRecord, 'items' | 'points' | 'spent_before' | 'returned_before'> & {
  items: string;
  points: string;
  spent_before: number | null;
  returned_before: number | null;
};

/** What the sale's spends added up to when an earlier return was made, and what had been returned before it. */
export interface SpendSnapshot {
  returned_before: number;
  spent: number;
}

export interface RefundTotals {
  returned_amount: number;
  reversed_award_amount: number;
  unrecovered_award_amount: number;
  credited_spend_amount: number;
  /** Amount and quantity (in thousandths, qty has up to 3 decimals) already returned, by SKU. */
  returned: Map<string, { amount: number; qty: number }>;
  /** Points taken back (and not recoverable at a zero balance) by earlier returns, by points unit. */
  points: Map<string, { reversed: number; unrecovered: number }>;
  /**
   * Per earlier return, the sale's spends at that time (refund-math.ts credits each spend against
   * the goods that were still kept when it was made); null when a return predates schema v6.
   */
  spends_at_returns: SpendSnapshot[] | null;
}

export interface RefundRecord {
  terminal: string;
  refund_id: string;
  txn_id: string;
  message_id: string;
  items: Array<{ sku: string; qty: number; amount: number }>;
  returned_amount: number;
  reversed_award_amount: number;
  unrecovered_award_amount: number;
  credited_spend_amount: number;
  /** Per points unit the sale awarded (refund-math.ts). */
  points: Array<{ currency: string; reversed: number; unrecovered: number }>;
  /** The sale's spends when this return was made, and what earlier returns had returned. */
  spent_before: number;
  returned_before: number;
}

/** A sale's returns added up: amounts, what was returned per SKU (qty in thousandths) and points. */
export function sumRefunds(rows: ReadonlyArray<StoredRefund>): RefundTotals {
  const totals: RefundTotals = {
    returned_amount: 0, reversed_award_amount: 0, unrecovered_award_amount: 0, credited_spend_amount: 0, returned: new Map(), points: new Map(),
    spends_at_returns: [],
  };
  for (const r of rows) {
    if (r.spent_before === null || r.returned_before === null) totals.spends_at_returns = null;
    else totals.spends_at_returns?.push({ returned_before: Number(r.returned_before), spent: Number(r.spent_before) });
    totals.returned_amount += r.returned_amount;
    totals.reversed_award_amount += r.reversed_award_amount;
    totals.unrecovered_award_amount += r.unrecovered_award_amount;
    totals.credited_spend_amount += r.credited_spend_amount;
    for (const item of JSON.parse(r.items) as RefundRecord['items']) {
      const seen = totals.returned.get(item.sku) ?? { amount: 0, qty: 0 };
      totals.returned.set(item.sku, { amount: seen.amount + item.amount, qty: seen.qty + Math.round(item.qty * 1000) });
    }
    for (const p of JSON.parse(r.points) as RefundRecord['points']) {
      const seen = totals.points.get(p.currency) ?? { reversed: 0, unrecovered: 0 };
      totals.points.set(p.currency, { reversed: seen.reversed + p.reversed, unrecovered: seen.unrecovered + p.unrecovered });
    }
  }
  return totals;
}

// Crockford base32 without I, L, O, U: read aloud or typed from paper without ambiguity.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newVoucherCode(): string {
  const bytes = randomBytes(12);
  let out = 'RV-';
  for (const b of bytes) out += ALPHABET[b & 31];
  return out;
}

const now = isoNow;

export class CreditStore {
  /**
   * `beforeEntriesRead`: called before a read of the ledger's `entries`, so that entries the ledger
   * holds back for a multi-row insert (ledger.ts bufferEntry) are in the table when it runs.
   */
  constructor(private readonly db: Database.Database, private readonly beforeEntriesRead: () => void = () => {}) {}

  recordSale(s: Sale): void {
    this.db.prepare(
      `INSERT INTO sales (terminal, txn_id, participant_id, currency, basket, award_amount, reduction, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(s.terminal, s.txn_id, s.participant_id, s.currency, JSON.stringify(s.basket), s.award_amount, s.reduction, now());
  }

  sale(terminal: string, txnId: string): Sale | undefined {
    const row = this.db.prepare('SELECT * FROM sales WHERE terminal = ? AND txn_id = ?').get(terminal, txnId) as
      | (Omit<Sale, 'basket'> & { basket: string })
      | undefined;
    return row && { ...row, basket: JSON.parse(row.basket) as Basket };
  }

  /** Whether a void reversed this sale's entries. */
  saleVoided(terminal: string, txnId: string): boolean {
    this.beforeEntriesRead();
    return this.db.prepare(
      `SELECT 1 FROM entries r JOIN entries e ON r.reverses = e.seq WHERE e.terminal = ? AND e.txn_id = ? LIMIT 1`,
    ).get(terminal, txnId) !== undefined;
  }

  /** Spends of the sale in its currency (instant, automatic, additional), as a positive amount. */
  saleSpends(terminal: string, txnId: string, currency: string): number {
    this.beforeEntriesRead();
    const row = this.db.prepare(
      `SELECT coalesce(-sum(amount), 0) AS total FROM entries
       WHERE terminal = ? AND txn_id = ? AND currency = ? AND kind IN ('instant_spend', 'automatic_spend', 'spend')`,
    ).get(terminal, txnId, currency) as { total: number };
    return row.total;
  }

  // ---- vouchers ------------------------------------------------------------

  issueVoucher(v: Omit<VoucherRow, 'code' | 'state' | 'redeemed_terminal' | 'redeemed_txn_id'>, messageId: string): Voucher {
    const insert = this.db.prepare(
      `INSERT INTO vouchers (code, participant_id, amount, currency, terminal, txn_id, message_id, state, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'issued', ?, ?) ON CONFLICT (code) DO NOTHING`,
    );
    // 60 random bits: a collision is unlikely, but a code must never name two vouchers.
    for (let attempt = 0; attempt < 5; attempt++) {
      const code = newVoucherCode();
      const at = now();
      if (insert.run(code, v.participant_id, v.amount, v.currency, v.terminal, v.txn_id, messageId, at, at).changes === 1) {
        return { code, amount: v.amount, currency: v.currency };
      }
    }
    throw new Error('could not generate a unique voucher code');
  }

  voucher(code: string): VoucherRow | undefined {
    return this.db.prepare(
      `SELECT code, participant_id, amount, currency, terminal, txn_id, state, redeemed_terminal, redeemed_txn_id
       FROM vouchers WHERE code = ?`,
    ).get(code) as VoucherRow | undefined;
  }

  markRedeemed(code: string, terminal: string, txnId: string): void {
    this.db.prepare(
      `UPDATE vouchers SET state = 'redeemed', redeemed_terminal = ?, redeemed_txn_id = ?, updated_at = ? WHERE code = ? AND state = 'issued'`,
    ).run(terminal, txnId, now(), code);
  }

  /** Vouchers issued on a sale (to void) and redeemed in it (to reinstate). */
  vouchersOfSale(terminal: string, txnId: string): { issued: VoucherRow[]; redeemedHere: VoucherRow[] } {
    const cols = 'code, participant_id, amount, currency, terminal, txn_id, state, redeemed_terminal, redeemed_txn_id';
    return {
      issued: this.db.prepare(`SELECT ${cols} FROM vouchers WHERE terminal = ? AND txn_id = ? ORDER BY created_at, code`)
        .all(terminal, txnId) as VoucherRow[],
      redeemedHere: this.db.prepare(
        `SELECT ${cols} FROM vouchers WHERE redeemed_terminal = ? AND redeemed_txn_id = ? AND state = 'redeemed' ORDER BY code`,
      ).all(terminal, txnId) as VoucherRow[],
    };
  }

  setVoucherState(code: string, state: VoucherState): void {
    const clear = state === 'issued' ? ', redeemed_terminal = NULL, redeemed_txn_id = NULL' : '';
    this.db.prepare(`UPDATE vouchers SET state = ?${clear}, updated_at = ? WHERE code = ?`).run(state, now(), code);
  }

  // ---- refunds -------------------------------------------------------------

  refundTotals(terminal: string, txnId: string): RefundTotals {
    const rows = this.db.prepare('SELECT * FROM refunds WHERE terminal = ? AND txn_id = ? ORDER BY created_at').all(terminal, txnId) as StoredRefund[];
    return sumRefunds(rows);
  }

  recordRefund(r: RefundRecord): void {
    this.db.prepare(
      `INSERT INTO refunds (terminal, refund_id, txn_id, message_id, items, returned_amount, reversed_award_amount,
         unrecovered_award_amount, credited_spend_amount, points, spent_before, returned_before, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      r.terminal, r.refund_id, r.txn_id, r.message_id, JSON.stringify(r.items), r.returned_amount, r.reversed_award_amount,
      r.unrecovered_award_amount, r.credited_spend_amount, JSON.stringify(r.points), r.spent_before, r.returned_before, now(),
    );
  }
}

/** v4 of the host schema (ledger-migrations.ts): sales, vouchers and refunds (v5 adds refunds.points). */
export const CREDIT_TABLES = `
CREATE TABLE IF NOT EXISTS sales (
  terminal TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  participant_id TEXT NOT NULL REFERENCES participants(id),
  currency TEXT NOT NULL,
  basket TEXT NOT NULL,
  award_amount INTEGER NOT NULL,
  reduction TEXT NOT NULL CHECK (reduction IN ('front_end', 'back_end')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (terminal, txn_id)
);
CREATE TABLE IF NOT EXISTS vouchers (
  code TEXT PRIMARY KEY,
  participant_id TEXT NOT NULL REFERENCES participants(id),
  amount INTEGER NOT NULL CHECK (amount > 0),
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
CREATE INDEX IF NOT EXISTS vouchers_sale ON vouchers (terminal, txn_id);
CREATE INDEX IF NOT EXISTS vouchers_redeemed ON vouchers (redeemed_terminal, redeemed_txn_id);
CREATE TABLE IF NOT EXISTS refunds (
  terminal TEXT NOT NULL,
  refund_id TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  items TEXT NOT NULL,
  returned_amount INTEGER NOT NULL,
  reversed_award_amount INTEGER NOT NULL,
  unrecovered_award_amount INTEGER NOT NULL,
  credited_spend_amount INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (terminal, refund_id)
);
CREATE INDEX IF NOT EXISTS refunds_sale ON refunds (terminal, txn_id);
`;
