// Upstream protocol v1: what travels over MQTT between a till and the loyalty host.
// Pure: topic names, envelopes and their validators. Documented in UPSTREAM.md.
import { digestKey, legacyDigestKey } from './digest-key.ts';
import { z } from 'zod';
import { upstreamBasketSchema } from './basket.ts';
import {
  hostRefundResultSchema, hostVoucherRedeemResultSchema, refundPayloadSchema, voucherRedeemPayloadSchema, voucherSchema,
} from './credit.ts';
import { ERROR_CODES } from './errors.ts';
import { SYNC_MODES, identifierKinds, productSchema } from './local.ts';
import { heldOfferSchema, offerPayloadSchemas, redeemResultSchema, reinstateResultSchema } from './offers.ts';
import { currencyCode, freeText, minorUnits, nonEmpty, parseWith, txnId, type ParseResult } from './schema.ts';
import { unitCode } from './units.ts';

export const UPSTREAM_VERSION = 1;
export const DEFAULT_TOPIC_PREFIX = 'till/v1/{merchant}/{store}/{terminal}';
export const DEFAULT_SHARE_GROUP = 'till-hosts';

export interface TillIdentity {
  merchant: string;
  store: string;
  terminal: string;
}

const TOPIC_LEVEL = /^[^/#+\u0000]+$/;

export function isTopicLevel(value: string): boolean {
  return TOPIC_LEVEL.test(value);
}

/** Expand `{merchant}/{store}/{terminal}` placeholders for one till. */
export function tillPrefix(pattern: string, id: TillIdentity): string {
  return pattern
    .replaceAll('{merchant}', id.merchant)
    .replaceAll('{store}', id.store)
    .replaceAll('{terminal}', id.terminal);
}

const PLACEHOLDERS = ['{merchant}', '{store}', '{terminal}'] as const;

/**
 * Why a topic_prefix cannot identify a till, or undefined if it can. Each placeholder must be
 * a whole topic level, exactly once: the host derives the till (its dedup key, its reply topic)
 * from the topic, and the broker's ACL can only confine a till to topics that name all of it.
 */
export function topicPrefixProblem(pattern: string): string | undefined {
  const levels = pattern.split('/');
  const missing = PLACEHOLDERS.filter((p) => !levels.includes(p));
  if (missing.length > 0) return `must contain ${missing.join(', ')} (each a whole topic level): without it tills share topics and the host cannot tell them apart`;
  const repeated = PLACEHOLDERS.filter((p) => levels.filter((l) => l === p).length > 1);
  if (repeated.length > 0) return `must contain ${repeated.join(', ')} only once`;
  const stray = levels.find((l) => /[{}]/.test(l) && !(PLACEHOLDERS as readonly string[]).includes(l));
  if (stray !== undefined) return `"${stray}": placeholders are {merchant}, {store} and {terminal}, each a whole topic level`;
  if (levels.some((l) => l === '')) return 'must not have empty topic levels (leading, trailing or double "/")';
  if (pattern.startsWith('$')) return 'must not start with "$" (reserved by brokers)';
  return undefined;
}

/** The same pattern with placeholders as single-level wildcards, for the host's subscription. */
export function wildcardPrefix(pattern: string): string {
  return pattern.replace(/\{(merchant|store|terminal)\}/g, '+');
}

export const topics = {
  request: (prefix: string) => `${prefix}/req`,
  response: (prefix: string) => `${prefix}/res`,
  status: (prefix: string) => `${prefix}/status`,
  // An empty group means a plain subscription: for brokers without shared subscriptions
  // (the embedded aedes broker of the demo), where only one host may run.
  sharedRequests: (pattern: string, group: string) =>
    group ? `$share/${group}/${wildcardPrefix(pattern)}/req` : `${wildcardPrefix(pattern)}/req`,
};

export const UPSTREAM_OPS = [
  'identify', 'preview', 'award', 'spend', 'void', 'products.sync', 'offers', 'lock', 'unlock', 'redeem', 'reinstate', 'refund', 'voucher.redeem',
] as const;
export type UpstreamOp = (typeof UPSTREAM_OPS)[number];
/** Ops that change money or master data: they travel through the durable outbox, in order. */
export const DURABLE_OPS = [
  'award', 'spend', 'void', 'products.sync', 'redeem', 'reinstate', 'refund', 'voucher.redeem',
] as const satisfies readonly UpstreamOp[];
export type DurableOp = (typeof DURABLE_OPS)[number];

export const payloadSchemas = {
  identify: z.object({ by: z.enum(identifierKinds), value: nonEmpty(256) }),
  preview: z.object({ customer_id: nonEmpty(128), basket: upstreamBasketSchema }),
  award: z.object({
    customer_id: nonEmpty(128),
    basket: upstreamBasketSchema,
    // false when the POS was answered "queued": it deducted no instant or automatic spend, so the
    // host takes none from the wallet. Absent (older tills): the host applies them as computed.
    pos_reduced: z.boolean().optional(),
  }),
  spend: z.object({
    customer_id: nonEmpty(128),
    amount: minorUnits(),
    currency: currencyCode(),
    // true when the till approved the spend itself while offline: the host applies it as is.
    offline: z.boolean(),
    // A named spend (version 2 spend_id): the message's txn_id is spendKey(sale_txn_id, spend_id),
    // so each spend of a sale is its own exactly-once message; the ledger books it on the sale.
    sale_txn_id: txnId().optional(),
    spend_id: txnId().optional(),
  }).refine((p) => (p.sale_txn_id === undefined) === (p.spend_id === undefined), { error: 'sale_txn_id and spend_id go together', path: ['spend_id'] }),
  void: z.object({ reason: freeText(256).optional() }),
  'products.sync': z.object({
    products: z.array(productSchema).min(1).max(1000),
    // Which upload this batch belongs to. A full sync is applied (its deletes) once the host has
    // every batch up to the one marked last; hosts before this field ignore it (no deletes).
    sync: z.object({
      id: nonEmpty(64),
      mode: z.enum(SYNC_MODES),
      batch: z.number().int().min(1).max(1_000_000),
      last: z.boolean(),
    }).optional(),
  }),
  ...offerPayloadSchemas,
  refund: refundPayloadSchema,
  'voucher.redeem': voucherRedeemPayloadSchema,
} as const;

/**
 * The message txn_id of the named spend `spendId` of sale `saleTxnId` (version 2 spend_id): the till's
 * outbox and the host deduplicate by (op, txn_id), so each named spend is applied once, and several
 * spends of one sale are several messages. `sp-` + SHA-256(sale LF spend_id) as protocol/digest-key.ts
 * writes it (no digits: a hex key could read as a card number and be refused by the host).
 */
export function spendKey(saleTxnId: string, spendId: string): string {
  return digestKey('sp-', saleTxnId, spendId);
}

/** spendKey as tills made it before 2026-12-03 (hex): a repeat of a spend committed then is found by it. */
export function legacySpendKey(saleTxnId: string, spendId: string): string {
  return legacyDigestKey('sp-', saleTxnId, spendId);
}

export type UpstreamPayload<O extends UpstreamOp> = z.output<(typeof payloadSchemas)[O]>;

const messageBase = {
  id: nonEmpty(64),
  // The message's place in its till's outbox (strictly increasing in the order sent); present
  // in chained requests (below), ignored by hosts that predate them.
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  txn_id: freeText(128).nullable(),
  created_at: z.string().datetime({ offset: true }),
};

export const upstreamMessageSchema = z.discriminatedUnion('op', [
  z.object({ ...messageBase, op: z.literal('identify'), payload: payloadSchemas.identify }),
  z.object({ ...messageBase, op: z.literal('preview'), payload: payloadSchemas.preview }),
  z.object({ ...messageBase, op: z.literal('award'), payload: payloadSchemas.award }),
  z.object({ ...messageBase, op: z.literal('spend'), payload: payloadSchemas.spend }),
  z.object({ ...messageBase, op: z.literal('void'), payload: payloadSchemas.void }),
  z.object({ ...messageBase, op: z.literal('products.sync'), payload: payloadSchemas['products.sync'] }),
  z.object({ ...messageBase, op: z.literal('offers'), payload: payloadSchemas.offers }),
  z.object({ ...messageBase, op: z.literal('lock'), payload: payloadSchemas.lock }),
  z.object({ ...messageBase, op: z.literal('unlock'), payload: payloadSchemas.unlock }),
  z.object({ ...messageBase, op: z.literal('redeem'), payload: payloadSchemas.redeem }),
  z.object({ ...messageBase, op: z.literal('reinstate'), payload: payloadSchemas.reinstate }),
  z.object({ ...messageBase, op: z.literal('refund'), payload: payloadSchemas.refund }),
  z.object({ ...messageBase, op: z.literal('voucher.redeem'), payload: payloadSchemas['voucher.redeem'] }),
]);
export type UpstreamMessage = z.output<typeof upstreamMessageSchema>;

export const MAX_MESSAGES_PER_REQUEST = 100;
/** A host that answers with `chain` takes this many messages in a chained request. */
export const MAX_CHAINED_MESSAGES = 500;

/**
 * Per-till ordering across host processes (UPSTREAM.md, "Pipelining"). `start`: the till has
 * settled every message before this batch's first. `after`: the batch continues right after
 * the message with that seq; a host applies it only if that is the last one it processed for
 * this till, else it defers and finally refuses it (`chain.accepted: false`, no results).
 */
export const chainSchema = z.union([
  z.strictObject({ start: z.literal(true) }),
  z.strictObject({ after: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
]);
export type Chain = z.output<typeof chainSchema>;

export const upstreamRequestSchema = z.object({
  v: z.literal(UPSTREAM_VERSION),
  request_id: nonEmpty(64),
  // Duplicates the MQTT 5 response topic so a 3.1.1 broker (the embedded one) works too.
  reply_to: nonEmpty(512),
  source: z.object({ merchant: nonEmpty(64), store: nonEmpty(64), terminal: nonEmpty(64) }),
  sent_at: z.string().datetime({ offset: true }),
  chain: chainSchema.optional(),
  messages: z.array(upstreamMessageSchema).min(1).max(MAX_CHAINED_MESSAGES),
});
export type UpstreamRequest = z.output<typeof upstreamRequestSchema>;

export const upstreamErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  // permanent: the host will never accept this message; the till dead-letters it.
  permanent: z.boolean(),
});
export type UpstreamError = z.output<typeof upstreamErrorSchema>;

export const upstreamResultSchema = z.discriminatedUnion('ok', [
  z.object({ id: z.string(), ok: z.literal(true), result: z.record(z.string(), z.unknown()) }),
  z.object({ id: z.string(), ok: z.literal(false), error: upstreamErrorSchema }),
]);
export type UpstreamResult = z.output<typeof upstreamResultSchema>;

export const upstreamResponseSchema = z.object({
  v: z.literal(UPSTREAM_VERSION),
  request_id: z.string(),
  // The host's clock when it answered: tills keep their pruning and cache freshness to it when
  // their own clock steps (agent/till-clock.ts). Optional: older hosts do not send it.
  at: z.string().datetime({ offset: true }).optional(),
  results: z.array(upstreamResultSchema),
  // Only in answers to chained requests. last: seq of the last message of this till the host
  // has processed (null: none yet); accepted false: the batch was refused, nothing applied.
  chain: z.object({ accepted: z.boolean(), last: z.number().int().nullable() }).optional(),
});
export type UpstreamResponse = z.output<typeof upstreamResponseSchema>;

export const tillStatusSchema = z.object({
  state: z.enum(['online', 'offline']),
  version: z.string().optional(),
  at: z.string().optional(),
  outbox: z.object({ pending: z.number(), dead: z.number() }).optional(),
  storage: z.enum(['ok', 'full']).optional(),
  devices: z.array(z.unknown()).optional(),
});
export type TillStatus = z.output<typeof tillStatusSchema>;

export function parseUpstreamRequest(value: unknown): ParseResult<UpstreamRequest> {
  return parseWith(upstreamRequestSchema, value);
}

export function parseUpstreamResponse(value: unknown): ParseResult<UpstreamResponse> {
  return parseWith(upstreamResponseSchema, value);
}

// ---- host results by op (the `result` object of an ok UpstreamResult) ----

export const moneyResult = z.object({ amount: z.number().int(), currency: currencyCode() });
/** A balance or an amount in a wallet's unit: money or points (protocol/units.ts). */
export const unitAmount = z.object({ amount: z.number().int(), currency: unitCode() });
/**
 * The ops the host's backend answers UNSUPPORTED (a platform backend's, host/README.md "Backends"):
 * the till refuses a spend before committing it when listed. Names of ops, unknown ones kept.
 */
const unsupportedOps = z.array(z.string().max(64)).max(64).optional();
/** The currencies the host accepts for baskets: the till refuses others before committing. */
const acceptedCurrencies = z.array(currencyCode()).max(200).optional();

export const identifyResultSchema = z.object({
  customer: z.object({
    id: z.string(), name: z.string(), tier: z.string().optional(), balance: unitAmount,
    // Every wallet (money and points), primary first.
    wallets: z.array(unitAmount).max(20).optional(),
  }),
  offers: z.array(heldOfferSchema).optional(),
  currencies: acceptedCurrencies,
  unsupported_ops: unsupportedOps,
});

const offerAward = z.object({ id: z.string(), name: z.string(), award_amount: z.number().int(), points: unitAmount.optional() });

/** preview's fields, also award's base (award_pending is the last key of each: see awardResultSchema). */
const previewFields = z.object({
  currency: currencyCode(),
  award_amount: z.number().int(),
  instant_spend_amount: z.number().int(),
  automatic_spend_amount: z.number().int(),
  spendable_amount: z.number().int(),
  balance: unitAmount,
  reduction: z.enum(['front_end', 'back_end']),
  offers: z.array(offerAward),
  // Points the purchase earns, per points unit; wallets: every balance (preview: now, award: after).
  points: z.array(unitAmount).max(20).optional(),
  wallets: z.array(unitAmount).max(20).optional(),
  currencies: acceptedCurrencies,
  // SKUs the host does not know: awarded under its default product.
  unknown_skus: z.array(z.string()).max(500).optional(),
});

// award_pending: as in awardResultSchema below, for the award this basket would earn.
export const previewResultSchema = previewFields.extend({ award_pending: z.boolean().optional(), unsupported_ops: unsupportedOps });

export const awardResultSchema = previewFields
  .omit({ spendable_amount: true })
  .extend({
    total_spend_amount: z.number().int(),
    unknown_skus: z.array(z.string()).optional(),
    /** The sale's basket total: spends of the sale are capped by what is left of it. */
    basket_total: z.number().int().optional(),
    // back_end: the redemption is credited as this refund voucher instead (protocol/credit.ts).
    voucher: voucherSchema.optional(),
    // true: the platform computes this sale's award after it answered (SessionM's send_transaction is
    // "an asynchronous flow"), so award_amount 0 and points say "not known yet", not "nothing", and the
    // balance may not count the award yet. Absent (or false): the award is the amounts given. Last in
    // the shape: fast-host-result.ts writes the keys in this order.
    award_pending: z.boolean().optional(),
  });

export const spendResultSchema = z.object({
  currency: currencyCode(),
  spent_amount: z.number().int(),
  balance: moneyResult,
  offline: z.boolean(),
  // An online spend on a back_end sale: credited as this refund voucher (protocol/credit.ts).
  reduction: z.enum(['front_end', 'back_end']).optional(),
  voucher: voucherSchema.optional(),
});

export const voidResultSchema = z.object({
  currency: currencyCode().optional(),
  reversed_award_amount: z.number().int(),
  reversed_spend_amount: z.number().int(),
  balance: unitAmount.optional(),
  reversed_points: z.array(unitAmount).max(20).optional(),
  wallets: z.array(unitAmount).max(20).optional(),
  /** Offers redeemed in the sale, given back to the customer by the void. */
  reinstated_offers: z.array(z.string()).optional(),
  // Refund vouchers of the sale: issued on it (now voided, or already redeemed) or redeemed in it (reinstated).
  vouchers: z.array(voucherSchema.extend({ state: z.enum(['voided', 'redeemed', 'reinstated']) })).optional(),
});

export const productsSyncResultSchema = z.object({
  accepted: z.number().int(),
  // full syncs: whether the host now has the whole catalogue, and (once it has) what it deleted.
  complete: z.boolean().optional(),
  deleted: z.number().int().optional(),
});
export type HostProductsSyncResult = z.output<typeof productsSyncResultSchema>;

export type HostIdentifyResult = z.output<typeof identifyResultSchema>;
export type HostPreviewResult = z.output<typeof previewResultSchema>;
export type HostAwardResult = z.output<typeof awardResultSchema>;
export type HostSpendResult = z.output<typeof spendResultSchema>;
export type HostVoidResult = z.output<typeof voidResultSchema>;

/**
 * The `result` of an ok answer, by durable op: the till checks each answer against its op's schema
 * where it arrives (agent/upstream/host-results.ts) and reads it typed from then on. An ok answer
 * that does not match has still been applied by the host (UPSTREAM.md, "An answer the till
 * cannot read").
 */
export const hostResultSchemas = {
  award: awardResultSchema,
  spend: spendResultSchema,
  void: voidResultSchema,
  'products.sync': productsSyncResultSchema,
  redeem: redeemResultSchema,
  reinstate: reinstateResultSchema,
  refund: hostRefundResultSchema,
  'voucher.redeem': hostVoucherRedeemResultSchema,
} as const satisfies Record<DurableOp, z.ZodType>;

/** The host's result for a message of `op` (a union over every durable op by default). */
export type HostResult<O extends DurableOp = DurableOp> = z.output<(typeof hostResultSchemas)[O]>;

/** The result of an ok answer to a message of `op`, or what in it does not match (fields named, values never echoed). */
export function parseHostResult<O extends DurableOp>(op: O, value: unknown): ParseResult<HostResult<O>> {
  return parseWith(hostResultSchemas[op], value, 'result') as ParseResult<HostResult<O>>;
}
