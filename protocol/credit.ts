// Credits after the sale: refund vouchers (back-end reduction) and returns. Pure: the param
// schemas of the `refund` and `voucher.redeem` ops, their upstream payloads and their results.
// Documented in LOCAL.md ("Returns", "Back-end reduction and refund vouchers") and UPSTREAM.md.
//
// CRM.COM guide (seeds/000): "Back-End Reduction - The reduction is done is by a back-end system
// (i.e. PayPal) by letting the customer to pay for the full purchased amount and credit him
// through a payment gateway system or by generating a refund voucher".
import { digestKey, legacyDigestKey } from './digest-key.ts';
import { z } from 'zod';
import { MAX_BASKET_ITEMS, type Basket } from './basket.ts';
import { currencyCode, freeText, minorUnits, nonEmptyText, quantity, txnId } from './schema.ts';
import { unitCode } from './units.ts';

/** What a voucher code looks like: `RV-` and 12 characters of an unambiguous alphabet. */
export const VOUCHER_CODE = /^RV-[0-9A-HJKMNP-TV-Z]{12}$/;

export const voucherCode = () =>
  z.string({ error: 'must be a voucher code like RV-7K2M9Q4T8B3D' })
    .transform((v) => v.trim().toUpperCase())
    .refine((v) => VOUCHER_CODE.test(v), { error: 'must be a voucher code like RV-7K2M9Q4T8B3D' });

export const returnedItemSchema = z.strictObject({
  sku: nonEmptyText(64),
  qty: quantity(),
  /** The returned line's amount as it was sold (its share of the sale's item amount). */
  amount: minorUnits(),
});
export type ReturnedItem = z.output<typeof returnedItemSchema>;

export const refundParamsSchema = z.strictObject({
  /** The return's own id: the idempotency key (one sale may have several returns). */
  refund_id: txnId(),
  /** The sale the items were bought in (its award's txn_id). */
  txn_id: txnId(),
  currency: currencyCode(),
  items: z.array(returnedItemSchema, { error: 'must be an array of returned items' })
    .min(1, { error: 'must contain at least one returned item' })
    .max(MAX_BASKET_ITEMS, { error: `must contain at most ${MAX_BASKET_ITEMS} items` }),
  reason: freeText(256).optional(),
});
export type RefundParams = z.output<typeof refundParamsSchema>;

export const voucherRedeemParamsSchema = z.strictObject({
  /** The sale the voucher pays for: voiding it reinstates the voucher. */
  txn_id: txnId(),
  code: voucherCode(),
  currency: currencyCode(),
});
export type VoucherRedeemParams = z.output<typeof voucherRedeemParamsSchema>;

const milli = (qty: number) => Math.round(qty * 1000);

/**
 * Why these returned items cannot be returned from this sale, or undefined. Each SKU's returned
 * amount and quantity, with the earlier returns (`prior`, qty in thousandths), stay within what
 * the sale sold. Checked by the till before it commits a refund, and by the host.
 */
export function returnProblem(
  basket: Basket, prior: ReadonlyMap<string, { amount: number; qty: number }>, items: readonly ReturnedItem[],
): string | undefined {
  const sold = new Map<string, { amount: number; qty: number }>();
  for (const item of basket.items) {
    const s = sold.get(item.sku) ?? { amount: 0, qty: 0 };
    sold.set(item.sku, { amount: s.amount + item.amount, qty: s.qty + milli(item.qty) });
  }
  const asked = new Map<string, { amount: number; qty: number; index: number }>();
  for (const [i, item] of items.entries()) {
    if (!sold.has(item.sku)) return `items[${i}].sku: ${item.sku} was not sold in this sale`;
    const a = asked.get(item.sku) ?? { amount: 0, qty: 0, index: i };
    asked.set(item.sku, { amount: a.amount + item.amount, qty: a.qty + milli(item.qty), index: a.index });
  }
  for (const [sku, a] of asked) {
    const s = sold.get(sku)!;
    const p = prior.get(sku) ?? { amount: 0, qty: 0 };
    if (p.amount + a.amount > s.amount) {
      return `items[${a.index}].amount: ${sku} sold for ${s.amount}, ${p.amount} of it already returned: ${a.amount} more is too much`;
    }
    if (p.qty + a.qty > s.qty) {
      return `items[${a.index}].qty: ${sku} sold ${s.qty / 1000}, ${p.qty / 1000} already returned: ${a.qty / 1000} more is too many`;
    }
  }
  return undefined;
}

/**
 * The part of a sale's `total` its returns took back: `returned` of the items' `gross` amount, in
 * proportion (discounts shared), rounded up — what is left to pay on the sale is lowered by it, in
 * the merchant's favour. Returning every item gives back exactly `total`.
 */
export function returnedShareOfTotal(total: number, returned: number, gross: number): number {
  if (gross <= 0 || returned <= 0) return 0;
  if (returned >= gross) return total;
  const d = BigInt(gross);
  return Number((BigInt(total) * BigInt(returned) + d - 1n) / d);
}

// ---- upstream payloads ----------------------------------------------------
// A refund message's txn_id is the refund_id; a voucher.redeem message's txn_id is
// redemptionKey(sale, code). Both ops are durable and deduplicated by (till, op, txn_id).

export const refundPayloadSchema = z.strictObject({
  sale_txn_id: txnId(),
  customer_id: nonEmptyText(128).nullable(),
  currency: currencyCode(),
  items: refundParamsSchema.shape.items,
  reason: freeText(256).optional(),
});

export const voucherRedeemPayloadSchema = z.strictObject({
  sale_txn_id: txnId(),
  code: voucherCode(),
  currency: currencyCode(),
});

/** The idempotency key of redeeming `code` on sale `txnId`: a sale may take several vouchers. */
export function redemptionKey(txnId: string, code: string): string {
  return digestKey('vr-', txnId, code);
}

/** redemptionKey as tills made it before 2026-12-03 (hex): a repeat of a redemption committed then is found by it. */
export function legacyRedemptionKey(txnId: string, code: string): string {
  return legacyDigestKey('vr-', txnId, code);
}

// ---- results --------------------------------------------------------------

export interface Voucher {
  code: string;
  amount: number;
  currency: string;
}

const moneyResult = z.object({ amount: z.number().int(), currency: currencyCode() });
const unitAmount = z.object({ amount: z.number().int(), currency: unitCode() });

export const voucherSchema = z.object({ code: z.string(), amount: z.number().int(), currency: currencyCode() });

export const hostRefundResultSchema = z.object({
  currency: currencyCode(),
  sale_txn_id: z.string(),
  returned_amount: z.number().int(),
  reversed_award_amount: z.number().int(),
  /** Part of the proportional reversal the wallet could not cover (the balance stops at zero). */
  unrecovered_award_amount: z.number().int(),
  credited_spend_amount: z.number().int(),
  /** Absent for a points-only customer (no money wallet). */
  balance: moneyResult.optional(),
  /** Per points unit the sale earned: taken back in proportion, and what a zero balance left unrecovered. */
  reversed_points: z.array(unitAmount).max(20).optional(),
  unrecovered_points: z.array(unitAmount).max(20).optional(),
  /** Every wallet after the return (customers holding points). */
  wallets: z.array(unitAmount).max(20).optional(),
});
export type HostRefundResult = z.output<typeof hostRefundResultSchema>;

export const VOUCHER_REFUSALS = ['VOUCHER_REDEEMED', 'VOUCHER_VOIDED'] as const;

/**
 * A refused redemption is an answer, not a failure: the message is processed (and remembered)
 * so that the till's outbox does not keep a dead letter for a customer's used voucher.
 */
export const hostVoucherRedeemResultSchema = z.union([
  z.object({ redeemed: z.literal(true), voucher: voucherSchema }),
  z.object({ redeemed: z.literal(false), code: z.enum([...VOUCHER_REFUSALS, 'NOT_FOUND', 'BAD_REQUEST']), message: z.string() }),
]);
export type HostVoucherRedeemResult = z.output<typeof hostVoucherRedeemResultSchema>;

export interface RefundResult {
  status: 'refunded' | 'queued';
  refund_id: string;
  txn_id: string;
  currency: string;
  returned_amount: number;
  reversed_award_amount?: number;
  unrecovered_award_amount?: number;
  credited_spend_amount?: number;
  balance?: { amount: number; currency: string };
  /** Points the sale earned, taken back in proportion (per points unit, e.g. PTS). */
  reversed_points?: Array<{ amount: number; currency: string }>;
  unrecovered_points?: Array<{ amount: number; currency: string }>;
  wallets?: Array<{ amount: number; currency: string }>;
}

export interface VoucherRedeemResult {
  status: 'redeemed';
  txn_id: string;
  voucher: Voucher;
}
