// Local socket protocol (v1, v2): the contract between a legacy POS and till-agent.
// Pure: frame shapes, op parameter schemas and result types. Documented in LOCAL.md.
import { z } from 'zod';
import { basketSchema, basketSchemaV2 } from './basket.ts';
import { offerParamSchemas, offerParamSchemasV2 } from './offers.ts';
import { refundParamsSchema, voucherRedeemParamsSchema, type Voucher } from './credit.ts';
import { fastAward, fastRequest } from './fast-path.ts';
import { receiptDocumentSchema } from './receipt.ts';
import type { ErrorBody } from './errors.ts';
import type { Money } from './money.ts';
import type { HeldOffer } from './offers.ts';
import { currencyCode, freeText, messageIdOrText, minorUnits, nonEmpty, nonEmptyText, parseWith, signedMinorUnits, txnId, type ParseResult } from './schema.ts';

/**
 * Versions a connection may negotiate with `hello {protocol}`. 1 is the original contract and what a
 * connection speaks until its hello names another; 2 is loyalty contract v1.1 (issue 8). An op whose
 * meaning changes between versions looks at OpsContext.protocol; new ops exist in every version.
 */
export const PROTOCOL_VERSIONS = [1, 2] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];
/** What a connection speaks before (or without) a hello naming a version. */
export const DEFAULT_PROTOCOL: ProtocolVersion = 1;
/** The newest version this agent speaks. */
export const PROTOCOL_VERSION: ProtocolVersion = 2;

export function isProtocolVersion(n: number): n is ProtocolVersion {
  return (PROTOCOL_VERSIONS as readonly number[]).includes(n);
}
/**
 * One request line. 256 KiB so that the largest basket the contract allows (MAX_BASKET_ITEMS, 500
 * items) fits with names and categories: at 64 KiB 500 items of ~130 bytes (a 13-digit SKU, a
 * 20-character name, a category) were FRAME_TOO_LARGE and the connection closed. Still a bound: a
 * connection buffers at most this much of a line.
 */
export const MAX_LINE_BYTES = 256 * 1024;
export const MAX_PRODUCTS_PER_SYNC = 50_000;
export const PRODUCT_BATCH_SIZE = 1000;
export const MAX_DESCRIPTION = 2000;
/** delta: add or update the products sent; full: the products sent are the whole catalogue (others are deleted). */
export const SYNC_MODES = ['delta', 'full'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];

// A numeric id must be a safe integer: 2^53 + 1 would come back as 2^53, matching the wrong request.
const ID_ERROR = `must be a string (at most 128 characters) or an integer between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`;
export const requestIdSchema = z.union([
  z.string().max(128, { error: ID_ERROR }),
  z.number().int({ error: ID_ERROR }).min(Number.MIN_SAFE_INTEGER, { error: ID_ERROR }).max(Number.MAX_SAFE_INTEGER, { error: ID_ERROR }),
], { error: ID_ERROR });
export type RequestId = z.output<typeof requestIdSchema>;

export const requestSchema = z.object({
  id: requestIdSchema,
  op: nonEmptyText(64),
  params: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
});
export type Request = z.output<typeof requestSchema>;

export const identifierKinds = ['card', 'phone', 'email', 'token'] as const;
export type IdentifierKind = (typeof identifierKinds)[number];

const productFields = {
  sku: nonEmptyText(64),
  name: nonEmptyText(256),
  type: freeText(64).optional(),
  brand: freeText(128).optional(),
  family: freeText(128).optional(),
  categories: z.array(freeText(128), { error: 'must be an array of strings' }).max(50, { error: 'must contain at most 50 categories' }).optional(),
  // CRM.COM's product synchronisation carries it ("name, description, category"): kept to the host.
  description: freeText(MAX_DESCRIPTION).optional(),
};
export const productSchema = z.object(productFields);
export type Product = z.output<typeof productSchema>;

/**
 * Version 2: the host stores a product as sent (a field left out is cleared), so a key it does not
 * know (CRM.COM's single `category`, a `price`) would silently clear what the POS meant to set, and
 * a SKU listed twice in one request leaves the catalogue to whichever came last: both are errors.
 */
function skusOnce(products: ReadonlyArray<{ sku: string }>, ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  products.forEach((p, i) => {
    const seen = first.get(p.sku);
    // The SKU is not echoed: positions say enough.
    if (seen !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'sku'], message: `the same SKU as params.products[${seen}]: list each product once` });
    else first.set(p.sku, i);
  });
}

export const EVENT_TOPICS = ['uplink', 'outbox', 'storage', 'device', 'scan', 'scan_error', 'identified', 'print', 'drawer'] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];

const eventTopics = z.array(z.enum(EVENT_TOPICS, { error: `must be one of ${EVENT_TOPICS.join(', ')}` }), { error: 'must be an array of topics' });

function productsSyncSchema(protocol: ProtocolVersion) {
  const products = protocol >= 2 ? z.array(z.strictObject(productFields)).superRefine(skusOnce) : z.array(productSchema);
  const fields = {
    products: products.min(1, { error: 'must contain at least one product' }).max(MAX_PRODUCTS_PER_SYNC, { error: `must contain at most ${MAX_PRODUCTS_PER_SYNC} products` }),
    mode: z.enum(SYNC_MODES, { error: 'must be "delta" or "full"' }).default('delta'),
    // A full catalogue larger than one request line (MAX_LINE_BYTES): the first request answers a sync_id, the
    // next ones name it; every request but the last says more: true.
    sync_id: nonEmptyText(64).optional(),
    more: z.boolean({ error: 'must be true or false' }).default(false),
  };
  return (protocol >= 2 ? z.strictObject(fields) : z.object(fields))
    .refine((p) => p.mode === 'full' || p.sync_id === undefined, { error: 'only a full sync (mode "full") continues over several requests', path: ['sync_id'] })
    .refine((p) => p.mode === 'full' || !p.more, { error: 'only a full sync (mode "full") continues over several requests', path: ['more'] });
}

const SPEAKS = `this agent speaks protocol ${PROTOCOL_VERSIONS.join(' or ')}`;
const SPEND_ID_NEEDS_V2 = 'several spends on one sale need protocol 2: send {"op":"hello","params":{"protocol":2}} first on this connection (protocol 1 has one spend per sale, without spend_id); nothing was committed';

/** Parameter schemas by op. An op missing here is UNKNOWN_OP. */
export const paramSchemas = {
  hello: z.object({
    token: z.string().max(512).optional(),
    // One message for any other value (a string "2", 1.5, null), as LOCAL.md "Versioning" says.
    protocol: z.number({ error: SPEAKS }).int({ error: SPEAKS }).refine(isProtocolVersion, { error: SPEAKS }).optional(),
  }),
  identify: z.object({
    by: z.enum(identifierKinds, { error: `must be one of ${identifierKinds.join(', ')}` }),
    value: nonEmpty(256),
  }),
  preview: z.object({ customer_id: nonEmpty(128), basket: basketSchema }),
  award: z.object({ txn_id: txnId(), customer_id: nonEmpty(128), basket: basketSchema }),
  spend: z.object({
    txn_id: txnId(), customer_id: nonEmpty(128), amount: minorUnits(), currency: currencyCode(),
    // Not dropped as other unknown keys are: a POS naming its spends on a connection that never said
    // hello {protocol: 2} got the first spend's answer for its second one of the same amount, applied
    // once and deducted twice (LOCAL.md, "Several spends on one sale").
    spend_id: z.undefined({ error: SPEND_ID_NEEDS_V2 }).optional(),
  }),
  void: z.object({ txn_id: txnId(), reason: freeText(256).optional() }),
  // Returns and refund vouchers (protocol/credit.ts).
  refund: refundParamsSchema,
  'voucher.redeem': voucherRedeemParamsSchema,
  'products.sync': productsSyncSchema(1),
  'products.status': z.object({ sync_id: nonEmptyText(64) }),
  status: z.object({}),
  'outbox.list': z.object({
    state: z.enum(['pending', 'dead', 'done']).default('dead'),
    limit: z.number().int().min(1).max(1000).default(100),
  }),
  'outbox.retry': z.object({ id: messageIdOrText(64).optional(), all: z.boolean().optional() }).refine(
    (p) => Boolean(p.id) !== Boolean(p.all),
    { error: 'give either id or all: true' },
  ),
  'receipt.print': z.object({
    printer: freeText(64).optional(),
    document: receiptDocumentSchema,
    txn_id: txnId().optional(),
    // The POS's id for this print: the same job_id prints once (unless reprint), across restarts.
    job_id: txnId().optional(),
    reprint: z.boolean().default(false),
    open_drawer: z.boolean().default(false),
  }),
  'drawer.open': z.object({
    printer: freeText(64).optional(),
    pin: z.union([z.literal(0), z.literal(1)], { error: 'must be 0 or 1' }).default(0),
    // Answer once the drawer is closed again (printers with drawer_sensor), at most timeout_ms.
    wait_closed: z.boolean().default(false),
    timeout_ms: z.number().int().min(1000).max(600_000).default(60_000),
  }),
  'printer.status': z.object({ printer: freeText(64).optional() }),
  // Customer display: two rows as given, or the agent's layout of an item and the total.
  'display.show': z.object({
    display: freeText(64).optional(),
    lines: z.array(freeText(200), { error: 'must be an array of lines' }).min(1, { error: 'must contain one or two lines' }).max(2, { error: 'must contain one or two lines' }).optional(),
    item: z.object({ name: freeText(200), amount: signedMinorUnits() }).optional(),
    total: signedMinorUnits().optional(),
    currency: currencyCode().optional(),
  }).refine((p) => (p.lines !== undefined) !== (p.item !== undefined || p.total !== undefined), { error: 'give either lines, or item and/or total with currency' })
    .refine((p) => p.lines !== undefined || p.currency !== undefined, { error: 'currency is required with item or total', path: ['currency'] }),
  'devices.list': z.object({}),
  'scale.read': z.object({ scale: freeText(64).optional(), timeout_ms: z.number().int().min(100).max(30_000).optional() }),
  // data is what a virtual scanner reads: a card in it is masked by the reader, like a real one.
  'devices.scan': z.object({ device: freeText(64).optional(), data: nonEmpty(512) }),
  'events.subscribe': z.object({
    topics: eventTopics.min(1, { error: 'must contain at least one topic' }),
  }),
  'events.unsubscribe': z.object({ topics: eventTopics.optional() }),
  // offers, lock, unlock, redeem, reinstate (protocol/offers.ts)
  ...offerParamSchemas,
} as const;

/**
 * Version 2's schemas where they differ (SessionM "Send Transaction" fidelity, protocol/basket.ts):
 * the basket's `tax_included` is an amount, `payments` and `channel` are carried, and an unknown
 * key anywhere in the params is an error instead of being dropped. Every op that takes a basket
 * is listed here (test/protocol/basket-v2.test.ts checks that none is missed).
 */
export const paramSchemasV2 = {
  // txn_id: the sale the preview is for, so that its locks are its own and every other sale's
  // (this till's too) are left out, as the spend of that sale will (LOCAL.md "Offers held by a customer").
  preview: z.strictObject({ customer_id: nonEmpty(128), basket: basketSchemaV2, txn_id: txnId().optional() }),
  award: z.strictObject({ txn_id: txnId(), customer_id: nonEmpty(128), basket: basketSchemaV2 }),
  // Every other op that takes a basket takes the same strict v2 basket (offers, lock, redeem).
  ...offerParamSchemasV2,
  // Several spends per sale: each names itself with spend_id (its idempotency key within the sale).
  // Without one it is the sale's unnamed spend, keyed by txn_id alone as in version 1 (LOCAL.md).
  spend: z.strictObject({
    txn_id: txnId(), spend_id: txnId().optional(), customer_id: nonEmpty(128), amount: minorUnits(), currency: currencyCode(),
  }),
  // The catalogue: an unknown key (params, product) and a SKU listed twice are errors (productsSyncSchema).
  'products.sync': productsSyncSchema(2),
} as const;

export type Op = keyof typeof paramSchemas;
type V2Op = keyof typeof paramSchemasV2;
export type Params<O extends Op> = O extends V2Op
  ? z.output<(typeof paramSchemas)[O]> | z.output<(typeof paramSchemasV2)[O]>
  : z.output<(typeof paramSchemas)[O]>;
export const OPS = Object.keys(paramSchemas) as Op[];
/** The ops an op handler answers; the connection itself answers hello and the event subscriptions. */
export type HandledOp = Exclude<Op, 'hello' | 'events.subscribe' | 'events.unsubscribe'>;

export function isOp(op: string): op is Op {
  return Object.prototype.hasOwnProperty.call(paramSchemas, op);
}

export function parseParams<O extends Op>(op: O, params: unknown, protocol: ProtocolVersion = DEFAULT_PROTOCOL): ParseResult<Params<O>> {
  // The hot op checked by hand first (protocol/fast-path.ts): the same value, or the schema's errors.
  const fast = op === 'award' ? fastAward(params, protocol >= 2) : undefined;
  if (fast) return { ok: true, value: fast as Params<O> };
  const schema = protocol >= 2 && Object.prototype.hasOwnProperty.call(paramSchemasV2, op) ? paramSchemasV2[op as V2Op] : paramSchemas[op];
  return parseWith(schema, params ?? {}, 'params') as ParseResult<Params<O>>;
}

export function parseRequest(value: unknown): ParseResult<Request> {
  const fast = fastRequest(value);
  return fast ? { ok: true, value: fast } : parseWith(requestSchema, value);
}

// ---- results -------------------------------------------------------------

export interface Customer {
  id: string;
  name: string;
  tier?: string;
  /** The primary wallet: money, or points for a points-only customer. */
  balance: Money;
  /** Every wallet, money and points (PTS), primary first. Absent in a stale (cached) answer. */
  wallets?: Money[];
}

export interface IdentifyResult {
  customer: Customer;
  stale: boolean;
  as_of: string;
  /** The customer's available offers (issued, unexpired); absent when stale. */
  offers?: HeldOffer[];
  /** The ops the host's backend does not offer (the till refuses them UNSUPPORTED); absent when none. */
  unsupported_ops?: string[];
}

export interface OfferAward {
  id: string;
  name: string;
  award_amount: number;
  /** A points offer: the points it gives ({amount, currency: "PTS"}); award_amount is then 0. */
  points?: Money;
}

export type Reduction = 'front_end' | 'back_end';

export interface PreviewResult {
  currency: string;
  award_amount: number;
  instant_spend_amount: number;
  automatic_spend_amount: number;
  spendable_amount: number;
  balance: Money;
  reduction: Reduction;
  offers: OfferAward[];
  /** Points the purchase earns, per points unit. */
  points?: Money[];
  /** Every wallet's balance now. */
  wallets?: Money[];
  /** SKUs the host does not know: an award would count them under its default product. */
  unknown_skus?: string[];
  /** The platform computes the award after the sale (SessionM): award_amount 0 is "not known", as in AwardResult. */
  award_pending?: true;
}

export interface AwardResult {
  /** "voided": version 2, an award repeated after the sale's void. */
  status: 'awarded' | 'queued' | 'voided';
  txn_id: string;
  currency: string;
  award_amount?: number;
  instant_spend_amount?: number;
  automatic_spend_amount?: number;
  /** Version 2: the sale's spends so far (CRM.COM total_additional_spend_amount). */
  additional_spend_amount?: number;
  /** Version 1: instant + automatic. Version 2: instant + additional + automatic (CRM.COM total_spend_amount). */
  total_spend_amount?: number;
  /** Version 1: an award repeated after the sale's void (status stays "awarded"). */
  voided?: true;
  /** Version 2, status "voided": whether the void reached the host yet. */
  void_status?: 'voided' | 'queued';
  reversed_award_amount?: number;
  reversed_spend_amount?: number;
  balance?: Money;
  reduction?: Reduction;
  offers?: OfferAward[];
  /** Points awarded, per points unit. */
  points?: Money[];
  /** Every wallet's balance after the award. */
  wallets?: Money[];
  /** SKUs the host does not know: awarded under its default product (sync them with products.sync). */
  unknown_skus?: string[];
  /** back_end with a redemption: the customer paid in full and is credited this refund voucher. */
  voucher?: Voucher;
  /**
   * The loyalty platform computes this sale's award after answering (SessionM): award_amount 0 and no
   * points mean "not known yet", not "nothing earned"; the balance may not count them yet.
   */
  award_pending?: true;
}

export interface SpendResult {
  status: 'spent' | 'queued';
  txn_id: string;
  /** Version 2: the spend's own id within the sale, when the POS gave one. */
  spend_id?: string;
  currency: string;
  spent_amount: number;
  balance?: Money;
  offline: boolean;
  /** The sale's redemption so far (CRM.COM total_instant/automatic/additional_spend_amount, total_spend_amount). */
  instant_spend_amount?: number;
  automatic_spend_amount?: number;
  additional_spend_amount?: number;
  total_spend_amount?: number;
  /** A spend on a back_end sale: the POS deducts nothing, the customer is credited this voucher. */
  reduction?: Reduction;
  voucher?: Voucher;
}

export interface VoidResult {
  status: 'voided' | 'queued';
  txn_id: string;
  currency?: string;
  reversed_award_amount?: number;
  reversed_spend_amount?: number;
  balance?: Money;
  /** Offers redeemed in the sale (`redeem`), given back to the customer. */
  reinstated_offers?: string[];
  /** Points taken back, per points unit. */
  reversed_points?: Money[];
  wallets?: Money[];
  vouchers?: Array<Voucher & { state: 'voided' | 'redeemed' | 'reinstated' }>;
}

export interface ProductsSyncResult {
  accepted: number;
  batches: number;
  /** Names this upload in its `outbox` progress events ({type: "products", …}) and for products.status. */
  sync_id: string;
  mode: SyncMode;
  /** full: more requests of this catalogue are expected (sent with this sync_id). */
  open: boolean;
}

export interface ProductsBatchStatus {
  batch: number;
  products: number;
  state: 'pending' | 'done' | 'dead';
  accepted?: number;
  /** full: the batch that completed the catalogue at the host says how many products it deleted. */
  deleted?: number;
  error?: unknown;
  /** Delivered, but the host's answer did not match the protocol (UPSTREAM.md "An answer the till cannot read"). */
  result_error?: string;
}

export interface ProductsStatusResult {
  sync_id: string;
  mode: SyncMode;
  /** open: a full sync still expecting requests; pending: batches not yet settled; failed: a batch is a dead letter. */
  state: 'open' | 'pending' | 'done' | 'failed';
  batches: number;
  products: number;
  synced: number;
  /** full: products the host deleted once it had the whole catalogue; null before (and for delta). */
  deleted: number | null;
  results: ProductsBatchStatus[];
}

/** The broker settings the running agent connects with (status, uplink.broker): see uplink-config.ts brokerSettings. */
export interface BrokerSettings {
  /** Without userinfo: never a user name or password. */
  url: string;
  /** SHA-256 (hex) of the uplink.ca / uplink.cert file as the agent read it at start; null without one. */
  ca_sha256: string | null;
  cert_sha256: string | null;
  // The non-secret connect settings (absent from agents before they were added); never the
  // password or the key, nor anything derived from them.
  /** uplink.username; null without one. */
  username?: string | null;
  /** The client id it connects with (uplink.client_id, or the till's default). */
  client_id?: string;
  protocol_version?: 4 | 5;
  reject_unauthorized?: boolean;
}

export interface StatusResult {
  version: string;
  terminal: string;
  /** broker: the settings the running agent connects with (absent from agents before it was added). */
  uplink: { connected: boolean; since: string | null; state: string; last_error: string | null; broker?: BrokerSettings };
  /** unreadable: ok answers of the host that did not match their op's schema (applied, kept as delivered), ever on this till. */
  outbox: { pending: number; oldest_age_s: number | null; dead: number; unreadable: number };
  /** The till's disk: "full" while writes fail (money ops get STORAGE_FULL). */
  storage: { state: 'ok' | 'full'; since: string | null; free_bytes: number | null; last_error: string | null; exclusive: boolean };
  devices: unknown[];
  /**
   * The till's clock (agent/till-clock.ts): "jumped" while the wall clock disagrees with the trusted time
   * or the host's clock, "unconfirmed" after a start with the wall clock ahead until the host confirms it.
   * `jump` is how far and how it was seen (wall − trusted, in ms; positive: the wall clock is ahead).
   */
  clock?: { state: 'synced' | 'unconfirmed' | 'jumped'; trusted: string; wall: string; jump: { offset_ms: number; source: 'start' | 'running' | 'host'; at: string; wall: string } | null };
  /** Offline exposure: spends approved offline and not yet confirmed, time without the host, the limits. */
  offline?: {
    count: number;
    amounts: Money[];
    since: string | null;
    link_confirmed_at: string | null;
    offline_age_s: number;
    limits: { spend_floor_limit: number; total_spend_limit: number; total_spend_count: number; max_age_s: number };
  };
}

export interface OkResponse {
  id: RequestId | null;
  ok: true;
  result: unknown;
}

export interface ErrorResponse {
  id: RequestId | null;
  ok: false;
  error: ErrorBody;
}

export type Response = OkResponse | ErrorResponse;

export interface EventFrame {
  event: EventTopic;
  data: unknown;
}
