// Offers held by a customer (SessionM "user offers"): listing, lock/unlock with a TTL,
// redeem/reinstate of one redemption. Pure: the local op params, the upstream payloads and
// the host's results. Documented in LOCAL.md ("Offers held by a customer") and UPSTREAM.md.
import { z } from 'zod';
import { basketSchema, basketSchemaV2, upstreamBasketSchema } from './basket.ts';
import { currencyCode, freeText, minorUnits, nonEmpty, txnId } from './schema.ts';

/** How many offers one lock, unlock or listing may name. */
export const MAX_OFFERS_PER_LOCK = 50;

const offerId = () => txnId();
const offerIds = () => z.array(offerId(), { error: 'must be a list of offer ids' })
  .max(MAX_OFFERS_PER_LOCK, { error: `must name at most ${MAX_OFFERS_PER_LOCK} offers` })
  .refine((ids) => new Set(ids).size === ids.length, { error: 'must not name an offer twice' });

// The ops that carry a basket, built on either basket shape (protocol/basket.ts): protocol 1's
// (`tax_included` a flag, unknown basket keys dropped) or protocol 2's strict one (unknown key
// anywhere in it is BAD_REQUEST naming it, as for preview and award).
function basketOps<B extends z.ZodType>(basket: B) {
  return {
    // Without a basket: every issued, unexpired offer. With one: only those that apply to it, with their discount.
    offers: z.strictObject({ customer_id: nonEmpty(128), basket: basket.optional(), txn_id: txnId().optional() }),
    lock: z.strictObject({
      txn_id: txnId(),
      customer_id: nonEmpty(128),
      offer_ids: offerIds().default([]),
      amount: minorUnits().optional(),
      currency: currencyCode().optional(),
      basket: basket.optional(),
    }).refine((p) => p.offer_ids.length > 0 || p.amount !== undefined, { error: 'give offer_ids and/or amount', path: ['offer_ids'] })
      .refine((p) => (p.amount === undefined) === (p.currency === undefined), { error: 'amount and currency go together', path: ['currency'] }),
    redeem: z.strictObject({
      redemption_id: txnId(),
      txn_id: txnId(),
      customer_id: nonEmpty(128),
      offer_id: offerId(),
      basket,
    }),
  };
}

// Strict: an unknown key in the params is BAD_REQUEST naming it, never silently dropped.
export const offerParamSchemas = {
  ...basketOps(basketSchema),
  unlock: z.strictObject({ txn_id: txnId(), offer_ids: offerIds().optional() }),
  reinstate: z.strictObject({ redemption_id: txnId(), reason: freeText(256).optional() }),
} as const;

/** Protocol 2: the same ops with the strict v2 basket (local.ts paramSchemasV2). */
export const offerParamSchemasV2 = basketOps(basketSchemaV2);

export const offerPayloadSchemas = {
  offers: z.object({ customer_id: nonEmpty(128), basket: upstreamBasketSchema.optional(), txn_id: txnId().optional() }),
  lock: z.object({
    customer_id: nonEmpty(128),
    offer_ids: z.array(offerId()).max(MAX_OFFERS_PER_LOCK),
    amount: minorUnits().optional(),
    currency: currencyCode().optional(),
    basket: upstreamBasketSchema.optional(),
  }),
  unlock: z.object({ offer_ids: z.array(offerId()).max(MAX_OFFERS_PER_LOCK).optional() }),
  // The message's txn_id is the redemption id (its idempotency key); the sale's is txn_id here.
  redeem: z.object({ txn_id: txnId(), customer_id: nonEmpty(128), offer_id: offerId(), basket: upstreamBasketSchema }),
  reinstate: z.object({ reason: freeText(256).optional() }),
} as const;

export const offerRewardSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('amount'), amount: z.number().int(), currency: currencyCode().optional(),
    // The platform gives the discount only against a basket (SessionM's lookup without one): amount 0
    // is then "not known", not "0.00 off". Absent when known; a till that predates it drops it.
    amount_unknown: z.literal(true).optional(),
  }),
  z.object({ kind: z.literal('percent'), basis_points: z.number().int() }),
]);

export const heldOfferSchema = z.object({
  id: z.string(),
  name: z.string(),
  reward: offerRewardSchema,
  /** null: no expiry. A date "YYYY-MM-DD" (valid through that day, host time zone) or an ISO date-time. */
  expires_at: z.string().nullable(),
  /** Locked by a sale: "this_sale" when txn_id named the locking sale, "other" for any other. */
  locked: z.enum(['this_sale', 'other']).nullable(),
  /** With a basket only: what the offer takes off it, in the basket's currency. */
  discount_amount: z.number().int().optional(),
});
export type HeldOffer = z.output<typeof heldOfferSchema>;

export const offersResultSchema = z.object({ customer_id: z.string(), offers: z.array(heldOfferSchema) });

export const lockResultSchema = z.object({
  txn_id: z.string(),
  expires_at: z.string(),
  ttl_s: z.number().int(),
  offers: z.array(heldOfferSchema),
  locked_amount: z.number().int().optional(),
  currency: currencyCode().optional(),
});

export const unlockResultSchema = z.object({ txn_id: z.string(), released_offers: z.array(z.string()), released_amount: z.number().int() });

export const redeemResultSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('redeemed'),
    offer_id: z.string(),
    name: z.string(),
    discount_amount: z.number().int(),
    currency: currencyCode(),
  }),
  // A refusal is the host's decision, stored like a result: a repeat gets the same answer.
  z.object({ status: z.literal('refused'), offer_id: z.string(), code: z.enum(['NOT_FOUND', 'OFFER_LOCKED', 'OFFER_UNAVAILABLE']), message: z.string() }),
]);

export const reinstateResultSchema = z.object({ offer_id: z.string(), reinstated_discount_amount: z.number().int(), currency: currencyCode() });

export type OffersResult = z.output<typeof offersResultSchema>;
export type LockResult = z.output<typeof lockResultSchema>;
export type UnlockResult = z.output<typeof unlockResultSchema>;
export type RedeemHostResult = z.output<typeof redeemResultSchema>;
export type ReinstateHostResult = z.output<typeof reinstateResultSchema>;

/** Why a redeem for a sale already awarded is refused (CONFLICT), in the same words on the till and at the host. */
export function redeemAfterAward(saleTxnId: string): string {
  return `sale ${saleTxnId} is already awarded: an offer is redeemed before its sale's award (the discount goes in the award's basket, `
    + 'and the award is computed on it); redeem it on the next sale';
}

/**
 * Why a reinstate after its sale's award is refused (CONFLICT), in the same words on the till
 * (agent/ops/redeem.ts, before committing) and at the host (host/offer-handlers.ts): the award's
 * basket carried the redemption's discount, so the offer stays used; the sale's void gives it back.
 */
export function reinstateAfterAward(redemptionId: string, saleTxnId: string): string {
  return `redemption ${redemptionId}: its sale ${saleTxnId} was awarded with its discount, so the offer stays used; `
    + 'void the sale to cancel it and give the offer back';
}
