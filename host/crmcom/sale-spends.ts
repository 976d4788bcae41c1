// How much an online spend may ask CRM.COM for. LOCAL.md "Spend is tied to its sale": the host
// never spends more than is left to pay on the sale (seed 000: "Spend is the awarded amount that
// will be deducted from the basket's total amount that the customer should pay for"). CRM.COM's
// spend request takes what the wallet holds and is not bounded by its purchase (the reference copy
// says nothing of it), so the host bounds it: the sale's basket total, recorded with its award,
// less the spend requests posted on its purchase (CRM.COM's instant and automatic ones and the
// POS's earlier spends). The wallet side (which awards are spendable) stays CRM.COM's own rule.

export interface PurchaseSpend {
  /** external_system_reference_number: the host's request id for the POS's spends, null for CRM.COM's own. */
  reference: string | null;
  posted: boolean;
  /** Minor units. */
  amount: number;
}

export interface SaleRecord {
  /** The sale's basket total as its award recorded it; undefined: never awarded here (a v1 spend). */
  basketTotal: number | undefined;
  voided: boolean;
}

/**
 * The amount to ask for: at most `asked`. A sale never awarded here has no bound (as the ledger
 * backend); a voided one has nothing left to pay. A resend of a spend CRM.COM already holds (its own
 * reference among the purchase's requests) asks as the first time: CRM.COM answers that first event.
 */
export function spendBound(asked: number, sale: SaleRecord, spends: readonly PurchaseSpend[], ownReference: string): number {
  if (spends.some((s) => s.reference === ownReference)) return asked;
  if (sale.voided) return 0;
  if (sale.basketTotal === undefined) return asked;
  const paid = spends.reduce((sum, s) => sum + (s.posted ? s.amount : 0), 0);
  return Math.min(asked, Math.max(0, sale.basketTotal - paid));
}
