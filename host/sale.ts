// How much a spend may take, from the host's own ledger (protocol/LOCAL.md "Spend is tied to its sale").
// Seed (CRM.COM guide, 000): "Spend is the awarded amount that will be deducted from the basket's total
// amount that the customer should pay for. The amount that a customer can spend is the total amount
// that the customer was awarded from previous purchases."
//   spendable = wallet balance − what this sale credited and is still in the wallet (award − instant spend)
//   remaining = basket total − instant − automatic − earlier spends of the same sale (unreversed entries)
//               − the share of the total its returns took back + the spends they credited back
import type { Ledger, Wallet } from './ledger.ts';
import { returnedShareOfTotal } from '../protocol/credit.ts';
import { clampToZero } from '../protocol/money.ts';

/** Whether a sale's own award is spendable in that sale (host config spend.this_sale_award). */
export const THIS_SALE_AWARD = ['excluded', 'included'] as const;
export type ThisSaleAward = (typeof THIS_SALE_AWARD)[number];

export interface SpendRoom {
  /** What the wallet holds from earlier purchases: the most any spend may take. */
  spendable: number;
  /** What is still to pay on the sale; null when this till never awarded the sale here (a v1 spend). */
  remaining: number | null;
}

export function spendRoom(ledger: Ledger, terminal: string, txnId: string, wallet: Wallet, thisSaleAward: ThisSaleAward = 'excluded'): SpendRoom {
  // The sale's entries in any wallet (what was paid with), and what it credited to this one.
  const sums = { award: 0, instant_spend: 0, automatic_spend: 0, spend: 0 };
  let credited = 0;
  for (const e of ledger.reversibleEntries(terminal, txnId)) {
    if (e.kind in sums) sums[e.kind as keyof typeof sums] += e.amount;
    const ours = e.participant_id === wallet.participant_id && e.currency === wallet.currency;
    // Spend entries are negative; award − instant is what this sale left in the wallet.
    if (ours && (e.kind === 'award' || e.kind === 'instant_spend')) credited += e.amount;
  }
  // Returns (refund) took part of the award back out of the wallet and may have credited spends back.
  const returns = ledger.credit.refundTotals(terminal, txnId);
  const thisSale = thisSaleAward === 'included' ? 0 : clampToZero(credited - returns.reversed_award_amount);
  const spendable = clampToZero(wallet.balance - thisSale);
  if (ledger.processedByTxn(terminal, 'void', txnId)) return { spendable, remaining: 0 };
  const awarded = ledger.processedByTxn(terminal, 'award', txnId);
  const total = awarded?.result.basket_total;
  if (typeof total !== 'number') return { spendable, remaining: null };
  // After a return the customer pays for the goods kept: the returned share of the total is no
  // longer to pay, and a spend credited back to the wallet no longer pays for anything.
  const basket = ledger.credit.sale(terminal, txnId)?.basket;
  const gross = basket ? basket.items.reduce((sum, i) => sum + i.amount, 0) : 0;
  const returned = returnedShareOfTotal(total, returns.returned_amount, gross);
  return {
    spendable,
    remaining: clampToZero(total + sums.instant_spend + sums.automatic_spend + sums.spend - returned + returns.credited_spend_amount),
  };
}
