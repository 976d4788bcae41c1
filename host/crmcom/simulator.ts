// A CRM.COM Rewards Web API v2 simulator (tests, `npm start -- --backend crmcom-sim`). It keeps
// participants, wallets, purchases, spend requests and products in memory, implements the
// endpoints the connector uses with the shapes of wire.ts, refuses anything else, and injects
// faults on demand (platform/sim-server.ts). Rewards are deliberately simple and documented in
// host/README.md: a percentage of the purchase, fixed instant amounts per product code,
// automatic spend for participants who have it.
import { randomBytes, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { describeIssues } from '../../protocol/schema.ts';
import { fromDecimal, toDecimal } from '../platform/decimal.ts';
import { SimRefusal, SimServer, basicAuth, type SimAnswer, type SimRequest } from '../platform/sim-server.ts';
import { localDate } from './connector.ts';
import {
  PARTICIPANT_FIELDS, WALLET_BALANCE_FIELDS, authKeyRequest, authTokenRequest, cancelRequest, participantShowRequest, productsSynchroniseRequest,
  purchaseCreateRequest, purchaseListRequest, purchasePreviewRequest, spendCreateRequest, spendListRequest,
  walletBalanceRequest,
} from './wire.ts';

export interface SimParticipant {
  id: string;
  number: string;
  name: string;
  tier?: string;
  /** Minor units of the simulator's currency. */
  balance: number;
  automatic_spend?: boolean;
  cards?: string[];
  emails?: string[];
  phones?: string[];
}

export interface CrmcomSimOptions {
  api_key?: string;
  user?: { username: string; password: string; organisation: string };
  currency: string;
  participants: SimParticipant[];
  /** Award on every purchase, in basis points of its total. */
  award_basis_points?: number;
  /** Instant spend (minor units) granted when a product code is bought. */
  instant?: Record<string, number>;
  token_ttl_ms?: number;
  /** How the unit's instant and automatic spends are reduced (preview and their spend requests); front end by default. */
  reduction?: 'FRONT_END_REDUCTION' | 'BACK_END_REDUCTION';
  /** Unit ids a login may name (authentication `unit`); any when absent. */
  units?: string[];
  /**
   * What a repeated external_system_reference_number on purchases/create and spend_requests/create
   * answers (the reference calls it "unique" and says no more): the first event (default), or a
   * refusal (400 INVALID_PARAMETER).
   */
  repeated_reference?: 'answer_first' | 'refuse';
  /**
   * Whether the preview answers rewards_participant_id, rewards_participant_name and wallet_balance
   * ("Available from CRM.COM R12.2.0 and CRM.COM R13.1.0 onward"); false plays an R13.0 tenant.
   */
  preview_participant_fields?: boolean;
  /** The unit's time zone: how the lists' submitted_after_date / submitted_before_date (its local time) are read; UTC by default. */
  timezone?: string;
  /** Product type names products/synchronise knows (others are unprocessed); any when absent. */
  product_types?: string[];
}

interface Purchase {
  id: string; number: string; participant: string; reference: string; total: number; award: number; instant: number;
  automatic: number; state: 'POSTED' | 'CANCELLED';
  /** When it was submitted (epoch ms): what the lists' submitted_* dates compare. */
  submitted: number;
  /** The products_set as received. */
  products: z.output<typeof purchaseCreateRequest>['products_set'];
}
/** A spend request customer event: asked for by the POS (with its reference), or created by
 * CRM.COM itself for a purchase's instant or automatic spend (reference spec: `instant_spend`,
 * `automatic_spend` on the spend request object). */
interface Spend {
  id: string; number: string; participant: string; purchase: string; reference: string | null; amount: number; state: 'POSTED' | 'CANCELLED';
  instant_spend: boolean; automatic_spend: boolean;
  reduction_method: 'FRONT_END_REDUCTION' | 'BACK_END_REDUCTION';
  /** When it was submitted (epoch ms). */
  submitted: number;
}

const ok = (data: unknown): SimAnswer => ({ status: 200, body: { status: { code: 'OK', message: '', description: '' }, data } });
const fail = (status: number, code: string, message: string): SimAnswer => ({ status, body: { status: { code, message, description: message }, data: null } });
const repeated = (): SimAnswer => fail(400, 'INVALID_PARAMETER', 'external_system_reference_number: a customer event with this reference already exists');

export class CrmcomSimulator {
  readonly server: SimServer;
  readonly participants = new Map<string, SimParticipant>();
  readonly purchases = new Map<string, Purchase>();
  /** By id. */
  readonly spends = new Map<string, Spend>();
  readonly products = new Map<string, Record<string, unknown>>();
  private readonly tokens = new Map<string, number>();
  private sequence = 0;

  constructor(private readonly options: CrmcomSimOptions) {
    for (const p of options.participants) this.participants.set(p.id, { ...p });
    this.server = new SimServer({
      prefix: '/crmapi/rest/v2/',
      handle: (r) => this.handle(r),
      expireTokens: () => this.tokens.clear(),
      state: () => ({
        participants: [...this.participants.values()].map((p) => ({ id: p.id, balance: p.balance })),
        purchases: this.purchases.size, spends: this.spends.size, products: this.products.size,
      }),
    });
  }

  start(port = 0): Promise<string> {
    return this.server.start(port);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  balance(participantId: string): number | undefined {
    return this.participants.get(participantId)?.balance;
  }

  private handle(r: SimRequest): SimAnswer {
    try {
      if (typeof r.body === 'symbol') return fail(400, 'INVALID_PARAMETER', 'body is not valid JSON');
      switch (r.endpoint) {
        case 'authentication/web_api_key/token': return this.keyToken(r);
        case 'authentication/token': return this.userToken(r);
        case 'rewards_participants/show': return this.show(this.parse(participantShowRequest, r));
        case 'wallets/get_balance': return this.walletBalance(this.parse(walletBalanceRequest, r));
        case 'customer_events/purchases/preview': return this.preview(this.parse(purchasePreviewRequest, r));
        case 'customer_events/purchases/create': return this.purchase(this.parse(purchaseCreateRequest, r));
        case 'customer_events/purchases/list': return this.listPurchases(this.parse(purchaseListRequest, r));
        case 'customer_events/purchases/cancel': return this.cancelPurchase(this.parse(cancelRequest, r));
        case 'customer_events/spend_requests/create': return this.spend(this.parse(spendCreateRequest, r));
        case 'customer_events/spend_requests/list': return this.listSpends(this.parse(spendListRequest, r));
        case 'customer_events/spend_requests/cancel': return this.cancelSpend(this.parse(cancelRequest, r));
        case 'products/synchronise': return this.synchronise(this.parse(productsSynchroniseRequest, r));
        default: return fail(404, 'NOT_FOUND', `no such method ${r.endpoint}`);
      }
    } catch (error) {
      if (error instanceof SimRefusal) return error.answer;
      throw error;
    }
  }

  /** Token first (401), then the strict shape (400). */
  private parse<S extends z.ZodType>(schema: S, r: SimRequest): z.output<S> {
    const token = (r.body as { token?: unknown } | undefined)?.token;
    const expires = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (expires === undefined) throw new SimRefusal(fail(401, 'INVALID_TOKEN', 'the authentication token is missing, unknown or expired'));
    if (expires <= Date.now()) {
      this.tokens.delete(token as string);
      throw new SimRefusal(fail(401, 'INVALID_TOKEN', 'the authentication token is missing, unknown or expired'));
    }
    const parsed = schema.safeParse(r.body);
    if (!parsed.success) throw new SimRefusal(fail(400, 'INVALID_PARAMETER', describeIssues(parsed.error, '', r.body).join('; ')));
    return parsed.data;
  }

  private issueToken(unit: string | undefined): SimAnswer {
    if (unit !== undefined && this.options.units !== undefined && !this.options.units.includes(unit)) {
      return fail(400, 'INVALID_PARAMETER', 'unit: no such unit');
    }
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, Date.now() + (this.options.token_ttl_ms ?? 2 * 3600_000));
    return ok({ token });
  }

  private keyToken(r: SimRequest): SimAnswer {
    const auth = basicAuth(r.headers.authorization);
    if (!auth || this.options.api_key === undefined || auth.user !== this.options.api_key || auth.password !== '') {
      return fail(401, 'UNAUTHORIZED', 'invalid Web API key');
    }
    const parsed = authKeyRequest.safeParse(r.body ?? {});
    if (!parsed.success) return fail(400, 'INVALID_PARAMETER', describeIssues(parsed.error, '', r.body).join('; '));
    return this.issueToken(parsed.data.unit);
  }

  private userToken(r: SimRequest): SimAnswer {
    const parsed = authTokenRequest.safeParse(r.body);
    if (!parsed.success) return fail(400, 'INVALID_PARAMETER', describeIssues(parsed.error, '', r.body).join('; '));
    const u = this.options.user;
    const b = parsed.data;
    if (!u || u.username !== b.username || u.password !== b.password || u.organisation !== b.organisation) {
      return fail(401, 'UNAUTHORIZED', 'invalid user name, password or organisation');
    }
    return this.issueToken(b.unit);
  }

  private find(identifier: z.output<typeof participantShowRequest>['rewards_participant_identifier']): SimParticipant {
    const all = [...this.participants.values()];
    const found = identifier.id !== undefined ? this.participants.get(identifier.id)
      : identifier.number !== undefined ? all.find((p) => p.number === identifier.number)
        : identifier.access_token_identifier ? all.find((p) => p.cards?.includes(identifier.access_token_identifier!.authentication_code))
          : identifier.email_address !== undefined ? all.find((p) => p.emails?.includes(identifier.email_address!.toLowerCase()))
            : all.find((p) => p.phones?.includes(identifier.phone_number!));
    if (!found) throw new SimRefusal(fail(404, 'NOT_FOUND', 'no rewards participant matches the identifier'));
    return found;
  }

  private fields(set: string | undefined, allowed: readonly string[], record: Record<string, unknown>): Record<string, unknown> {
    if (set === undefined) return record;
    const out: Record<string, unknown> = {};
    for (const f of set.split(',')) {
      if (!allowed.includes(f)) throw new SimRefusal(fail(400, 'INVALID_PARAMETER', `fields_set: unknown field ${f}`));
      out[f] = record[f];
    }
    return out;
  }

  private show(b: z.output<typeof participantShowRequest>): SimAnswer {
    const p = this.find(b.rewards_participant_identifier);
    const record = {
      id: p.id, number: p.number, life_cycle_state: 'EFFECTIVE',
      // The participant's accounts receivable carries the name; the balance is its wallet's (wallets/get_balance).
      accounts_receivable: { id: accountsReceivableId(p), number: p.number, name: p.name },
      currency: { code: this.options.currency },
      reward_tier: p.tier === undefined ? null : { reward_tier: { id: `T-${p.tier}`, name: p.tier, code: p.tier } },
    };
    return ok(this.fields(b.fields_set, PARTICIPANT_FIELDS, record));
  }

  /** wallets/get_balance: one wallet per participant, named by itself, its participant or its accounts receivable. */
  private walletBalance(b: z.output<typeof walletBalanceRequest>): SimAnswer {
    const all = [...this.participants.values()];
    const by = (identifier: { id?: string; number?: string }, id: (p: SimParticipant) => string, number: (p: SimParticipant) => string) =>
      all.find((p) => (identifier.id !== undefined ? id(p) === identifier.id : number(p) === identifier.number));
    const p = b.wallet_identifier ? by(b.wallet_identifier, walletId, (x) => `W${x.number}`)
      : b.rewards_participant_identifier ? by(b.rewards_participant_identifier, (x) => x.id, (x) => x.number)
        : by(b.accounts_receivable_identifier!, accountsReceivableId, (x) => x.number);
    if (!p) return fail(404, 'NOT_FOUND', 'no wallet matches the identifier');
    return ok(this.fields(b.fields_set, WALLET_BALANCE_FIELDS, { id: walletId(p), balance: toDecimal(p.balance, this.options.currency) }));
  }

  private amount(value: number, field: string): number {
    const minor = fromDecimal(value, this.options.currency);
    if (minor === undefined) throw new SimRefusal(fail(400, 'INVALID_PARAMETER', `${field}: not an amount in ${this.options.currency}`));
    return minor;
  }

  private rewards(b: z.output<typeof purchasePreviewRequest>) {
    if (b.intended_currency_identifier.code !== this.options.currency) {
      throw new SimRefusal(fail(400, 'INVALID_PARAMETER', `intended_currency_identifier: ${b.intended_currency_identifier.code} is not the unit's currency`));
    }
    const p = this.find(b.rewards_participant_identifier);
    const total = this.amount(b.total_amount, 'total_amount');
    let lines = 0;
    b.products_set.forEach((l, i) => {
      const line = this.amount(l.total_amount, `products_set[${i}].total_amount`);
      if (this.amount(l.net_amount, `products_set[${i}].net_amount`) + this.amount(l.vat_amount, `products_set[${i}].vat_amount`) !== line) {
        throw new SimRefusal(fail(400, 'INVALID_PARAMETER', `products_set[${i}]: net_amount + vat_amount is not total_amount`));
      }
      lines += line;
    });
    const discount = b.discount_amount === undefined ? 0 : this.amount(b.discount_amount, 'discount_amount');
    if (lines - discount !== total) throw new SimRefusal(fail(400, 'INVALID_PARAMETER', 'total_amount: does not equal the products total amounts less discount_amount'));
    const award = Math.floor((total * (this.options.award_basis_points ?? 1000)) / 10_000);
    let instant = 0;
    for (const l of b.products_set) instant += this.options.instant?.[l.product_identifier.code] ?? 0;
    instant = Math.min(instant, total);
    const automatic = p.automatic_spend ? Math.min(Math.max(0, p.balance), total - instant) : 0;
    const additional = Math.max(0, Math.min(p.balance - automatic, total - instant - automatic));
    return { p, total, award, instant, automatic, additional };
  }

  private preview(b: z.output<typeof purchasePreviewRequest>): SimAnswer {
    const r = this.rewards(b);
    const c = this.options.currency;
    return ok({
      total_award_amount: toDecimal(r.award, c), total_instant_spend_amount: toDecimal(r.instant, c),
      total_automatic_spend_amount: toDecimal(r.automatic, c), total_additional_spend_amount: toDecimal(r.additional, c),
      reduction_method: this.options.reduction ?? 'FRONT_END_REDUCTION',
      ...(this.options.preview_participant_fields === false ? {} : {
        rewards_participant_id: r.p.id, rewards_participant_name: r.p.name, wallet_balance: toDecimal(r.p.balance, c),
      }),
    });
  }

  private purchase(b: z.output<typeof purchaseCreateRequest>): SimAnswer {
    // The same reference is the same purchase: answered again, never applied twice.
    const existing = this.purchases.get(b.external_system_reference_number);
    if (existing) return this.options.repeated_reference === 'refuse' ? repeated() : ok(this.purchaseData(existing));
    const r = this.rewards(b);
    r.p.balance += r.award;
    // The instant and automatic spends are spend request events of their own on the purchase.
    const ref = b.external_system_reference_number;
    if (r.instant > 0) this.addSpend(r.p, ref, null, r.instant, 'instant');
    if (r.automatic > 0) this.addSpend(r.p, ref, null, r.automatic, 'automatic');
    const purchase: Purchase = {
      id: randomUUID(), number: String(++this.sequence), participant: r.p.id, reference: b.external_system_reference_number, total: r.total,
      award: r.award, instant: r.instant, automatic: r.automatic, state: 'POSTED', products: b.products_set, submitted: Date.now(),
    };
    this.purchases.set(purchase.reference, purchase);
    return ok(this.purchaseData(purchase));
  }

  /**
   * The purchase customer event object (reference, "purchase customer event object response data"):
   * the award as total_awarded_amount (the preview's total_award_amount is another object's), no
   * reduction_method (the preview and the spend request carry it).
   */
  private purchaseData(x: Purchase) {
    const c = this.options.currency;
    return {
      id: x.id, number: x.number, type: 'PURCHASE', life_cycle_state: x.state, total_amount: toDecimal(x.total, c),
      external_system_reference_number: x.reference, total_awarded_amount: toDecimal(x.award, c),
      total_instant_spend_amount: toDecimal(x.instant, c), total_automatic_spend_amount: toDecimal(x.automatic, c),
      total_spend_amount: toDecimal(x.instant + x.automatic, c),
    };
  }

  /**
   * The spend request object: the purchase it settles as a short purchase_customer_event ({id,
   * number}: the reference's show example nests the purchase, which of its fields a list answers
   * is not in the copies, so the simulator gives the least: the connector must match by id).
   */
  private spendData(s: Spend) {
    const purchase = this.purchases.get(s.purchase);
    return {
      id: s.id, number: s.number, spend_amount: toDecimal(s.amount, this.options.currency), life_cycle_state: s.state,
      external_system_reference_number: s.reference, instant_spend: s.instant_spend, automatic_spend: s.automatic_spend,
      reduction_method: s.reduction_method,
      purchase_customer_event: purchase ? { id: purchase.id, number: purchase.number } : null,
    };
  }

  private addSpend(p: SimParticipant, purchase: string, reference: string | null, amount: number, kind?: 'instant' | 'automatic'): Spend {
    p.balance -= amount;
    const s: Spend = {
      id: randomUUID(), number: String(++this.sequence), participant: p.id, purchase, reference, amount, state: 'POSTED',
      instant_spend: kind === 'instant', automatic_spend: kind === 'automatic',
      // The POS's spend requests are reduced by the POS (the default); CRM.COM's own as the unit says.
      reduction_method: kind === undefined ? 'FRONT_END_REDUCTION' : this.options.reduction ?? 'FRONT_END_REDUCTION',
      submitted: Date.now(),
    };
    this.spends.set(s.id, s);
    return s;
  }

  private spendByReference(reference: string): Spend | undefined {
    return [...this.spends.values()].find((s) => s.reference === reference);
  }

  private spend(b: z.output<typeof spendCreateRequest>): SimAnswer {
    const existing = this.spendByReference(b.external_system_reference_number);
    if (existing) return this.options.repeated_reference === 'refuse' ? repeated() : ok(this.spendData(existing));
    const purchase = this.purchases.get(b.purchase_customer_request_identifier.external_system_reference_number);
    if (!purchase) return fail(404, 'NOT_FOUND', 'purchase_customer_request_identifier: no such purchase customer event');
    if (purchase.state !== 'POSTED') return fail(400, 'INVALID_PARAMETER', 'purchase_customer_request_identifier: the purchase is cancelled');
    if (b.intended_currency_identifier.code !== this.options.currency) return fail(400, 'INVALID_PARAMETER', 'intended_currency_identifier: not the unit\'s currency');
    const p = this.participants.get(b.rewards_participant_identifier.id);
    if (!p) return fail(404, 'NOT_FOUND', 'no rewards participant matches the identifier');
    if (purchase.participant !== p.id) return fail(400, 'INVALID_PARAMETER', 'the purchase belongs to another rewards participant');
    // Actual ≤ requested: what the wallet holds.
    const amount = Math.min(this.amount(b.spend_amount, 'spend_amount'), Math.max(0, p.balance));
    return ok(this.spendData(this.addSpend(p, purchase.reference, b.external_system_reference_number, amount)));
  }

  /**
   * The spend requests of one participant or accounts receivable, oldest first (the list has no
   * purchase filter: exactly one semi-optional owner, wire.ts), submitted between the submitted_*
   * dates when given (the unit's local time, option timezone).
   */
  private listSpends(b: z.output<typeof spendListRequest>): SimAnswer {
    const all = [...this.spends.values()].filter((s) => this.ownedBy(b, this.participants.get(s.participant)) && this.submittedWithin(b, s.submitted));
    return ok(all.slice(b.offset, b.offset + b.number_of_results).map((s) => this.spendData(s)));
  }

  /** Whether a list's owner (participant or accounts receivable; the simulator keeps no classifications: none match one) is `p`. */
  private ownedBy(b: z.output<typeof purchaseListRequest | typeof spendListRequest>, p: SimParticipant | undefined): boolean {
    const matches = (identifier: { id?: string; number?: string }, id: (x: SimParticipant) => string) =>
      p !== undefined && (identifier.id !== undefined ? id(p) === identifier.id : p.number === identifier.number);
    return b.rewards_participant_identifier ? matches(b.rewards_participant_identifier, (x) => x.id)
      : b.accounts_receivable_identifier ? matches(b.accounts_receivable_identifier, accountsReceivableId) : false;
  }

  /** Whether an event submitted at `at` (epoch ms) is after submitted_after_date and before submitted_before_date (to the second). */
  private submittedWithin(b: { submitted_after_date?: string | undefined; submitted_before_date?: string | undefined }, at: number): boolean {
    const tz = this.options.timezone ?? 'UTC';
    const second = Math.floor(at / 1000) * 1000;
    return (b.submitted_after_date === undefined || second >= zonedEpoch(b.submitted_after_date, tz))
      && (b.submitted_before_date === undefined || second <= zonedEpoch(b.submitted_before_date, tz));
  }

  /** The purchases of one participant or accounts receivable. */
  private listPurchases(b: z.output<typeof purchaseListRequest>): SimAnswer {
    const all = [...this.purchases.values()].filter((x) => this.ownedBy(b, this.participants.get(x.participant)) && this.submittedWithin(b, x.submitted));
    // The purchase customer event objects, oldest first (seed 000).
    return ok(all.slice(b.offset, b.offset + b.number_of_results).map((x) => this.purchaseData(x)));
  }

  private cancelSpend(b: z.output<typeof cancelRequest>): SimAnswer {
    const e = b.customer_event_identifier;
    const s = e.id !== undefined ? this.spends.get(e.id) : this.spendByReference(e.external_system_reference_number!);
    if (!s) return fail(404, 'NOT_FOUND', 'no such spend request customer event');
    // The reference: "This method can be applied only on posted spend request customer events".
    if (s.state !== 'POSTED') return fail(400, 'INVALID_PARAMETER', 'customer_event_identifier: the spend request customer event is not posted');
    this.participants.get(s.participant)!.balance += s.amount;
    s.state = 'CANCELLED';
    // The reference: the cancelled spend request customer event.
    return ok(this.spendData(s));
  }

  private cancelPurchase(b: z.output<typeof cancelRequest>): SimAnswer {
    const e = b.customer_event_identifier;
    const x = e.id !== undefined ? [...this.purchases.values()].find((p) => p.id === e.id) : this.purchases.get(e.external_system_reference_number!);
    if (!x) return fail(404, 'NOT_FOUND', 'no such purchase customer event');
    // The reference: "This method can be applied only to posted purchase customer events".
    if (x.state !== 'POSTED') return fail(400, 'INVALID_PARAMETER', 'customer_event_identifier: the purchase customer event is not posted');
    if ([...this.spends.values()].some((s) => s.purchase === x.reference && s.state === 'POSTED')) {
      return fail(400, 'INVALID_PARAMETER', 'spend requests settled on this purchase must be cancelled first');
    }
    this.participants.get(x.participant)!.balance -= x.award;
    x.state = 'CANCELLED';
    // Its spends (instant and automatic included) were cancelled first, each giving its amount back.
    // The reference: the cancelled purchase customer event.
    return ok(this.purchaseData(x));
  }

  /**
   * The reference's product_synchronisation_complete: the products synchronised in
   * processed_products_set, the ones that failed (a type the unit does not know, option
   * product_types) in unprocessed_products_set with an error code; the call itself succeeds.
   */
  private synchronise(b: z.output<typeof productsSynchroniseRequest>): SimAnswer {
    const processed: Array<Record<string, string>> = [];
    const unprocessed: Array<Record<string, string>> = [];
    for (const p of b.products_set) {
      const type = p.type_identifier?.name;
      if (type !== undefined && this.options.product_types !== undefined && !this.options.product_types.includes(type)) {
        unprocessed.push({ request_code: p.code, error_code: 'INVALID_PRODUCT_TYPE', error_description: `type_identifier: no product type ${type}` });
        continue;
      }
      const existing = this.products.get(p.code);
      const id = (existing?.id as string | undefined) ?? randomUUID();
      // Adds or updates: fields left out keep their value.
      this.products.set(p.code, { ...existing, ...p, id });
      processed.push({ request_code: p.code, id, code: p.code, message: '' });
    }
    return ok({ processed_products_set: processed, unprocessed_products_set: unprocessed });
  }
}

const accountsReceivableId = (p: SimParticipant): string => `AR-${p.id}`;

/** The epoch ms of a reference date ("YYYY-MM-DDTHH:MM:SS", no offset) read as wall time in `timezone`. */
function zonedEpoch(local: string, timezone: string): number {
  const asUtc = Date.parse(`${local}Z`);
  const shown = Date.parse(`${localDate(new Date(asUtc).toISOString(), timezone)}Z`);
  return asUtc - (shown - asUtc);
}
const walletId = (p: SimParticipant): string => `W-${p.id}`;
