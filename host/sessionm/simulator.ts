// A SessionM POS API simulator (tests, `npm start -- --backend sessionm-sim`): users with
// points and offer wallets, transactions, offer locks with a TTL (15 minutes by default, as
// the seed says), redeem/reinstate, strict request containers (wire.ts), HTTP Basic key/secret,
// request_id idempotency (the first answer is kept and returned again), and injected faults
// (platform/sim-server.ts). Points: `points_per_unit` per whole unit of the transaction total.
import type { z } from 'zod';
import { describeIssues } from '../../protocol/schema.ts';
import { exponentOf } from '../../protocol/money.ts';
import { fromDecimal, toDecimal } from '../platform/decimal.ts';
import { SimRefusal, SimServer, basicAuth, type SimAnswer, type SimRequest } from '../platform/sim-server.ts';
import { discountRequest, lookupRequest, offerActionRequest, sendTransactionRequest } from './wire.ts';

export interface SimUser {
  id: string;
  first_name: string;
  last_name: string;
  tier?: string;
  points: number;
  emails?: string[];
  phones?: string[];
  external_ids?: string[];
  offers?: Array<{ user_offer_id: string; name: string; discount_amount: number; skus?: string[] }>;
}

export interface SessionmSimOptions {
  key: string;
  secret: string;
  client_id: string;
  stores: string[];
  currency: string;
  users: SimUser[];
  points_per_unit?: number;
  lock_ttl_ms?: number;
}

interface Offer {
  user_offer_id: string; user: string; name: string; discount_amount: number; skus?: string[];
  status: 'available' | 'locked' | 'redeemed'; locked_until?: number;
  /** The transaction_id the offer is locked for (Lock Offer) or was redeemed with (Immediate Redeem, a sent transaction). */
  transaction_id?: string;
}

const ok = (payload?: unknown): SimAnswer => ({ status: 200, body: { status: 'OK', ...(payload !== undefined ? { payload } : {}) } });
const fail = (status: number, code: string, message: string): SimAnswer => ({ status, body: { status: 'error', errors: { code, message } } });
/**
 * A refusal as SessionM's generic statuses give it ("Generic Statuses and Errors": 200 "Indicates
 * successful call; returned string can be either ok or error", 401 not authorized, 404 not found by
 * ID, 500): HTTP 200, status "error" and one of the generic codes (VALIDATION, NOT_AVAILABLE "Object
 * was found but is unavailable", …). It answered 400 and 409, which the reference never names.
 */
const refuse = (code: string, message: string): SimAnswer => fail(200, code, message);

export class SessionmSimulator {
  readonly server: SimServer;
  readonly users = new Map<string, SimUser>();
  readonly offers = new Map<string, Offer>();
  /** Each transaction as sent (`sent`: its request_payload), with the total and points it made. */
  readonly transactions = new Map<string, { user?: string; total: number; points: number; sent: z.output<typeof sendTransactionRequest>['request_payload'] }>();
  private readonly answered = new Map<string, SimAnswer>();
  /** Requests being processed (a latency fault holds them): a repeat meanwhile is "pending processing". */
  private readonly processing = new Set<string>();

  constructor(private readonly options: SessionmSimOptions) {
    for (const u of options.users) {
      this.users.set(u.id, { ...u });
      for (const o of u.offers ?? []) this.offers.set(o.user_offer_id, { ...o, user: u.id, status: 'available' });
    }
    this.server = new SimServer({
      prefix: '/',
      handle: (r) => this.handle(r),
      arrive: (r) => this.arrive(r),
      left: (r) => { this.processing.delete(this.key(r) ?? ''); },
      expireTokens: () => undefined,
      state: () => ({ users: [...this.users.values()].map((u) => ({ id: u.id, points: u.points })), transactions: this.transactions.size }),
    });
  }

  start(port = 0): Promise<string> {
    return this.server.start(port);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  points(userId: string): number | undefined {
    return this.users.get(userId)?.points;
  }

  offer(id: string): Offer | undefined {
    const o = this.offers.get(id);
    if (o?.status === 'locked' && (o.locked_until ?? 0) <= Date.now()) {
      o.status = 'available';
      delete o.locked_until;
    }
    return o;
  }

  private key(r: SimRequest): string | undefined {
    const requestId = typeof r.body === 'object' && r.body !== null ? (r.body as { request_id?: unknown }).request_id : undefined;
    return typeof requestId === 'string' ? `${r.endpoint}\u0000${requestId}` : undefined;
  }

  private authorised(r: SimRequest): boolean {
    const auth = basicAuth(r.headers.authorization);
    return auth !== undefined && auth.user === this.options.key && auth.password === this.options.secret;
  }

  /**
   * General Request Container, request_id: "If a subsequent request is made with the same
   * request_id, it will return the response when one had already been generated or if it bears an
   * error code of 'pending processing'": a repeat of a request still being processed gets that error.
   */
  private arrive(r: SimRequest): SimAnswer | undefined {
    const key = this.key(r);
    if (key === undefined || !this.authorised(r) || this.answered.has(key)) return undefined;
    if (this.processing.has(key)) return fail(200, 'pending_processing', 'request_id: the request is pending processing');
    this.processing.add(key);
    return undefined;
  }

  private handle(r: SimRequest): SimAnswer {
    const key = this.key(r);
    if (key !== undefined) this.processing.delete(key);
    if (!this.authorised(r)) return fail(401, 'unauthorized', 'invalid key or secret');
    if (typeof r.body === 'symbol') return fail(400, 'validation', 'body is not valid JSON');
    // Idempotency: a request id already answered gets that answer again, whatever the body.
    const previous = key ? this.answered.get(key) : undefined;
    if (previous) return previous;
    let answer: SimAnswer;
    try {
      switch (r.endpoint) {
        case 'api/2.0/lookup': answer = this.lookup(this.parse(lookupRequest, r)); break;
        case 'api/2.0/send_transaction': answer = this.send(this.parse(sendTransactionRequest, r)); break;
        case 'api/2.0/lock': answer = this.lock(this.parse(discountRequest, r)); break;
        case 'api/2.0/unlock': answer = this.unlock(this.parse(offerActionRequest, r)); break;
        case 'api/2.0/redeem': answer = this.redeem(this.parse(discountRequest, r)); break;
        case 'api/2.0/reinstate': answer = this.reinstate(this.parse(offerActionRequest, r)); break;
        // Not a POS API path: the web server's own 404, not SessionM's response container.
        default: return { status: 404, body: { message: `Not Found: /${r.endpoint}` } };
      }
    } catch (error) {
      if (!(error instanceof SimRefusal)) throw error;
      answer = error.answer;
    }
    // "A given request will only be processed once. If a subsequent request is made with the same
    // request_id, it will return the response when one had already been generated": every answer
    // generated here, a refusal too (validation failures were not kept, so a corrected request under
    // the same id was processed: SessionM answers it with the first refusal).
    if (key && answer.status < 500) this.answered.set(key, answer);
    return answer;
  }

  private parse<S extends z.ZodType>(schema: S, r: SimRequest): z.output<S> {
    const parsed = schema.safeParse(r.body);
    if (!parsed.success) throw new SimRefusal(refuse('VALIDATION', describeIssues(parsed.error, '', r.body).join('; ')));
    const c = parsed.data as { client_id: string; store_id: string };
    if (c.client_id !== this.options.client_id) throw new SimRefusal(fail(401, 'ACCESS_DENIED', 'client_id: not this client'));
    if (!this.options.stores.includes(c.store_id)) throw new SimRefusal(refuse('VALIDATION', 'store_id: unknown store'));
    return parsed.data;
  }

  private minor(value: number, field: string): number {
    const m = fromDecimal(value, this.options.currency);
    if (m === undefined) throw new SimRefusal(refuse('VALIDATION', `${field}: not an amount in ${this.options.currency}`));
    return m;
  }

  private lookup(b: z.output<typeof lookupRequest>): SimAnswer {
    const p = b.request_payload;
    const all = [...this.users.values()];
    const matches = p.user_id !== undefined ? all.filter((u) => u.id === p.user_id)
      : p.email !== undefined ? all.filter((u) => u.emails?.includes(p.email!.toLowerCase()))
        : p.phone !== undefined ? all.filter((u) => u.phones?.includes(p.phone!))
          : all.filter((u) => u.external_ids?.includes(p.external_customer_id!));
    if (matches.length === 0) return fail(404, 'USER_NOT_FOUND', 'no user matches');
    // User Lookup: "If multiple rows are returned, an error will be returned from the API".
    if (matches.length > 1) return refuse('VALIDATION', 'several users match: use another lookup value');
    const u = matches[0]!;
    const skus = p.transaction?.items.map((i) => i.sku);
    const offers = [...this.offers.values()]
      .filter((o) => o.user === u.id && this.offer(o.user_offer_id)?.status !== 'redeemed')
      // With a transaction, only the offers that apply to its items (catalog restriction).
      .filter((o) => !skus || !o.skus || o.skus.some((s) => skus.includes(s)))
      .map((o) => ({
        user_offer_id: o.user_offer_id, name: o.name, status: o.status,
        ...(p.transaction ? { discount_amount: toDecimal(o.discount_amount, this.options.currency) } : {}),
      }));
    return ok({ user: { id: u.id, first_name: u.first_name, last_name: u.last_name, tier: u.tier ?? null }, available_points: u.points, offers });
  }

  private send(b: z.output<typeof sendTransactionRequest>): SimAnswer {
    const t = b.request_payload;
    const u = t.user_id !== undefined ? this.users.get(t.user_id) : undefined;
    if (t.user_id !== undefined && !u) return fail(404, 'USER_NOT_FOUND', 'user_id: no such user');
    let items = 0;
    t.items.forEach((i, n) => { items += this.minor(i.subtotal, `items[${n}].subtotal`); });
    let discounts = 0;
    t.discounts.forEach((d, n) => { discounts += this.minor(d.amount, `discounts[${n}].amount`); });
    const total = this.minor(t.total, 'total');
    if (this.minor(t.subtotal, 'subtotal') !== items) return refuse('VALIDATION', 'subtotal: not the sum of the items');
    if (items - discounts !== total) return refuse('VALIDATION', 'total: not the subtotal less the discounts');
    let paid = 0;
    t.payments.forEach((p, n) => { paid += this.minor(p.amount, `payments[${n}].amount`); });
    if (paid !== total) return refuse('VALIDATION', 'payments: do not add up to the total');
    const points = Math.floor(total / 10 ** exponentOf(this.options.currency)) * (this.options.points_per_unit ?? 1);
    // Seed 003: "Ensure uniqueness in transaction ID. Doing so avoids overwriting existing
    // transactions": a transaction_id sent again (under another request_id) replaces that
    // transaction, its points with it; it is how a return is sent ("Send Return Transaction": the
    // original transaction sent again with updated items and payments). It was refused (409).
    const existing = this.transactions.get(t.transaction_id);
    const before = existing?.user !== undefined ? this.users.get(existing.user) : undefined;
    if (before && existing) before.points -= existing.points;
    if (u) u.points += points;
    this.transactions.set(t.transaction_id, { ...(u ? { user: u.id } : {}), total, points, sent: t });
    // Lock Offer: an offer "locked by a transaction and redeemed upon the finalization of that transaction".
    for (const o of this.offers.values()) {
      if (this.offer(o.user_offer_id)?.status === 'locked' && o.transaction_id === t.transaction_id) {
        o.status = 'redeemed';
        delete o.locked_until;
      }
    }
    // The reference documents no payload: SessionM enqueues the transaction and returns a success
    // message ("Send Return Transaction"); the points come from its loyalty engine (applied here at once).
    return ok();
  }

  private get(id: string): Offer {
    const o = this.offer(id);
    if (!o) throw new SimRefusal(fail(404, 'NOT_FOUND', 'user_offer_id: no such offer'));
    return o;
  }

  /** The offer a Lock Offer or Immediate Redeem names, of the transaction's user (the simulator has no TTL codes). */
  private discounted(p: z.output<typeof discountRequest>['request_payload']): Offer {
    const o = p.offer_lookup_type === 'UserOfferId' ? this.offer(p.offer_lookup_code) : undefined;
    if (!o || (p.transaction.user_id !== undefined && o.user !== p.transaction.user_id)) {
      throw new SimRefusal(fail(404, 'NOT_FOUND', 'offer_lookup_code: no such offer for this user'));
    }
    return o;
  }

  private lock(b: z.output<typeof discountRequest>): SimAnswer {
    const p = b.request_payload;
    const o = this.discounted(p);
    // Locked again for the same transaction (it changed): "the Lock Offer API should be called again, passing the exact same transaction ID".
    const again = o.status === 'locked' && o.transaction_id === p.transaction.transaction_id;
    if (o.status !== 'available' && !again) return refuse('NOT_AVAILABLE', `offer_lookup_code: offer is ${o.status}`);
    o.status = 'locked';
    o.transaction_id = p.transaction.transaction_id;
    o.locked_until = Date.now() + (this.options.lock_ttl_ms ?? 15 * 60_000);
    // Lock Offer, like Immediate Redeem: "The response to this API is the Discount object": the same answer as redeem's.
    return ok(this.discountObject(o));
  }

  private unlock(b: z.output<typeof offerActionRequest>): SimAnswer {
    const o = this.get(b.request_payload.user_offer_id);
    if (o.status === 'redeemed') return refuse('NOT_AVAILABLE', 'user_offer_id: offer is redeemed');
    o.status = 'available';
    delete o.locked_until;
    delete o.transaction_id;
    return ok();
  }

  private redeem(b: z.output<typeof discountRequest>): SimAnswer {
    const p = b.request_payload;
    const o = this.discounted(p);
    if (o.status === 'redeemed') return refuse('NOT_AVAILABLE', 'offer_lookup_code: offer is redeemed');
    if (o.status === 'locked' && o.transaction_id !== p.transaction.transaction_id) return refuse('NOT_AVAILABLE', 'offer_lookup_code: offer is locked');
    o.status = 'redeemed';
    o.transaction_id = p.transaction.transaction_id;
    delete o.locked_until;
    return ok(this.discountObject(o));
  }

  /** The Discount object Lock Offer and Immediate Redeem answer (its fields are not in the reference copy: assumed). */
  private discountObject(o: Offer) {
    return { user_offer_id: o.user_offer_id, name: o.name, discount_amount: toDecimal(o.discount_amount, this.options.currency) };
  }

  private reinstate(b: z.output<typeof offerActionRequest>): SimAnswer {
    const o = this.get(b.request_payload.user_offer_id);
    if (o.status !== 'redeemed') return refuse('NOT_AVAILABLE', 'user_offer_id: offer is not redeemed');
    o.status = 'available';
    delete o.transaction_id;
    return ok();
  }
}
