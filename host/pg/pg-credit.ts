// Sale baskets, refund vouchers and refunds on PostgreSQL: host/credit-store.ts statement for
// statement (tables in pg-schema.ts), inside the ledger's transaction.
import type { Basket } from '../../protocol/basket.ts';
import type { Voucher } from '../../protocol/credit.ts';
import { newVoucherCode, sumRefunds, type CreditStore, type StoredRefund, type RefundRecord, type RefundTotals, type Sale, type VoucherRow, type VoucherState } from '../credit-store.ts';
import type { StoreApi } from '../ledger.ts';
import type { Sql } from './sync-pg.ts';

const now = () => new Date().toISOString();
const VOUCHER_COLUMNS = 'code, participant_id, amount, currency, terminal, txn_id, state, redeemed_terminal, redeemed_txn_id';

export class PgCreditStore implements StoreApi<CreditStore> {
  constructor(private readonly sql: Sql) {}

  recordSale(s: Sale): void {
    this.sql.run(
      `INSERT INTO sales (terminal, txn_id, participant_id, currency, basket, award_amount, reduction, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [s.terminal, s.txn_id, s.participant_id, s.currency, JSON.stringify(s.basket), s.award_amount, s.reduction, now()],
    );
  }

  sale(terminal: string, txnId: string): Sale | undefined {
    const row = this.sql.get<Omit<Sale, 'basket'> & { basket: string }>('SELECT * FROM sales WHERE terminal = $1 AND txn_id = $2', [terminal, txnId]);
    return row && { ...row, basket: JSON.parse(row.basket) as Basket };
  }

  saleVoided(terminal: string, txnId: string): boolean {
    return this.sql.get('SELECT 1 FROM entries r JOIN entries e ON r.reverses = e.seq WHERE e.terminal = $1 AND e.txn_id = $2 LIMIT 1',
      [terminal, txnId]) !== undefined;
  }

  saleSpends(terminal: string, txnId: string, currency: string): number {
    return this.sql.get<{ total: number }>(
      `SELECT coalesce(-sum(amount), 0)::bigint AS total FROM entries
       WHERE terminal = $1 AND txn_id = $2 AND currency = $3 AND kind IN ('instant_spend', 'automatic_spend', 'spend')`,
      [terminal, txnId, currency],
    )!.total;
  }

  // ---- vouchers ------------------------------------------------------------

  issueVoucher(v: Omit<VoucherRow, 'code' | 'state' | 'redeemed_terminal' | 'redeemed_txn_id'>, messageId: string): Voucher {
    for (let attempt = 0; attempt < 5; attempt++) {
      const code = newVoucherCode();
      const at = now();
      const inserted = this.sql.run(
        `INSERT INTO vouchers (code, participant_id, amount, currency, terminal, txn_id, message_id, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'issued', $8, $8) ON CONFLICT (code) DO NOTHING`,
        [code, v.participant_id, v.amount, v.currency, v.terminal, v.txn_id, messageId, at],
      );
      if (inserted === 1) return { code, amount: v.amount, currency: v.currency };
    }
    throw new Error('could not generate a unique voucher code');
  }

  voucher(code: string): VoucherRow | undefined {
    return this.sql.get<VoucherRow>(`SELECT ${VOUCHER_COLUMNS} FROM vouchers WHERE code = $1`, [code]);
  }

  markRedeemed(code: string, terminal: string, txnId: string): void {
    this.sql.run(
      `UPDATE vouchers SET state = 'redeemed', redeemed_terminal = $1, redeemed_txn_id = $2, updated_at = $3 WHERE code = $4 AND state = 'issued'`,
      [terminal, txnId, now(), code],
    );
  }

  vouchersOfSale(terminal: string, txnId: string): { issued: VoucherRow[]; redeemedHere: VoucherRow[] } {
    return {
      issued: this.sql.all<VoucherRow>(`SELECT ${VOUCHER_COLUMNS} FROM vouchers WHERE terminal = $1 AND txn_id = $2 ORDER BY created_at COLLATE "C", code COLLATE "C"`,
        [terminal, txnId]),
      redeemedHere: this.sql.all<VoucherRow>(
        `SELECT ${VOUCHER_COLUMNS} FROM vouchers WHERE redeemed_terminal = $1 AND redeemed_txn_id = $2 AND state = 'redeemed' ORDER BY code COLLATE "C"`,
        [terminal, txnId],
      ),
    };
  }

  setVoucherState(code: string, state: VoucherState): void {
    const clear = state === 'issued' ? ', redeemed_terminal = NULL, redeemed_txn_id = NULL' : '';
    this.sql.run(`UPDATE vouchers SET state = $1${clear}, updated_at = $2 WHERE code = $3`, [state, now(), code]);
  }

  // ---- refunds -------------------------------------------------------------

  refundTotals(terminal: string, txnId: string): RefundTotals {
    const rows = this.sql.all<StoredRefund>(
      'SELECT * FROM refunds WHERE terminal = $1 AND txn_id = $2 ORDER BY created_at COLLATE "C"', [terminal, txnId],
    );
    return sumRefunds(rows);
  }

  recordRefund(r: RefundRecord): void {
    this.sql.run(
      `INSERT INTO refunds (terminal, refund_id, txn_id, message_id, items, returned_amount, reversed_award_amount,
         unrecovered_award_amount, credited_spend_amount, points, spent_before, returned_before, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [r.terminal, r.refund_id, r.txn_id, r.message_id, JSON.stringify(r.items), r.returned_amount, r.reversed_award_amount,
        r.unrecovered_award_amount, r.credited_spend_amount, JSON.stringify(r.points), r.spent_before, r.returned_before, now()],
    );
  }
}
