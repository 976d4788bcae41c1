// Till ops → SessionM POS API (mapping table: host/README.md, "Backends").
//
//   identify  api/2.0/lookup (email, phone digits, or external_customer_id for cards and tokens)
//   preview   api/2.0/lookup with the basket as a transaction: the offers that apply, with discounts
//   award     api/2.0/send_transaction (transaction_id = f(till, txn_id), items ≥ 0, discounts apart)
//   lock, redeem  api/2.0/lock, api/2.0/redeem: the offer by lookup code, applied to that same transaction
//   unlock, reinstate  api/2.0/unlock, api/2.0/reinstate: {user_offer_id, employee_id}
//   spend, void, products.sync: not offered by the POS API (UNSUPPORTED, reasons below)
import { randomUUID } from 'node:crypto';
import type { Basket } from '../../protocol/basket.ts';
import { AgentError } from '../../protocol/errors.ts';
import { normaliseIdentifier } from '../../protocol/identifiers.ts';
import {
  UPSTREAM_OPS, type HostAwardResult, type HostIdentifyResult, type HostPreviewResult, type UpstreamMessage, type UpstreamOp,
} from '../../protocol/upstream.ts';
import { unsupportedError, type OpCheck, type PlatformCheck } from '../backend.ts';
import { clockSkew } from '../crmcom/connector.ts';
import type { Connector, OpContext } from '../platform/connector.ts';
import { fromDecimal, toDecimal } from '../platform/decimal.ts';
import { PlatformError, isPlatformError, isRefusal } from '../platform/errors.ts';
import { platformRequestId } from '../platform/request-id.ts';
import { AUTH_CODES, SERVER_CODES, codeKey, errorsOf, type SessionmClient } from './client.ts';
import type { SessionmConfig } from './config.ts';
import { lockData, lookupData, offerData, redeemData, responseSchema, sendTransactionData } from './wire.ts';
import { z } from 'zod';
import type { HeldOffer, LockResult, OffersResult, RedeemHostResult, ReinstateHostResult, UnlockResult } from '../../protocol/offers.ts';

/** The seed: "the default for a lock via SessionM is 15 minutes". */
export const DEFAULT_LOCK_TTL_S = 15 * 60;

type Msg<O extends UpstreamOp> = Extract<UpstreamMessage, { op: O }>;

export const SESSIONM_UNSUPPORTED: Partial<Record<UpstreamOp, string>> = {
  spend: 'the POS API has no wallet spend: value is given as offers (lookup, lock, redeem) and points are earned by send_transaction',
  // The reference's "Send Return Transaction" (docs.sessionm.com, Tasks/Transactions): a full or
  // partial return is the original transaction sent again through send_transaction with
  // "updated item and payment objects" ("look up original transaction, remove returned item, send
  // original transaction with modified time and items"), processed asynchronously.
  void: 'not mapped: a SessionM return is the original transaction sent again with updated items and payments ("Send Return Transaction", processed asynchronously, so no reversed amounts to answer); the host does not keep a sale\'s transaction for a platform backend and the return payload is not in the reference copy; reinstate redeemed offers instead',
  'products.sync': 'not the POS API: catalogs reach the Catalog domain whole, per store (the SM Sync file importer, or the Upload Catalog API: one store\'s catalog per call, at most 10K items); till batches and deltas have no counterpart (seed 004: deltas are not supported)',
  refund: 'not mapped: a partial return is the original transaction sent again without the returned items ("Send Return Transaction", processed asynchronously); the host does not keep a sale\'s transaction for a platform backend and the return payload is not in the reference copy; reinstate redeemed offers instead',
  'voucher.redeem': 'refund vouchers (RV-…) are the ledger backend\'s back-end reduction; SessionM gives value as offers (lookup, lock, redeem, reinstate)',
};

export class SessionmConnector implements Connector {
  readonly name = 'sessionm' as const;
  readonly unsupported = SESSIONM_UNSUPPORTED;

  constructor(private readonly client: SessionmClient, private readonly config: SessionmConfig) {}

  execute(message: UpstreamMessage, ctx: OpContext): Promise<Record<string, unknown>> {
    switch (message.op) {
      case 'identify': return this.identify(message, ctx);
      case 'preview': return this.preview(message, ctx);
      case 'award': return this.award(message, ctx);
      case 'offers': return this.offers(message, ctx);
      case 'lock': return this.lock(message, ctx);
      case 'unlock': return this.unlock(message, ctx);
      case 'redeem': return this.redeem(message, ctx);
      case 'reinstate': return this.reinstate(message, ctx);
      default: throw unsupportedError(this.name, message.op, this.unsupported[message.op] ?? 'not mapped to a SessionM endpoint');
    }
  }

  private balance(points: number) {
    return { amount: points * this.config.points_value, currency: this.config.currency };
  }

  private transaction(basket: Basket, createdAt: string) {
    const c = basket.currency;
    const subtotal = basket.items.reduce((s, i) => s + i.amount, 0);
    return {
      transaction_date: createdAt,
      subtotal: toDecimal(subtotal, c),
      tax_total: toDecimal(basket.tax_total ?? 0, c),
      total: toDecimal(basket.total, c),
      items: basket.items.map((i) => ({
        sku: i.sku, ...(i.name ? { name: i.name } : {}), quantity: i.qty, price: toDecimal(i.unit_price, c), subtotal: toDecimal(i.amount, c),
        // Seed 003: tax_included "specifies how much tax is associated with the item": the protocol 2
        // amount. A protocol 1 flag does not say how much, so none is sent (it was sent as a flag, and a
        // protocol 2 amount went as minor units where SessionM reads a decimal amount).
        ...(typeof i.tax_included === 'number' ? { tax_included: toDecimal(i.tax_included, c) } : {}),
        ...(i.category ? { category: i.category } : {}),
      })),
      discounts: (basket.discounts ?? []).map((d) => ({ code: d.code, amount: toDecimal(d.amount, c) })),
    };
  }

  /**
   * Seed 003: "Items and payment do have positive values". The POS's own payments (protocol 2
   * `payments`, each > 0) when they account for the total; otherwise (protocol 1, none given, or a
   * part paid some other way) one payment of the total by the till, as SessionM's payments add up to it.
   */
  private payments(basket: Basket): Array<{ type: string; amount: number }> {
    const c = basket.currency;
    const given = basket.payments ?? [];
    const paid = given.reduce((sum, p) => sum + p.amount, 0);
    if (given.length > 0 && paid === basket.total) return given.map((p) => ({ type: p.method, amount: toDecimal(p.amount, c) }));
    return [{ type: 'till', amount: toDecimal(basket.total, c) }];
  }

  /**
   * The sale's Transaction as send_transaction takes it, also what Lock Offer and Immediate Redeem
   * apply a discount to: the same transaction_id for all of them (reference, Lock Offer: "passing the
   * exact same transaction ID"; seed 003: "Ensure uniqueness in transaction ID": f(till, txn_id)).
   */
  private saleTransaction(ctx: OpContext, saleTxnId: string, customerId: string, basket: Basket, createdAt: string) {
    return {
      transaction_id: platformRequestId(ctx.terminal, 'transaction', saleTxnId),
      user_id: customerId,
      ...this.transaction(basket, createdAt),
      payments: this.payments(basket),
    };
  }

  /** Lock Offer / Immediate Redeem's request_payload: the offer by its user offer id, applied to the sale's transaction. */
  private discount(ctx: OpContext, offerId: string, saleTxnId: string, customerId: string, basket: Basket, createdAt: string) {
    return {
      offer_lookup_code: offerId, offer_lookup_type: 'UserOfferId',
      transaction: this.saleTransaction(ctx, saleTxnId, customerId, basket, createdAt),
    };
  }

  private async identify(m: Msg<'identify'>, ctx: OpContext): Promise<HostIdentifyResult> {
    const value = normaliseIdentifier(m.payload.by, m.payload.value);
    const payload = m.payload.by === 'email' ? { email: value }
      : m.payload.by === 'phone' ? { phone: value.replace(/\D/g, '') }
        : { external_customer_id: value };
    // A read: a fresh request id each time (SessionM would replay a cached answer otherwise).
    const d = await this.client.call('api/2.0/lookup', ctx.source.store, randomUUID(), payload, lookupData).catch((error: unknown) => {
      if (isPlatformError(error) && error.kind === 'not_found') throw new AgentError('NOT_FOUND', `no customer with this ${m.payload.by}`, false);
      throw error;
    });
    const name = `${d.user.first_name} ${d.user.last_name}`.trim();
    return {
      customer: { id: d.user.id, name, ...(d.user.tier ? { tier: d.user.tier } : {}), balance: this.balance(d.available_points) },
      // LOCAL.md: "identify (online) and offers without a basket list every issued, unexpired offer"; the
      // lookup answers them ("returns customer details and available offers", seed 003), but none were passed on.
      offers: d.offers.filter((o) => o.status !== 'redeemed').map((o) => this.held(o, this.config.currency, false)),
    };
  }

  private async preview(m: Msg<'preview'>, ctx: OpContext): Promise<HostPreviewResult> {
    const { basket } = m.payload;
    const d = await this.client.call('api/2.0/lookup', ctx.source.store, randomUUID(), {
      user_id: m.payload.customer_id, transaction: this.transaction(basket, m.created_at),
    }, lookupData);
    const offers = d.offers.filter((o) => o.status === 'available').map((o) => {
      const amount = o.discount_amount === undefined ? 0 : fromDecimal(o.discount_amount, basket.currency);
      if (amount === undefined) throw new PlatformError('sessionm', 'bad_response', `offers: ${o.discount_amount} is not an amount`);
      return { id: o.user_offer_id, name: o.name, award_amount: amount };
    });
    // Points are earned by the economy rules after the transaction is sent: not known here, so
    // award_pending (award_amount 0 read as "earns nothing" at the till).
    return {
      currency: basket.currency, award_amount: 0, instant_spend_amount: 0, automatic_spend_amount: 0, spendable_amount: 0,
      balance: this.balance(d.available_points), reduction: 'front_end', offers, award_pending: true,
    };
  }

  private async award(m: Msg<'award'>, ctx: OpContext): Promise<HostAwardResult> {
    if (!m.txn_id) throw new AgentError('BAD_REQUEST', 'txn_id: award needs a txn_id', false);
    const { basket } = m.payload;
    await this.client.call('api/2.0/send_transaction', ctx.source.store, ctx.requestId,
      this.saleTransaction(ctx, m.txn_id, m.payload.customer_id, basket, m.created_at), sendTransactionData);
    // Send Transaction answers before the loyalty engine has run ("an asynchronous flow"): the points
    // the sale earns are not known here. award_amount stays 0 (its meaning for older tills) and
    // award_pending says it is "not known yet", not "nothing": receipts printed "Awarded 0.00" on every
    // sale. The balance is the one User Lookup reports right after (it may not hold this sale's points
    // yet). Its failure is reported as such: the transaction itself was accepted, and a resend gets
    // SessionM's first answer.
    const d = await this.lookupOffers(m.payload.customer_id, ctx.source.store, undefined, m.created_at).catch((error: unknown) => {
      if (!isPlatformError(error)) throw error;
      throw new PlatformError('sessionm', error.kind, `send_transaction accepted; the balance lookup after it failed: ${error.message}`, error.detail);
    });
    return {
      currency: basket.currency,
      award_amount: 0,
      instant_spend_amount: 0, automatic_spend_amount: 0, total_spend_amount: 0,
      balance: this.balance(d.available_points),
      reduction: 'front_end', offers: [], basket_total: basket.total,
      award_pending: true,
    };
  }

  private held(o: z.output<typeof offerData>, currency: string, withBasket: boolean, lockedBy?: string): HeldOffer {
    const amount = o.discount_amount === undefined ? 0 : fromDecimal(o.discount_amount, currency);
    if (amount === undefined) throw new PlatformError('sessionm', 'bad_response', `offers: ${o.discount_amount} is not an amount`);
    return {
      id: o.user_offer_id, name: o.name,
      // Without a basket SessionM gives no discount details: the reward reads 0 until one is given, and
      // says it is not known (LOCAL.md, "Offers held by a customer"): a POS showed "0.00 off".
      reward: { kind: 'amount', amount, currency, ...(o.discount_amount === undefined ? { amount_unknown: true as const } : {}) },
      expires_at: null,
      locked: o.status === 'locked' ? (lockedBy === 'this_sale' ? 'this_sale' : 'other') : null,
      ...(withBasket ? { discount_amount: amount } : {}),
    };
  }

  private async lookupOffers(customerId: string, store: string, basket: Basket | undefined, createdAt: string) {
    return this.client.call('api/2.0/lookup', store, randomUUID(), {
      user_id: customerId, ...(basket ? { transaction: this.transaction(basket, createdAt) } : {}),
    }, lookupData);
  }

  private async offers(m: Msg<'offers'>, ctx: OpContext): Promise<OffersResult> {
    const { basket } = m.payload;
    const d = await this.lookupOffers(m.payload.customer_id, ctx.source.store, basket, m.created_at);
    const currency = basket?.currency ?? this.config.currency;
    return {
      customer_id: d.user.id,
      offers: d.offers.filter((o) => o.status !== 'redeemed').map((o) => this.held(o, currency, basket !== undefined)),
    };
  }

  private async lock(m: Msg<'lock'>, ctx: OpContext): Promise<LockResult> {
    const txnId = m.txn_id ?? '';
    if (m.payload.amount !== undefined) throw unsupportedError(this.name, 'lock', 'SessionM locks offers, not amounts of a balance');
    const { basket } = m.payload;
    // Lock Offer takes the transaction the discount is applied to (required): without the basket there is none.
    if (!basket || !txnId) throw new AgentError('BAD_REQUEST', 'basket: the sessionm backend locks an offer for a sale\'s transaction (SessionM\'s Lock Offer takes it): give the basket', false);
    // The Discount object Lock Offer answers has no expiry: SessionM's default lock is 15 minutes (seed 003),
    // counted from before the first lock call so the till never believes a lock outlives SessionM's.
    const lockedUntil = new Date(Date.now() + DEFAULT_LOCK_TTL_S * 1000).toISOString();
    const ids = m.payload.offer_ids;
    // "A lock is all or nothing: if one offer cannot be locked, nothing is" (LOCAL.md). SessionM locks
    // one offer per call: the offers that were free before this lock are released again when a later
    // one is refused (an offer this sale had locked already keeps its lock, as a refused re-lock
    // leaves the sale's lock on the ledger). They stayed locked for 15 minutes although the till was
    // told the lock failed.
    const free = ids.length > 1
      ? new Set((await this.lookupOffers(m.payload.customer_id, ctx.source.store, undefined, m.created_at)).offers
        .filter((o) => o.status === 'available').map((o) => o.user_offer_id))
      : new Set<string>();
    const taken: string[] = [];
    for (const id of ids) {
      try {
        // One request id per offer of this message: a resent lock is answered, not refused as "already locked".
        await this.client.call('api/2.0/lock', ctx.source.store, platformRequestId(ctx.requestId, id),
          this.discount(ctx, id, txnId, m.payload.customer_id, basket, m.created_at), lockData);
        if (free.has(id)) taken.push(id);
      } catch (error) {
        // Only a refusal is undone: after a transient failure the till may send the lock again, and
        // SessionM answers a resend by its request id without locking again.
        if (!isRefusal(error)) throw error;
        await this.release(taken, ctx);
        throw this.lockRefusal(id, m.payload.customer_id, error);
      }
    }
    const d = await this.lookupOffers(m.payload.customer_id, ctx.source.store, m.payload.basket, m.created_at);
    const currency = m.payload.basket?.currency ?? this.config.currency;
    const offers = d.offers.filter((o) => m.payload.offer_ids.includes(o.user_offer_id)).map((o) => this.held(o, currency, m.payload.basket !== undefined, 'this_sale'));
    return { txn_id: txnId, expires_at: lockedUntil, ttl_s: Math.max(0, Math.round((Date.parse(lockedUntil) - Date.now()) / 1000)), offers };
  }

  /** Unlock Offer for one offer: SessionM unlocks one per call. */
  private unlockOffer(ctx: OpContext, id: string, requestId: string): Promise<unknown> {
    return this.client.call('api/2.0/unlock', ctx.source.store, requestId, { user_offer_id: id, employee_id: this.config.employee_id }, z.unknown());
  }

  /** Best effort: an offer not released here is released by SessionM's lock expiry (15 minutes). */
  private async release(ids: string[], ctx: OpContext): Promise<void> {
    for (const id of ids) {
      await this.unlockOffer(ctx, id, platformRequestId(ctx.requestId, id, 'released')).catch(() => undefined);
    }
  }

  /** A refused Lock Offer as the till's lock refusals (LOCAL.md "Offers held by a customer", Refusals). */
  private lockRefusal(id: string, customerId: string, error: PlatformError): Error {
    if (error.kind === 'not_found') return new AgentError('NOT_FOUND', `offer_ids: customer ${customerId} holds no offer ${id} (${error.message})`, false);
    if (error.detail.status === 409 || codeKey(error.detail.platformCode) === 'not_available') {
      // Retryable: free again once the other sale unlocks, is sent, or its lock expires.
      return /locked/.test(error.message)
        ? new AgentError('OFFER_LOCKED', `offer ${id} is locked by another sale (${error.message})`, true)
        : new AgentError('OFFER_UNAVAILABLE', `offer ${id} is not available (${error.message})`, false);
    }
    return error;
  }

  private async unlock(m: Msg<'unlock'>, ctx: OpContext): Promise<UnlockResult> {
    const ids = m.payload.offer_ids;
    if (!ids || ids.length === 0) {
      throw new AgentError('BAD_REQUEST', 'offer_ids: the sessionm backend unlocks named offers only (SessionM keeps no list of a sale\'s locks)', false);
    }
    // "Unlocking what is not locked is not an error (released_* say what was released)" (LOCAL.md): an
    // offer SessionM will not unlock (redeemed meanwhile, unknown) is left out of released_offers and the
    // others are still unlocked. The first such refusal failed the whole unlock, and the offers after
    // it in the list stayed locked for 15 minutes.
    const released: string[] = [];
    for (const id of ids) {
      try {
        await this.unlockOffer(ctx, id, platformRequestId(ctx.requestId, id));
        released.push(id);
      } catch (error) {
        if (!isRefusal(error)) throw error;
      }
    }
    return { txn_id: m.txn_id ?? '', released_offers: released, released_amount: 0 };
  }

  private async redeem(m: Msg<'redeem'>, ctx: OpContext): Promise<RedeemHostResult> {
    const { offer_id: offerId, basket } = m.payload;
    try {
      const d = await this.client.call('api/2.0/redeem', ctx.source.store, ctx.requestId,
        this.discount(ctx, offerId, m.payload.txn_id, m.payload.customer_id, basket, m.created_at), redeemData);
      const amount = fromDecimal(d.discount_amount, basket.currency);
      if (amount === undefined) throw new PlatformError('sessionm', 'bad_response', `redeem: ${d.discount_amount} is not an amount`);
      return { status: 'redeemed', offer_id: offerId, name: d.name, discount_amount: Math.min(amount, basket.total), currency: basket.currency };
    } catch (error) {
      // SessionM's refusal is an answer: recorded like a result, so a repeat gets the same one.
      if (isPlatformError(error) && error.kind === 'not_found') return { status: 'refused', offer_id: offerId, code: 'NOT_FOUND', message: error.message };
      // "Object was found but is unavailable" (NOT_AVAILABLE, in an HTTP 200: SessionM's generic statuses), or a 409.
      if (isPlatformError(error) && error.kind === 'rejected' && (error.detail.status === 409 || codeKey(error.detail.platformCode) === 'not_available')) {
        return { status: 'refused', offer_id: offerId, code: /locked/.test(error.message) ? 'OFFER_LOCKED' : 'OFFER_UNAVAILABLE', message: error.message };
      }
      throw error;
    }
  }

  private async reinstate(m: Msg<'reinstate'>, ctx: OpContext): Promise<ReinstateHostResult> {
    const redemption = m.txn_id ? ctx.recorded('redeem', m.txn_id) : undefined;
    if (!redemption || redemption.status !== 'redeemed') throw new AgentError('NOT_FOUND', `no redemption ${m.txn_id ?? ''} on this till`, false);
    const offerId = String(redemption.offer_id);
    await this.client.call('api/2.0/reinstate', ctx.source.store, ctx.requestId, { user_offer_id: offerId, employee_id: this.config.employee_id }, z.unknown());
    return { offer_id: offerId, reinstated_discount_amount: Number(redemption.discount_amount), currency: String(redemption.currency) };
  }

  async checkOps(): Promise<OpCheck[]> {
    const store = Object.values(this.config.stores)[0] ?? 'default';
    let reach: { ok: boolean; detail: string };
    try {
      await this.client.call('api/2.0/lookup', store, randomUUID(), { user_id: 'till-agent-check-backend' }, lookupData);
      reach = { ok: true, detail: 'api/2.0/lookup answers' };
    } catch (error) {
      reach = isPlatformError(error) && error.kind === 'not_found'
        ? { ok: true, detail: 'api/2.0/lookup answers' }
        : { ok: false, detail: `api/2.0/lookup: ${(error as Error).message}` };
    }
    return UPSTREAM_OPS.map((op) => {
      const reason = this.unsupported[op];
      if (reason !== undefined) return { op, ok: false, detail: `unsupported: ${reason}` };
      if (['award', 'lock', 'unlock', 'redeem', 'reinstate'].includes(op)) {
        return { op, ok: reach.ok, detail: reach.ok ? 'credentials and store accepted (not probed: it would change a customer)' : reach.detail };
      }
      return { op, ...reach };
    });
  }

  async doctor(): Promise<PlatformCheck[]> {
    const store = Object.values(this.config.stores)[0] ?? 'default';
    const started = Date.now();
    try {
      const answer = await this.client.probe(store, randomUUID());
      const ms = Date.now() - started;
      const parsed = responseSchema.safeParse(answer.body);
      const said = parsed.success ? errorsOf(parsed.data.errors).code : undefined;
      const code = codeKey(said);
      // SessionM's generic statuses refuse credentials with a 401 or in a 200 (ACCESS_DENIED, INVALID_API_KEY…).
      const authOk = answer.status !== 401 && answer.status !== 403 && !AUTH_CODES.has(code);
      // The probe's user does not exist: SessionM answers it in its response container (OK, or not found in a 404
      // or a 200). Without the container (a web page answering 200 or 404) the URL is wrong; it was "ok" on a 200.
      const callOk = parsed.success && authOk && !SERVER_CODES.has(code) && (answer.status === 200 || answer.status === 404);
      const status = `HTTP ${answer.status}${said !== undefined ? ` ${said}` : ''}`;
      return [
        { name: 'sessionm auth', ok: authOk, detail: authOk ? 'key and secret accepted' : `${status}: key, secret or client_id refused` },
        {
          name: 'sessionm call', ok: callOk,
          detail: `api/2.0/lookup: ${status} in ${ms} ms${parsed.success ? '' : ', not a SessionM answer (no response container): check sessionm.url'}`,
        },
        clockSkew('sessionm', answer.headers.get('date'), started + ms / 2),
      ];
    } catch (error) {
      return [{ name: 'sessionm call', ok: false, detail: (error as Error).message }];
    }
  }

  async stop(): Promise<void> {}
}
