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

/**
 * What an award records for its sale beside the till's answer, under `crmcom_sale` in the host's
 * record of the award (host.db or the fleet's PostgreSQL store, so a void after a restart or on
 * another host finds it): the participant, the purchase customer event's id and the sale's
 * created_at. customer_events/spend_requests/list takes no purchase filter and needs one of its
 * semi-optional owners: the sale's spend requests are listed as its participant's, submitted
 * since the sale, and told apart by the purchase they settle. The till ignores the field (its
 * result schemas keep only what they name).
 */
export interface RecordedSale {
  participant_id: string;
  purchase_id: string;
  /** The award message's created_at, or the host's clock if the till's was ahead (ISO 8601): the purchase and its spend requests are submitted after it. */
  created_at: string;
}

export const RECORDED_SALE_KEY = 'crmcom_sale';

/** The sale recorded with an award; undefined when there is none (no award here, or one recorded before the field). */
export function recordedSale(award: Record<string, unknown> | undefined): RecordedSale | undefined {
  const s = award?.[RECORDED_SALE_KEY] as Partial<Record<keyof RecordedSale, unknown>> | undefined;
  if (typeof s !== 'object' || s === null) return undefined;
  const { participant_id: participant, purchase_id: purchase, created_at: createdAt } = s;
  if (typeof participant !== 'string' || typeof purchase !== 'string' || typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) return undefined;
  return { participant_id: participant, purchase_id: purchase, created_at: createdAt };
}
