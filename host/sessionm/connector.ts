// Till ops → SessionM POS API (mapping table: host/README.md, "Backends").
//
//   identify  api/2.0/lookup (email, phone digits, or external_customer_id for cards and tokens)
//   preview   api/2.0/lookup with the basket as a transaction: the offers that apply, with discounts
//   award     api/2.0/send_transaction (transaction_id = f(till, txn_id), items ≥ 0, discounts apart)
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
import { PlatformError, isPlatformError } from '../platform/errors.ts';
import { platformRequestId } from '../platform/request-id.ts';
import type { SessionmClient } from './client.ts';
import type { SessionmConfig } from './config.ts';
import { lookupData, sendTransactionData } from './wire.ts';

type Msg<O extends UpstreamOp> = Extract<UpstreamMessage, { op: O }>;

export const SESSIONM_UNSUPPORTED: Partial<Record<UpstreamOp, string>> = {
  spend: 'the POS API has no wallet spend: value is given as offers (lookup, lock, redeem) and points are earned by send_transaction',
  void: 'the POS API has no reversal of a sent transaction (no negative items or amounts); reinstate redeemed offers instead',
  'products.sync': 'catalogs are loaded in full through SM Sync, not through the POS API (deltas are not supported)',
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
        tax_included: i.tax_included ?? true, ...(i.category ? { category: i.category } : {}),
      })),
      discounts: (basket.discounts ?? []).map((d) => ({ code: d.code, amount: toDecimal(d.amount, c) })),
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
    return { customer: { id: d.user.id, name, ...(d.user.tier ? { tier: d.user.tier } : {}), balance: this.balance(d.available_points) } };
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
    // Points are earned when the transaction is sent (economy rules): nothing to announce here.
    return {
      currency: basket.currency, award_amount: 0, instant_spend_amount: 0, automatic_spend_amount: 0, spendable_amount: 0,
      balance: this.balance(d.available_points), reduction: 'front_end', offers,
    };
  }

  private async award(m: Msg<'award'>, ctx: OpContext): Promise<HostAwardResult> {
    if (!m.txn_id) throw new AgentError('BAD_REQUEST', 'txn_id: award needs a txn_id', false);
    const { basket } = m.payload;
    const d = await this.client.call('api/2.0/send_transaction', ctx.source.store, ctx.requestId, {
      transaction_id: platformRequestId(ctx.terminal, 'transaction', m.txn_id),
      user_id: m.payload.customer_id,
      ...this.transaction(basket, m.created_at),
      payments: [{ type: 'till', amount: toDecimal(basket.total, basket.currency) }],
    }, sendTransactionData);
    return {
      currency: basket.currency,
      award_amount: d.points_earned * this.config.points_value,
      instant_spend_amount: 0, automatic_spend_amount: 0, total_spend_amount: 0,
      balance: this.balance(d.available_points ?? 0),
      reduction: 'front_end', offers: [], basket_total: basket.total,
    };
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
      if (op === 'award') return { op, ok: reach.ok, detail: reach.ok ? 'credentials and store accepted (send_transaction is not probed: it would record a sale)' : reach.detail };
      return { op, ...reach };
    });
  }

  async doctor(): Promise<PlatformCheck[]> {
    const store = Object.values(this.config.stores)[0] ?? 'default';
    const started = Date.now();
    try {
      const answer = await this.client.probe(store, randomUUID());
      const ms = Date.now() - started;
      const authOk = answer.status !== 401 && answer.status !== 403;
      return [
        { name: 'sessionm auth', ok: authOk, detail: authOk ? 'key and secret accepted' : `HTTP ${answer.status}: key, secret or client_id refused` },
        { name: 'sessionm call', ok: answer.status === 200 || answer.status === 404, detail: `api/2.0/lookup: HTTP ${answer.status} in ${ms} ms` },
        clockSkew('sessionm', answer.headers.get('date'), started + ms / 2),
      ];
    } catch (error) {
      return [{ name: 'sessionm call', ok: false, detail: (error as Error).message }];
    }
  }

  async stop(): Promise<void> {}
}
