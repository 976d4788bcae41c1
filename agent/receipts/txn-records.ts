// One sale's records read straight from the agent's SQLite file, read-only: works whether the
// agent runs or not, and never migrates, locks for writing or creates anything (openDb would).
import Database from 'better-sqlite3';
import type { Money } from '../../protocol/money.ts';
import { balanceOf } from '../upstream/host-results.ts';
import { LAST_BALANCE_ROW, decode, type OutboxRow } from '../upstream/outbox.ts';
import { redemptionRows } from './offer-redemptions.ts';
import type { CustomerOffline } from './loyalty-section.ts';

export interface TxnRecords {
  rows: OutboxRow[];
  /** The customer's name as last seen by this till, when it is in the customer cache. */
  customerName?: string;
  /** With a spend of the sale approved offline: the customer's cached balance and offline spends (loyalty-section.ts). */
  customer?: CustomerOffline;
}

/** The outbox rows of txnId, oldest first (none: an unknown sale). Throws when the file cannot be opened. */
export function readTxnRecords(dbFile: string, txnId: string): TxnRecords {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const raw = db.prepare('SELECT * FROM outbox WHERE txn_id = ? ORDER BY seq').all(txnId) as Array<Parameters<typeof decode>[0]>;
    const rows = raw.map(decode);
    // Named spends of the sale (version 2 spend_id) are keyed apart and name it in their payload.
    // Schema 6 keeps payload.sale_txn_id in a column; a file an older agent still has open may be at schema 5.
    const sale = (db.pragma('user_version', { simple: true }) as number) >= 6 ? 'sale_txn_id' : "json_extract(payload, '$.sale_txn_id')";
    const spends = db.prepare(`SELECT * FROM outbox WHERE op = 'spend' AND ${sale} = ? ORDER BY seq`);
    rows.push(...(spends.all(txnId) as Array<Parameters<typeof decode>[0]>).map(decode));
    // Offers the sale redeemed: their rows are keyed by redemption id (agent/receipts/offer-redemptions.ts).
    const byTxn = db.prepare('SELECT * FROM outbox WHERE txn_id = ? ORDER BY seq');
    const redeemRows = db.prepare(`SELECT * FROM outbox WHERE op = 'redeem' AND json_extract(payload, '$.txn_id') = ? ORDER BY seq`);
    rows.push(...redemptionRows({
      redemptionsOf: (id) => (redeemRows.all(id) as Array<Parameters<typeof decode>[0]>).map(decode),
      forTxn: (id) => (byTxn.all(id) as Array<Parameters<typeof decode>[0]>).map(decode),
    }, txnId));
    const customerId = rows.find((r) => r.customer_id)?.customer_id;
    const customer = customerId
      ? db.prepare('SELECT name, balance_amount, currency FROM customers WHERE id = ?').get(customerId) as CachedRow | undefined
      : undefined;
    const out: TxnRecords = customer ? { rows, customerName: customer.name } : { rows };
    if (customerId && rows.some((r) => r.op === 'spend' && r.state === 'pending' && r.offline)) {
      // The last known balance, as the agent's receipt takes it (agent/ops/known-balance.ts): the cache, else the
      // customer's newest delivered answer that reports one (a customer never identified on this till).
      const balance = customer ? { amount: customer.balance_amount, currency: customer.currency } : lastAnsweredBalance(db, customerId);
      if (!balance) return out;
      const spends = db.prepare(`SELECT seq, amount FROM outbox WHERE state = 'pending' AND op = 'spend' AND offline = 1
          AND customer_id = ? AND currency = ? ORDER BY seq`).all(customerId, balance.currency) as CustomerOffline['spends'];
      out.customer = { balance, spends };
    }
    return out;
  } finally {
    db.close();
  }
}

/** Outbox.lastBalanceRow's balance, read on this file's read-only connection. */
function lastAnsweredBalance(db: Database.Database, customerId: string): Money | undefined {
  const raw = db.prepare(`SELECT * ${LAST_BALANCE_ROW}`).get(customerId) as Parameters<typeof decode>[0] | undefined;
  return raw && balanceOf(decode(raw));
}

interface CachedRow {
  name: string;
  balance_amount: number;
  currency: string;
}
