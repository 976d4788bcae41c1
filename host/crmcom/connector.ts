// Till ops → CRM.COM Rewards Web API v2 (mapping table: host/README.md, "Backends").
//
//   identify       rewards_participants/show (fields_set: what the till shows), then
//                  wallets/get_balance for the balance (the participant object has none)
//   preview        customer_events/purchases/preview
//   award          customer_events/purchases/create   reference = f(till, txn_id): one purchase per sale,
//                  then wallets/get_balance;
//                  pos_reduced: false → its instant/automatic spend requests cancelled (list + cancel)
//   spend          customer_events/spend_requests/list of the participant, those settling that
//                  purchase (what is left to pay on the sale, sale-spends.ts),
//                  customer_events/spend_requests/create on it, then wallets/get_balance
//   void           customer_events/spend_requests/list of the participant recorded with the award
//                  (pages of 50), …/spend_requests/cancel each of the purchase's, then
//                  customer_events/purchases/cancel, then wallets/get_balance (best effort)
//   products.sync  products/synchronise (≤ 1,000 products a call); a full catalogue's products no
//                  longer listed: products/synchronise with product_validity_to (retireProducts)
import { normaliseIdentifier } from '../../protocol/identifiers.ts';
import type { z } from 'zod';
import type { Basket, BasketItem } from '../../protocol/basket.ts';
import { AgentError } from '../../protocol/errors.ts';
import {
  UPSTREAM_OPS, type HostAwardResult, type HostIdentifyResult, type HostPreviewResult, type HostSpendResult, type HostVoidResult,
  type UpstreamMessage, type UpstreamOp,
} from '../../protocol/upstream.ts';
import { unsupportedError, type OpCheck, type PlatformCheck } from '../backend.ts';
import type { Logger } from '../../runtime/log.ts';
import type { Connector, OpContext } from '../platform/connector.ts';
import { fromDecimal, toDecimal } from '../platform/decimal.ts';
import { PlatformError, isPlatformError, isRefusal } from '../platform/errors.ts';
import { platformRequestId } from '../platform/request-id.ts';
import type { CrmcomClient } from './client.ts';
import type { CrmcomConfig } from './config.ts';
import { RECORDED_SALE_KEY, recordedSale, spendBound, type RecordedSale } from './sale-spends.ts';
import {
  MAX_PRODUCTS_PER_SYNC, MAX_RESULTS_PER_PAGE, listedPurchases, participantData, previewData, walletBalanceData, purchaseCancelData, purchaseData, spendCancelData, spendData, synchroniseData,
} from './wire.ts';

const EXTERNAL_SYSTEM = 'till-agent';
/** What --check-backend and doctor name: a participant and a purchase reference no one has. */
const CHECK_ID = 'till-agent-check-backend';
const IDENTIFY_FIELDS = 'id,accounts_receivable,currency,reward_tier';
/**
 * A sale's customer events are submitted after it, less this margin. The lists' submitted_after_date
 * is a wall time CRM.COM reads in the unit's time zone, written in the host's `timezone` (UTC by
 * default): a host left at UTC for a unit in New York named, with an hour's margin, a time four
 * hours after the sale and hid its events (a spend's resend not found, a void
 * cancelling none of its spend requests). 26 hours covers any two zones' offset (UTC−12 to UTC+14),
 * daylight saving and clock skew; it costs only the participant's events of the day before the sale.
 */
const SUBMISSION_SKEW_MS = 26 * 3600_000;

type Spend = z.output<typeof spendData>;

/** A sale's purchase at CRM.COM, as listing its spend requests needs it. */
interface SalePurchase {
  /** The rewards participant the purchase was made for: the owner the list names. */
  participant: string;
  /** The purchase customer event's id, when known (posted by this host and recorded with the award). */
  id: string | undefined;
  /** Its external_system_reference_number: purchaseReference(till, txn_id). */
  reference: string;
  /** The sale's created_at (ISO): its purchase and spend requests are submitted after it. */
  createdAt: string;
}

/**
 * When a sale's events can have been submitted from: the till's created_at, or the host's clock
 * when the till's is ahead of it (a till whose clock runs a day ahead would otherwise have every
 * list look after its events: a spend's resend not found, a void cancelling none of them).
 */
const saleStart = (createdAt: string): string => (Date.parse(createdAt) > Date.now() ? new Date().toISOString() : createdAt);

/** The unit-local date `iso` less the submission skew: the submitted_after_date of a sale's events. */
const submittedAfter = (iso: string, timezone: string) => localDate(new Date(Date.parse(iso) - SUBMISSION_SKEW_MS).toISOString(), timezone);

/** A spend request CRM.COM made itself on a purchase: an instant spend (R12.6) or an automatic one (R13). */
const isPlatformSpend = (s: Spend) => s.instant_spend === true || s.automatic_spend === true;

/** Whether a listed spend request settles the sale's purchase (its purchase_customer_event's id, or reference when it carries one). */
function settles(s: Spend, sale: SalePurchase): boolean {
  const p = s.purchase_customer_event;
  if (!p) return false;
  return (sale.id !== undefined && p.id === sale.id) || p.external_system_reference_number === sale.reference;
}

export interface CrmcomSettings {
  timezone: string;
}

type Msg<O extends UpstreamOp> = Extract<UpstreamMessage, { op: O }>;

/** CRM.COM dates are the unit's local time without offset: the till's created_at in the host's time zone. */
export function localDate(iso: string, timezone: string): string {
  const parts: Record<string, string> = {};
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
  for (const p of f.formatToParts(new Date(iso))) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

/** The purchase of a sale: the same (till, txn_id) always names the same purchase customer event. */
export function purchaseReference(terminal: string, txnId: string): string {
  return platformRequestId(terminal, 'purchase', txnId);
}

/**
 * A basket item as the reference's purchase customer event product: net_amount, vat_amount and
 * total_amount, all three mandatory. The item's amount is its total; a protocol 2 item's
 * tax_included is the tax inside it (seed 003); a protocol 1 item says only whether tax is included,
 * not how much: VAT 0, net = total.
 */
export function productLine(item: BasketItem, currency: string): Record<string, unknown> {
  const vat = typeof item.tax_included === 'number' ? item.tax_included : 0;
  return {
    product_identifier: { code: item.sku }, quantity: item.qty,
    net_amount: toDecimal(item.amount - vat, currency), vat_amount: toDecimal(vat, currency), total_amount: toDecimal(item.amount, currency),
  };
}

const numberOrUndefined = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * A create CRM.COM refused: the event it already holds under the request's reference (`find`) is
 * the answer — the reference calls external_system_reference_number "unique" without saying what
 * a repeat answers. Nothing held, or the look-up refused in turn: the create's own refusal stands;
 * a look-up failing transiently stays transient (the resend looks again). Other failures pass.
 */
async function heldOnRefusal<T>(error: unknown, find: () => Promise<T | undefined>): Promise<T> {
  if (!(isPlatformError(error) && error.kind === 'rejected')) throw error;
  const held = await find().catch((lookup: unknown) => {
    if (isRefusal(lookup)) return undefined;
    throw lookup;
  });
  if (held === undefined) throw error;
  return held;
}

function requireTxn(message: UpstreamMessage): string {
  if (!message.txn_id) throw new AgentError('BAD_REQUEST', `txn_id: ${message.op} needs a txn_id`, false);
  return message.txn_id;
}

const NO_HELD_OFFERS = 'CRM.COM reward offers are not held by the customer: they apply automatically to each purchase (purchases/preview and purchases/create report the totals)';

export const CRMCOM_UNSUPPORTED: Partial<Record<UpstreamOp, string>> = {
  offers: NO_HELD_OFFERS,
  lock: `${NO_HELD_OFFERS}; nothing to lock`,
  unlock: `${NO_HELD_OFFERS}; nothing to unlock`,
  redeem: `${NO_HELD_OFFERS}; the wallet is spent with spend (spend_requests/create)`,
  reinstate: `${NO_HELD_OFFERS}; a void cancels the purchase and its spend requests`,
  // What the Web API v2 reference (crmdevelopment.atlassian.net) offers for returns: the
  // token-based customer_events/purchases/cancel for one whole posted purchase (the till's void);
  // POST /purchases/ad_hoc_return ("ad hoc return of physical goods without a purchase customer
  // event identifier. No purchase customer event will be cancelled") in the newer api_key API
  // family, not the token API this connector speaks; wallet_transactions/create (credit, debit or
  // reimburse of a tenant-defined type, keyed by nothing the caller gives but notes/udf fields).
  refund: 'not mapped: the CRM.COM Web API v2 cancels a whole posted purchase only (customer_events/purchases/cancel, the till\'s void); partial returns are /purchases/ad_hoc_return of the newer api_key API, and wallet_transactions/create carries no reference to make a resend idempotent',
  'voucher.redeem': 'refund vouchers (RV-…) are the ledger backend\'s back-end reduction; with CRM.COM a BACK_END_REDUCTION is credited by CRM.COM itself, and its own vouchers are used with vouchers/use (secret number and accounts receivable, making a payment), not a loyalty wallet operation',
};

export class CrmcomConnector implements Connector {
  readonly name = 'crmcom' as const;
  readonly unsupported: Partial<Record<UpstreamOp, string>> = CRMCOM_UNSUPPORTED;

  constructor(
    private readonly client: CrmcomClient,
    private readonly config: CrmcomConfig,
    private readonly settings: CrmcomSettings,
    private readonly log: Logger,
  ) {}

  execute(message: UpstreamMessage, ctx: OpContext): Promise<Record<string, unknown>> {
    switch (message.op) {
      case 'identify': return this.identify(message);
      case 'preview': return this.preview(message);
      case 'award': return this.award(message, ctx);
      case 'spend': return this.spend(message, ctx);
      case 'void': return this.voidTxn(message, ctx);
      case 'products.sync': return this.productsSync(message);
      default: throw unsupportedError(this.name, (message as { op: string }).op, 'not mapped to a CRM.COM method');
    }
  }

  private money(value: number, currency: string, field: string): number {
    const minor = fromDecimal(value, currency);
    if (minor === undefined) throw new PlatformError('crmcom', 'bad_response', `${field}: ${value} is not an amount in ${currency}`);
    return minor;
  }

  private async identify(m: Msg<'identify'>): Promise<HostIdentifyResult> {
    const value = normaliseIdentifier(m.payload.by, m.payload.value);
    const identifier = m.payload.by === 'email' ? { email_address: value }
      : m.payload.by === 'phone' ? { phone_number: value }
        : { access_token_identifier: { authentication_code: value } };
    const p = await this.client.call('rewards_participants/show', { rewards_participant_identifier: identifier, fields_set: IDENTIFY_FIELDS }, participantData)
      .catch((error: unknown) => {
        // Never echo the identifier: it is a card number, phone or email.
        if (isPlatformError(error) && error.kind === 'not_found') throw new AgentError('NOT_FOUND', `no customer with this ${m.payload.by}`, false);
        throw error;
      });
    if (p.id === undefined) throw new PlatformError('crmcom', 'bad_response', 'rewards_participants/show: id missing');
    const currency = p.currency?.code ?? this.config.currency;
    const tier = p.reward_tier?.reward_tier?.name;
    return {
      customer: {
        id: p.id, name: p.accounts_receivable?.name ?? '', ...(tier ? { tier } : {}),
        balance: { amount: await this.balance(p.id, currency), currency },
      },
    };
  }

  private purchaseBody(customerId: string, basket: Basket, createdAt: string): Record<string, unknown> {
    const c = basket.currency;
    const discount = (basket.discounts ?? []).reduce((s, d) => s + d.amount, 0);
    return {
      rewards_participant_identifier: { id: customerId },
      performed_by_unit_identifier: { id: this.config.performed_by_unit },
      performed_on: localDate(createdAt, this.settings.timezone),
      intended_currency_identifier: { code: c },
      total_amount: toDecimal(basket.total, c),
      ...(discount > 0 ? { discount_amount: toDecimal(discount, c) } : {}),
      products_set: basket.items.map((i) => productLine(i, c)),
    };
  }

  private reduction(method: 'FRONT_END_REDUCTION' | 'BACK_END_REDUCTION'): 'front_end' | 'back_end' {
    return method === 'BACK_END_REDUCTION' ? 'back_end' : 'front_end';
  }

  private async preview(m: Msg<'preview'>): Promise<HostPreviewResult> {
    const { basket } = m.payload;
    const c = basket.currency;
    const d = await this.client.call('customer_events/purchases/preview', this.purchaseBody(m.payload.customer_id, basket, m.created_at), previewData);
    return {
      currency: c,
      award_amount: this.money(d.total_award_amount, c, 'total_award_amount'),
      instant_spend_amount: this.money(d.total_instant_spend_amount, c, 'total_instant_spend_amount'),
      automatic_spend_amount: this.money(d.total_automatic_spend_amount, c, 'total_automatic_spend_amount'),
      spendable_amount: this.money(d.total_additional_spend_amount, c, 'total_additional_spend_amount'),
      balance: {
        amount: typeof d.wallet_balance === 'number' ? this.money(d.wallet_balance, this.config.currency, 'wallet_balance') : await this.balance(m.payload.customer_id),
        currency: this.config.currency,
      },
      reduction: this.reduction(d.reduction_method),
      // CRM.COM's preview gives totals, not the offers behind them.
      offers: [],
    };
  }

  private async award(m: Msg<'award'>, ctx: OpContext): Promise<HostAwardResult & { [RECORDED_SALE_KEY]: RecordedSale }> {
    const txnId = requireTxn(m);
    const { basket } = m.payload;
    const c = basket.currency;
    const d = await this.client.call('customer_events/purchases/create', {
      ...this.purchaseBody(m.payload.customer_id, basket, m.created_at),
      external_system: EXTERNAL_SYSTEM,
      external_system_reference_number: purchaseReference(ctx.terminal, txnId),
    }, purchaseData).catch((error: unknown) =>
      // A refusal of a purchase CRM.COM already posted under this sale's reference (an award resent
      // after a lost answer, or retried within the call): the posted purchase is the answer.
      heldOnRefusal(error, () => this.postedPurchase(m.payload.customer_id, purchaseReference(ctx.terminal, txnId), saleStart(m.created_at))));
    let instant = this.money(d.total_instant_spend_amount, c, 'total_instant_spend_amount');
    let automatic = this.money(d.total_automatic_spend_amount, c, 'total_automatic_spend_amount');
    let totalSpend = this.money(d.total_spend_amount, c, 'total_spend_amount');
    const sale: SalePurchase = { participant: m.payload.customer_id, id: d.id, reference: purchaseReference(ctx.terminal, txnId), createdAt: saleStart(m.created_at) };
    // CRM.COM's own spend requests on the purchase (listed once, when it made any).
    const platformSpends = instant + automatic > 0 ? (await this.listSpends(sale)).ofPurchase.filter(isPlatformSpend) : [];
    // The purchase object lists no reduction_method; its instant and automatic spend requests carry
    // theirs (R13): back end if one of them says so. None of them, or none saying: the reference's
    // default, the front end.
    const reduction = this.reduction(d.reduction_method
      ?? (platformSpends.some((s) => s.reduction_method === 'BACK_END_REDUCTION') ? 'BACK_END_REDUCTION' : 'FRONT_END_REDUCTION'));
    // The POS was answered "queued" and deducted nothing: the wallet must not pay the instant and
    // automatic spends CRM.COM made on the purchase. A back-end reduction is credited by CRM.COM
    // whatever the POS was told (as in the ledger: queued-award.ts).
    if (m.payload.pos_reduced === false && reduction === 'front_end' && instant + automatic > 0) {
      await this.cancelPosted(sale, platformSpends);
      this.log.info({ platform: 'crmcom', terminal: ctx.terminal, txn_id: txnId, instant, automatic }, 'queued award: instant and automatic spends cancelled at CRM.COM');
      instant = 0;
      automatic = 0;
      totalSpend = 0;
    }
    // The purchase answer carries no wallet balance (the guide names only its total_* amounts).
    const balance = await this.balance(m.payload.customer_id);
    return {
      currency: c,
      award_amount: this.money(d.total_awarded_amount, c, 'total_awarded_amount'),
      instant_spend_amount: instant,
      automatic_spend_amount: automatic,
      total_spend_amount: totalSpend,
      balance: { amount: balance, currency: this.config.currency },
      reduction,
      offers: [],
      basket_total: basket.total,
      // For the sale's spends and void (sale-spends.ts): whose spend requests to list, and which settle this purchase.
      [RECORDED_SALE_KEY]: { participant_id: sale.participant, purchase_id: d.id, created_at: sale.createdAt },
    };
  }

  /**
   * The participant's purchase customer event with this external_system_reference_number, if CRM.COM
   * holds one: customer_events/purchases/list by rewards_participant_identifier (one of its
   * semi-optional identifiers is mandatory), submitted after the sale less the margin (SUBMISSION_SKEW_MS)
   * (a sale is submitted after it is made), pages of 50, oldest first.
   */
  private async postedPurchase(customerId: string, reference: string, createdAt: string): Promise<z.output<typeof purchaseData> | undefined> {
    const found = await this.listedPurchase(customerId, reference, createdAt);
    if (!found) return undefined;
    const d = purchaseData.safeParse(found);
    if (!d.success) throw new PlatformError('crmcom', 'bad_response', `customer_events/purchases/list: unexpected purchase (${d.error.issues[0]?.path.join('.') ?? ''})`);
    return d.data;
  }

  /** The purchase object purchases/list answers for this participant and reference (see postedPurchase), as listed. */
  private async listedPurchase(customerId: string, reference: string, createdAt: string): Promise<z.output<typeof listedPurchases>[number] | undefined> {
    const after = submittedAfter(createdAt, this.settings.timezone);
    for (let offset = 0; ; offset += MAX_RESULTS_PER_PAGE) {
      const page = await this.client.call('customer_events/purchases/list', {
        rewards_participant_identifier: { id: customerId }, submitted_after_date: after, number_of_results: MAX_RESULTS_PER_PAGE, offset,
      }, listedPurchases);
      const found = page.find((p) => p.external_system_reference_number === reference);
      if (found) return found;
      if (page.length < MAX_RESULTS_PER_PAGE) return undefined;
    }
  }

  /** The participant's wallet balance (wallets/get_balance, in the wallet's currency), in minor units. */
  private async balance(customerId: string, currency = this.config.currency): Promise<number> {
    const w = await this.client.call('wallets/get_balance', { rewards_participant_identifier: { id: customerId }, fields_set: 'id,balance' }, walletBalanceData);
    return this.money(w.balance, currency, 'balance');
  }

  private async spend(m: Msg<'spend'>, ctx: OpContext): Promise<HostSpendResult> {
    // A named spend (several per sale, protocol 2 spend_id) carries its sale in sale_txn_id and its
    // own key as the message txn_id: it is spent on the sale's purchase under its own reference.
    const saleTxn = (m.payload as { sale_txn_id?: unknown }).sale_txn_id;
    const txnId = typeof saleTxn === 'string' && saleTxn !== '' ? saleTxn : requireTxn(m);
    const { payload } = m;
    if (payload.currency !== this.config.currency) {
      throw new AgentError('BAD_REQUEST', `currency: ${payload.currency} is not the CRM.COM wallet currency ${this.config.currency}`, false);
    }
    const purchaseRef = purchaseReference(ctx.terminal, txnId);
    const recordedAward = ctx.recorded('award', txnId);
    const recorded = recordedSale(recordedAward);
    // The spend's own participant names the list; the sale's purchase id and time come from its
    // recorded award (a sale not awarded here: the spend's time, its purchase told by reference).
    const sale: SalePurchase = { participant: payload.customer_id, id: recorded?.purchase_id, reference: purchaseRef, createdAt: recorded?.created_at ?? saleStart(m.created_at) };
    const balance = async () => ({ amount: await this.balance(payload.customer_id), currency: payload.currency });
    // Our own reference is unique: a spend request under it is this spend's, whatever it settles.
    const held = (listed: { all: readonly Spend[] }) => listed.all.find((s) => s.external_system_reference_number === ctx.requestId);
    const answer = (d: Spend) => this.spent(d, payload, ctx, txnId, balance);
    const listed = await this.listSpends(sale);
    // A resend of a spend CRM.COM already holds (its answer was lost, or the host died before
    // recording it): answered from that event, never created again. The reference calls
    // external_system_reference_number "unique" without saying what a repeat answers (the first
    // event, or a refusal that would dead-letter a spend CRM.COM applied).
    const existing = held(listed);
    if (existing) return answer(existing);
    // Offline spends are applied as the till approved them (it bounded them by the sale itself).
    const ask = payload.offline ? payload.amount : spendBound(payload.amount, {
      basketTotal: numberOrUndefined(recordedAward?.basket_total),
      voided: ctx.recorded('void', txnId) !== undefined,
    }, listed.ofPurchase.map((s) => ({
      reference: s.external_system_reference_number ?? null, posted: s.life_cycle_state === 'POSTED', amount: this.money(s.spend_amount, payload.currency, 'spend_amount'),
    })), ctx.requestId);
    // Nothing left to pay: no spend request (a voided sale's purchase takes none).
    if (ask === 0) return { currency: payload.currency, spent_amount: 0, balance: await balance(), offline: payload.offline };
    const d = await this.client.call('customer_events/spend_requests/create', {
      rewards_participant_identifier: { id: payload.customer_id },
      performed_by_unit_identifier: { id: this.config.performed_by_unit },
      performed_on: localDate(m.created_at, this.settings.timezone),
      purchase_customer_request_identifier: { external_system_reference_number: purchaseRef },
      intended_currency_identifier: { code: payload.currency },
      spend_amount: toDecimal(ask, payload.currency),
      external_system: EXTERNAL_SYSTEM,
      external_system_reference_number: ctx.requestId,
    }, spendData).catch((error: unknown) =>
      // Refused after a retry of this very call (the first attempt applied, its answer lost)? Then
      // CRM.COM holds the spend under its reference: that event is the answer, not a dead letter.
      heldOnRefusal(error, async () => held(await this.listSpends(sale))));
    return answer(d);
  }

  private async spent(
    d: z.output<typeof spendData>, payload: Msg<'spend'>['payload'], ctx: OpContext, txnId: string,
    balance: () => Promise<{ amount: number; currency: string }>,
  ): Promise<HostSpendResult> {
    const spent = this.money(d.spend_amount, payload.currency, 'spend_amount');
    if (payload.offline && spent < payload.amount) {
      this.log.warn({ platform: 'crmcom', terminal: ctx.terminal, txn_id: txnId, asked: payload.amount, spent }, 'offline spend only partly honoured by CRM.COM');
    }
    return { currency: payload.currency, spent_amount: spent, balance: await balance(), offline: payload.offline };
  }

  /**
   * The sale's spend requests. customer_events/spend_requests/list has no purchase filter and needs
   * exactly one of its semi-optional owners (participant, accounts receivable, classification:
   * "It is mandatory to specify one of the semi-optional parameters"): the participant's spend
   * requests submitted since the sale (less SUBMISSION_SKEW_MS), ≤ 50 per call, oldest first; those
   * settling the sale's purchase are `ofPurchase`, `all` keeps the others (a reference is found
   * whatever it settles). A NOT_FOUND list is taken as empty (the probes already read it so).
   */
  private async listSpends(sale: SalePurchase): Promise<{ all: Spend[]; ofPurchase: Spend[] }> {
    const all: Spend[] = [];
    const after = submittedAfter(sale.createdAt, this.settings.timezone);
    for (let offset = 0; ; offset += MAX_RESULTS_PER_PAGE) {
      const page = await this.client.call('customer_events/spend_requests/list', {
        rewards_participant_identifier: { id: sale.participant }, submitted_after_date: after, number_of_results: MAX_RESULTS_PER_PAGE, offset,
      }, spendData.array()).catch((error: unknown) => {
        if (isPlatformError(error) && error.kind === 'not_found') return [];
        throw error;
      });
      all.push(...page);
      if (page.length < MAX_RESULTS_PER_PAGE) break;
    }
    const unlinked = all.filter((s) => s.purchase_customer_event?.id === undefined && typeof s.purchase_customer_event?.external_system_reference_number !== 'string').length;
    if (unlinked > 0) {
      // Without the link a sale's spend requests cannot be told from the participant's others: its
      // void would leave them posted. Said once per list, for the operator to raise with CRM.COM.
      this.log.warn({ platform: 'crmcom', unlinked }, 'customer_events/spend_requests/list: spend requests without their purchase_customer_event; they are not counted as the sale\'s');
    }
    return { all, ofPurchase: all.filter((s) => settles(s, sale)) };
  }

  /**
   * Cancels the posted ones of the sale's `spends` (spend_requests/cancel by id); returns the amount
   * given back (their spend_amount as cancelled). The cancel "can be applied only on posted spend
   * request customer events": one refused after a retry of this very call (the first attempt
   * applied, its answer lost) is answered from the event the sale's list then shows cancelled.
   */
  private async cancelPosted(sale: SalePurchase, spends: readonly Spend[]): Promise<number> {
    let reversed = 0;
    for (const s of spends) {
      if (s.life_cycle_state !== 'POSTED') continue;
      const d = await this.client.call('customer_events/spend_requests/cancel', { customer_event_identifier: { id: s.id } }, spendCancelData)
        .catch((error: unknown) => heldOnRefusal(error, async () =>
          (await this.listSpends(sale)).ofPurchase.find((x) => x.id === s.id && x.life_cycle_state === 'CANCELLED')));
      reversed += this.money(d.spend_amount, this.config.currency, 'spend_amount');
    }
    return reversed;
  }

  private async voidTxn(m: Msg<'void'>, ctx: OpContext): Promise<HostVoidResult> {
    const txnId = requireTxn(m);
    const purchaseRef = purchaseReference(ctx.terminal, txnId);
    const purchase = { external_system_reference_number: purchaseRef };
    const c = this.config.currency;
    // The void names no customer: the participant whose spend requests to list is the one its
    // award recorded (in the host's store, so after a restart or on another host of the fleet too).
    const recordedAward = ctx.recorded('award', txnId);
    const recorded = recordedSale(recordedAward);
    if (!recorded && recordedAward) {
      this.log.warn({ platform: 'crmcom', terminal: ctx.terminal, txn_id: txnId }, 'void: the sale\'s award was recorded without its participant (a host before crmcom_sale): its spend requests cannot be listed; only the purchase is cancelled');
    }
    const sale: SalePurchase | undefined = recorded
      ? { participant: recorded.participant_id, id: recorded.purchase_id, reference: purchaseRef, createdAt: recorded.created_at }
      : undefined;
    // Every spend request settled on the purchase (the POS's, and CRM.COM's instant and automatic ones).
    const spends = sale ? (await this.listSpends(sale)).ofPurchase : [];
    const events = spends.length;
    const cancelledNow = sale ? await this.cancelPosted(sale, spends) : 0;
    const alreadyCancelled = spends.filter((s) => s.life_cycle_state === 'CANCELLED');
    // A void sent again after its purchase cancel failed finds the spends its first attempt
    // cancelled: they are this void's too. Only a void cancels a POS spend. CRM.COM's instant and
    // automatic ones are also cancelled by a queued award (pos_reduced: false), which then answered
    // 0 of them: they count only when the recorded award says the sale had them.
    const saleHadPlatformSpends = Number(recordedAward?.instant_spend_amount ?? 0) + Number(recordedAward?.automatic_spend_amount ?? 0) > 0;
    const reversed = cancelledNow + alreadyCancelled
      .filter((s) => saleHadPlatformSpends || !isPlatformSpend(s))
      .reduce((sum, s) => sum + this.money(s.spend_amount, c, 'spend_amount'), 0);
    try {
      await this.client.call('customer_events/purchases/cancel', { customer_event_identifier: purchase }, purchaseCancelData)
        // The cancel "can be applied only to posted purchase customer events": a void sent again
        // after CRM.COM cancelled the purchase (its answer lost, or the host died before recording
        // the void) is refused; the purchase the participant's list shows cancelled under the
        // sale's reference is the answer, not a dead letter of a void CRM.COM applied.
        .catch((error: unknown) => (sale ? heldOnRefusal(error, async () => {
          const listed = await this.listedPurchase(sale.participant, sale.reference, sale.createdAt);
          return listed?.life_cycle_state === 'CANCELLED' ? listed : undefined;
        }) : Promise.reject(error)));
    } catch (error) {
      if (isPlatformError(error) && error.kind === 'not_found' && events === 0) {
        throw new AgentError('NOT_FOUND', `nothing to void for txn ${m.txn_id}`, false);
      }
      if (reversed > 0) this.log.warn({ platform: 'crmcom', txn_id: m.txn_id }, 'void: spends cancelled but the purchase not (yet); the till resends');
      throw error;
    }
    // The cancel answers the cancelled event, not the award it takes back nor the balance: the award
    // is the one this host recorded for the sale.
    const award = recordedAward?.award_amount;
    if (typeof award !== 'number') this.log.warn({ platform: 'crmcom', txn_id: m.txn_id }, 'void: the sale\'s award is not recorded here; reversed_award_amount reported 0');
    const balance = sale ? await this.balanceAfterVoid(sale.participant, m.txn_id) : undefined;
    return { reversed_award_amount: typeof award === 'number' ? award : 0, reversed_spend_amount: reversed, currency: c, ...(balance !== undefined ? { balance: { amount: balance, currency: c } } : {}) };
  }

  /**
   * The wallet after a void, of the participant its award recorded (the void names no customer). Without
   * it the till kept the balance from before the void (its cache): the receipt of the voided sale printed
   * "New balance" without the spends given back, a repeated award said so too, and an offline spend
   * counted on a balance that still held the award the void took back. Best effort: the void is applied
   * at CRM.COM; a balance it cannot read is left out, as before (logged).
   */
  private async balanceAfterVoid(participant: string, txnId: string | null): Promise<number | undefined> {
    try {
      return await this.balance(participant);
    } catch (error) {
      this.log.warn({ platform: 'crmcom', txn_id: txnId, error: error instanceof Error ? error.message : String(error) }, 'void: applied, but the balance after it could not be read; answered without it');
      return undefined;
    }
  }

  /**
   * products/synchronise in calls of ≤ 1,000; returns how many CRM.COM processed. The products it
   * could not (unprocessed_products_set, each with its error) are logged, not retried: sending
   * them again fails the same way until the catalogue or the tenant changes, and the next sync
   * sends them again anyway.
   */
  private async synchronise(products: Array<Record<string, unknown>>): Promise<number> {
    let accepted = 0;
    for (let i = 0; i < products.length; i += MAX_PRODUCTS_PER_SYNC) {
      const d = await this.client.call('products/synchronise', { products_set: products.slice(i, i + MAX_PRODUCTS_PER_SYNC) }, synchroniseData);
      accepted += d.processed_products_set.length;
      for (const u of d.unprocessed_products_set) {
        this.log.warn({ platform: 'crmcom', sku: u.request_code ?? null, error_code: u.error_code ?? null, error: u.error_description ?? null }, 'products/synchronise: product not synchronised by CRM.COM');
      }
    }
    return accepted;
  }

  private async productsSync(m: Msg<'products.sync'>): Promise<{ accepted: number }> {
    // products/synchronise adds and updates (≤ 1,000 a call). A full sync's completion and
    // deletes are the host's (platform/catalogue.ts), which retires products with retireProducts.
    const accepted = await this.synchronise(m.payload.products.map((p) => {
      const category = p.categories?.find((x) => x !== '');
      return {
        code: p.sku, description: p.name,
        type_identifier: { name: p.type || this.config.product_type },
        ...(p.brand ? { brand_identifier: { name: p.brand } } : {}),
        ...(p.family ? { family_identifier: { name: p.family } } : {}),
        // The reference has one product category per product: the first of the till's.
        ...(category ? { category: { name: category } } : {}),
      };
    }));
    return { accepted };
  }

  /**
   * The Web API has no product delete: a product a full catalogue no longer lists is retired by
   * ending its validity (products/synchronise with product_validity_to = now, the unit's local
   * time). Idempotent: ending it again changes nothing.
   */
  async retireProducts(skus: readonly string[]): Promise<void> {
    const until = localDate(new Date().toISOString(), this.settings.timezone);
    await this.synchronise(skus.map((code) => ({ code, product_validity_to: until })));
  }

  // ---- operators ----

  async checkOps(): Promise<OpCheck[]> {
    // Harmless calls only: shows and lists for what can be read, never a create.
    const probe = async (what: string, call: () => Promise<unknown>, notFoundIsOk = false): Promise<{ ok: boolean; detail: string }> => {
      try {
        await call();
        return { ok: true, detail: what };
      } catch (error) {
        if (notFoundIsOk && isPlatformError(error) && error.kind === 'not_found') return { ok: true, detail: what };
        return { ok: false, detail: `${what}: ${(error as Error).message}` };
      }
    };
    const nobody = { rewards_participant_identifier: { id: CHECK_ID } };
    // purchases/list and spend_requests/list need one of their semi-optional identifiers
    // (participant, accounts receivable, classification): a participant no one has, whose events
    // are none (or NOT_FOUND).
    const list = { number_of_results: 1, offset: 0 };
    const eventsOfNobody = { ...nobody, ...list };
    const checks: Record<string, () => Promise<{ ok: boolean; detail: string }>> = {
      identify: async () => {
        const show = await probe('rewards_participants/show answers', () => this.client.call('rewards_participants/show', { ...nobody, fields_set: 'id' }, participantData), true);
        if (!show.ok) return show;
        return probe('rewards_participants/show and wallets/get_balance answer', () => this.client.call('wallets/get_balance', { ...nobody, fields_set: 'id' }, walletBalanceData.partial()), true);
      },
      preview: () => probe('customer_events/purchases/list answers (preview is not probed: it needs a participant)', () => this.client.call('customer_events/purchases/list', eventsOfNobody, purchaseData.partial().array()), true),
      award: () => probe('customer_events/purchases/list answers', () => this.client.call('customer_events/purchases/list', eventsOfNobody, purchaseData.partial().array()), true),
      spend: () => probe('customer_events/spend_requests/list answers', () => this.client.call('customer_events/spend_requests/list', eventsOfNobody, spendData.array()), true),
      void: () => probe('customer_events/spend_requests/list answers', () => this.client.call('customer_events/spend_requests/list', eventsOfNobody, spendData.array()), true),
      'products.sync': () => probe('authentication answers (products/synchronise has no harmless call)', () => this.client.freshToken()),
    };
    const out: OpCheck[] = [];
    for (const op of UPSTREAM_OPS) {
      const reason = this.unsupported[op];
      const check = checks[op];
      if (reason !== undefined) out.push({ op, ok: false, detail: `unsupported: ${reason}` });
      else if (!check) out.push({ op, ok: false, detail: 'not mapped to a CRM.COM method' });
      else out.push({ op, ...(await check()) });
    }
    return out;
  }

  async doctor(): Promise<PlatformCheck[]> {
    const out: PlatformCheck[] = [];
    try {
      await this.client.freshToken();
      out.push({ name: 'crmcom auth', ok: true, detail: 'authentication token obtained' });
    } catch (error) {
      out.push({ name: 'crmcom auth', ok: false, detail: (error as Error).message });
      return out;
    }
    const started = Date.now();
    try {
      const token = await this.client.freshToken();
      // One of its semi-optional identifiers is mandatory: a participant no one has (200 with no
      // purchases, or a NOT_FOUND answer: either way the tenant answered the call).
      const answer = await this.client.http.post('customer_events/purchases/list', {
        token, rewards_participant_identifier: { id: CHECK_ID }, number_of_results: 1, offset: 0,
      }, {});
      const ms = Date.now() - started;
      const code = (answer.body as { status?: { code?: unknown } } | undefined)?.status?.code;
      const answered = (answer.status === 200 && code === 'OK') || answer.status === 404 || code === 'NOT_FOUND';
      out.push({ name: 'crmcom call', ok: answered, detail: `customer_events/purchases/list: HTTP ${answer.status}${typeof code === 'string' ? ` ${code}` : ''} in ${ms} ms` });
      out.push(clockSkew('crmcom', answer.headers.get('date'), started + ms / 2));
    } catch (error) {
      out.push({ name: 'crmcom call', ok: false, detail: (error as Error).message });
    }
    return out;
  }

  async stop(): Promise<void> {}
}

export const MAX_CLOCK_SKEW_S = 60;

/** The platform's Date header against our clock: offers by hour and performed_on depend on it. */
export function clockSkew(platform: string, dateHeader: string | null, localMs: number): PlatformCheck {
  const remote = dateHeader === null ? NaN : Date.parse(dateHeader);
  if (Number.isNaN(remote)) return { name: `${platform} clock`, ok: false, detail: 'no Date header to compare clocks' };
  const skew = Math.round((localMs - remote) / 1000);
  return {
    name: `${platform} clock`, ok: Math.abs(skew) <= MAX_CLOCK_SKEW_S,
    detail: `host clock ${skew >= 0 ? 'ahead of' : 'behind'} ${platform} by ${Math.abs(skew)} s (limit ${MAX_CLOCK_SKEW_S} s)`,
  };
}

