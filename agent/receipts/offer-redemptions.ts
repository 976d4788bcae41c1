// The offers a sale redeemed (`redeem`), for its receipt. Redeem rows carry the redemption id as
// their txn_id and the sale's in the payload; a reinstate row shares the redemption id.
import { resultOf } from '../upstream/host-results.ts';
import type { OutboxRow } from '../upstream/outbox.ts';

export interface RedeemedOffer {
  name: string;
  discount_amount: number;
}

/** The rows a sale's receipt needs besides its own: its redeem rows and their reinstates. */
export function redemptionRows(sale: { redemptionsOf(txnId: string): OutboxRow[]; forTxn(txnId: string): OutboxRow[] }, txnId: string): OutboxRow[] {
  return sale.redemptionsOf(txnId).flatMap((r) => [r, ...sale.forTxn(r.txn_id!).filter((x) => x.op === 'reinstate')]);
}

/**
 * Offers redeemed and still held by the sale: the host said so and no reinstate was asked for — or
 * the one asked for was refused by the host (a dead letter: after the sale's award, the offer stays used).
 */
export function redeemedOffers(rows: readonly OutboxRow[], saleTxnId: string | undefined): RedeemedOffer[] {
  const reinstated = new Set(rows.filter((r) => r.op === 'reinstate' && r.state !== 'dead').map((r) => r.txn_id));
  const seen = new Set<string>();
  return rows.flatMap((r) => {
    // A redemption id equal to the sale's txn_id brings its row twice: once is enough.
    if (seen.has(r.id)) return [];
    seen.add(r.id);
    const redeemed = resultOf(r, 'redeem');
    if (redeemed?.status !== 'redeemed' || reinstated.has(r.txn_id)) return [];
    if (saleTxnId !== undefined && r.payload.txn_id !== saleTxnId) return [];
    return [{ name: redeemed.name, discount_amount: redeemed.discount_amount }];
  });
}
