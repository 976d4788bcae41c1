// What the loyalty part of a receipt says, derived from the outbox rows of one sale.
import { isPointsUnit, type Money } from '../../protocol/money.ts';
import { balanceOf, resultOf, walletsOf } from '../upstream/host-results.ts';
import type { OfflineSpend, OutboxRow } from '../upstream/outbox.ts';
import { redeemedOffers, type RedeemedOffer } from './offer-redemptions.ts';
import { UNREADABLE_NOTE, creditLines, type RefundLines, type VoucherLine } from './credit-section.ts';

export interface LoyaltySection {
  currency: string;
  customer?: string;
  awarded?: number;
  /** The platform computes the award after the sale (SessionM): no amount to print, "added later" instead. */
  award_pending?: true;
  offers: Array<{ name: string; award_amount: number; points?: Money }>;
  instant_spend: number;
  automatic_spend: number;
  additional_spend: number;
  redemption_total: number;
  balance?: number;
  /** Points this sale earned, and the points wallets after it (protocol/units.ts), per unit. */
  points?: Money[];
  points_balances?: Money[];
  notes: string[];
  /** Offers held by the customer that this sale redeemed (`redeem`), with the discount each gave. */
  redeemed_offers?: RedeemedOffer[];
  /** Refund voucher of a back-end sale; a return's adjustments (credit-section.ts). */
  vouchers?: VoucherLine[];
  refund?: RefundLines;
}

/**
 * What the till knows of the sale's customer beyond the sale's rows, for a sale with a spend approved
 * offline: the balance a spend's answer starts from, and what the till approved offline since.
 */
export interface CustomerOffline {
  /** The customer's last balance the host reported (the customer cache). */
  balance: Money;
  /** The customer's spends approved offline and not yet confirmed, on every sale (Outbox.offlineSpendsOf, in balance's currency). */
  spends: ReadonlyArray<OfflineSpend>;
}

/**
 * A refund is keyed by its refund_id, which may be another sale's txn_id on this till (two
 * counters, one for sales and one for returns): with a sale's own rows (award, spend, void) the
 * receipt is that sale's, and a return of another sale keyed by the same id is not on it.
 */
function withoutOtherSalesReturns(rows: OutboxRow[]): OutboxRow[] {
  const own = rows.find((r) => r.op === 'award' || r.op === 'void' || r.op === 'spend');
  if (!own) return rows;
  const sale = typeof own.payload.sale_txn_id === 'string' ? own.payload.sale_txn_id : own.txn_id;
  return rows.filter((r) => r.op !== 'refund' || r.payload.sale_txn_id === sale);
}

/** null when the sale has no loyalty activity on this till. */
export function loyaltySection(all: OutboxRow[], customerName?: string, customer?: CustomerOffline): LoyaltySection | null {
  const rows = withoutOtherSalesReturns(all);
  const award = rows.find((r) => r.op === 'award');
  const spend = rows.find((r) => r.op === 'spend');
  const voided = rows.find((r) => r.op === 'void');
  const redeemed = redeemedOffers(rows, award?.txn_id ?? spend?.txn_id ?? voided?.txn_id ?? undefined);
  const refund = rows.find((r) => r.op === 'refund');
  if (!award && !spend && !refund && redeemed.length === 0) return null;
  const currency = award?.currency ?? spend?.currency ?? rows.find((r) => r.op === 'redeem')?.currency ?? refund?.currency ?? '';
  const section: LoyaltySection = {
    currency, offers: [], instant_spend: 0, automatic_spend: 0, additional_spend: 0, redemption_total: 0, notes: [],
  };
  const customerId = award?.customer_id ?? spend?.customer_id ?? refund?.customer_id;
  if (customerName || customerId) section.customer = customerName ?? customerId!;
  let balanceAt = '';
  const takeBalance = (row: OutboxRow) => {
    if (row.updated_at < balanceAt) return;
    const b = balanceOf(row);
    // A points-only customer's balance is in points: it goes with the points, not the money.
    if (b && b.currency === currency) section.balance = b.amount;
    const points = (walletsOf(row) ?? []).filter((w) => isPointsUnit(w.currency));
    if (points.length > 0) section.points_balances = points;
    balanceAt = row.updated_at;
  };
  const awarded = award ? resultOf(award, 'award') : null;
  if (award && awarded) {
    // An award the platform has not computed yet is not an award of 0 (it printed "Awarded 0.00").
    if (awarded.award_pending) section.award_pending = true;
    else section.awarded = awarded.award_amount;
    section.instant_spend = awarded.instant_spend_amount;
    section.automatic_spend = awarded.automatic_spend_amount;
    section.offers = awarded.offers;
    if (awarded.points && awarded.points.length > 0) section.points = awarded.points;
    if (awarded.reduction === 'back_end') section.notes.push('Redemption is credited back-end, not deducted on this receipt');
    takeBalance(award);
  } else if (award?.state === 'done') {
    section.notes.push(UNREADABLE_NOTE);
  } else if (award?.state === 'pending') {
    section.notes.push('Points for this sale were queued offline and will be added shortly');
  } else if (award?.state === 'dead') {
    section.notes.push('Points for this sale could not be added; staff have been notified');
  }
  // A sale may have several spends (version 2 spend_id): the additional spend is all of them.
  const spends = rows.filter((r) => r.op === 'spend');
  // Spends approved offline are not in any balance the host gave yet (rows are delivered in order).
  let spentOffline = 0;
  for (const s of spends) {
    if (s.state === 'done') {
      section.additional_spend += resultOf(s, 'spend')?.spent_amount ?? 0;
      takeBalance(s);
    } else if (s.state === 'pending' && s.offline) {
      section.additional_spend += s.amount ?? 0;
      spentOffline += s.amount ?? 0;
    }
  }
  if (spends.some((s) => s.offline)) section.notes.push('Balance spent while offline; confirmed when the till reconnects');
  if (redeemed.length > 0 && voided?.state !== 'done') section.redeemed_offers = redeemed;
  section.redemption_total = section.instant_spend + section.automatic_spend + section.additional_spend;
  if (voided?.state === 'done') takeBalance(voided); // the balance after the void, not before it
  if (voided) section.notes.push(voided.state === 'done' ? 'This sale was voided' : 'Void queued offline');
  const credit = creditLines(rows);
  if (credit.vouchers.length > 0) section.vouchers = credit.vouchers;
  if (credit.refund) section.refund = credit.refund;
  if (credit.balance !== undefined) section.balance = credit.balance;
  // The last known balance less the spends approved offline, as the spend's answer said.
  if (spentOffline > 0 && customer && customer.balance.currency === currency) section.balance = offlineBalance(rows, customer);
  else if (section.balance !== undefined) section.balance -= spentOffline;
  if (credit.points_balances) section.points_balances = credit.points_balances;
  section.notes.push(...credit.notes);
  return section;
}

/**
 * The balance after a sale with a spend approved offline, as that spend's answer gave it (ops/spend.ts):
 * the customer's last known balance (the cache: every answer of the host, whichever sale it was for)
 * less every spend the till approved offline for the customer up to this sale's last row, on other
 * sales too. Rows are delivered in order, so no balance the host gave counts a spend still pending;
 * a spend approved after this sale's last row is not on its receipt.
 */
function offlineBalance(rows: OutboxRow[], customer: CustomerOffline): number {
  let last = 0;
  for (const r of rows) if (r.seq > last) last = r.seq;
  let spent = 0;
  for (const s of customer.spends) if (s.seq <= last) spent += s.amount;
  return customer.balance.amount - spent;
}
