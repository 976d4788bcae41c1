// SessionM POS API shapes the connector sends and the simulator accepts, strictly. The request
// container and its idempotency rule follow the reference's "General DTO Definitions"; the
// payloads follow the Lookup, Send Transaction and Discounting pages (search: pages corpus,
// docs.sessionm.com). Where the reference copy is silent, host/README.md says what we assumed.
import { z } from 'zod';

const text = (max = 256) => z.string().min(1).max(max);
const amount = z.number().finite().min(0);

/** Every request: {store_id, client_id, request_id, culture?, request_payload}. */
export const container = <P extends z.ZodType>(payload: P) => z.strictObject({
  store_id: text(64),
  client_id: text(64),
  /** "A given request will only be processed once": the same id returns the first answer. */
  request_id: text(64),
  culture: text(16).optional(),
  request_payload: payload,
});

export const transactionSchema = z.strictObject({
  transaction_id: text(64),
  user_id: text(64).optional(),
  transaction_date: z.string().datetime({ offset: true }),
  subtotal: amount,
  tax_total: amount,
  total: amount,
  // "SessionM does not handle negative amounts for items": amounts are ≥ 0 here. Seed 003: "The
  // tax_included field, which is in the payload's items section, specifies how much tax is
  // associated with the item": an amount (within the item's subtotal), absent when the till does not know it.
  items: z.array(z.strictObject({
    sku: text(64), name: text(256).optional(), quantity: z.number().positive().finite(), price: amount, subtotal: amount,
    tax_included: amount.optional(), category: text(128).optional(),
  }).refine((i) => i.tax_included === undefined || i.tax_included <= i.subtotal, { error: 'more than the item\'s subtotal', path: ['tax_included'] })).min(1).max(500),
  // The POS's payment methods as it names them (protocol 2 basket `payments[].method`, ≤ 64 characters).
  payments: z.array(z.strictObject({ type: text(64), amount })).min(1).max(20),
  discounts: z.array(z.strictObject({ code: text(64), amount })).max(100),
});

export const lookupPayload = z
  .strictObject({
    email: text().optional(),
    phone: z.string().regex(/^\d{4,20}$/, 'numbers only').optional(),
    user_id: text(64).optional(),
    external_customer_id: text(128).optional(),
    transaction: transactionSchema.omit({ transaction_id: true, user_id: true, payments: true }).extend({ transaction_id: text(64).optional() }).optional(),
  })
  .refine((p) => [p.email, p.phone, p.user_id, p.external_customer_id].filter((v) => v !== undefined).length === 1,
    'give exactly one of email, phone, user_id, external_customer_id');

/**
 * Lock Offer and Immediate Redeem (reference, "Discounting"): "offer_lookup_code … Lookup code for the
 * offer", "offer_lookup_type … Valid values are "TTLCode" and "UserOfferId"", and "transaction …
 * Transaction to which this discount is being applied" — all three required.
 */
export const discountPayload = z.strictObject({
  offer_lookup_code: text(64),
  offer_lookup_type: z.enum(['TTLCode', 'UserOfferId']),
  transaction: transactionSchema,
});
/** Unlock Offer and Reinstate Offer (reference): the user offer and the employee who triggered it. */
export const offerAction = z.strictObject({ user_offer_id: text(64), employee_id: text(64) });

export const lookupRequest = container(lookupPayload);
export const sendTransactionRequest = container(transactionSchema);
export const discountRequest = container(discountPayload);
export const offerActionRequest = container(offerAction);

// ---- answers ----

/**
 * General Response Container: "status … The status code for the response. For successful API calls,
 * this will be "OK"", "payload" optional, and "errors … If status is not "OK", this property contains
 * error details and validation details for the given API", whose fields the reference does not give
 * (SessionM's generic error example is {"status": "error", "errors": {"code": "requires_registered_user"}}:
 * a code and no message). client.ts reads a code and a message where there are.
 */
export const responseSchema = z.object({
  status: z.string(),
  payload: z.unknown().optional(),
  errors: z.unknown().optional(),
});

export const offerData = z.object({
  user_offer_id: z.string(), name: z.string(), discount_amount: z.number().optional(), status: z.enum(['available', 'locked', 'redeemed']),
});
export const lookupData = z.object({
  user: z.object({ id: z.string(), first_name: z.string(), last_name: z.string(), tier: z.string().nullable().optional() }),
  available_points: z.number().int(),
  offers: z.array(offerData),
});
/**
 * Lock Offer and Immediate Redeem both answer "the Discount object" (reference), whose fields the copy
 * does not give. A lock reads nothing from it (the lock's length is SessionM's default, seed 003: 15
 * minutes; a lock expiry is not a discount's field); a redeem needs its name and amount (assumed).
 */
export const lockData = z.object({}).passthrough();
export const redeemData = z.object({ user_offer_id: z.string(), name: z.string(), discount_amount: z.number() });
/**
 * Send Transaction's answer. The reference documents no payload for it, and the points are not known
 * when SessionM answers: "This is an asynchronous flow" (Finalize and Send Purchase Transaction), whose
 * sequence is "Enqueue transaction job", "Return success message", then the economy and campaign rule
 * outcomes (Send Return Transaction). So a success is the container's status "OK" with any payload or
 * none, and nothing is read from it (points_earned and available_points were required: every award
 * SessionM answered without them was a garbled answer, resent for ever although applied).
 */
export const sendTransactionData = z.unknown();
