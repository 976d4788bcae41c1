// One handler per upstream op. Each runs inside the batch transaction (and its own savepoint),
// reads and writes the ledger synchronously, and returns the op's result object or throws an
// AgentError whose `retryable: false` means "permanent" to the till.
import type { Basket } from '../protocol/basket.ts';
import { AgentError } from '../protocol/errors.ts';
import type {
  HostIdentifyResult, HostProductsSyncResult, HostSpendResult, HostVoidResult, UpstreamMessage, UpstreamOp,
} from '../protocol/upstream.ts';
import { awardResult, computeRewards, previewResult, type Rewards } from './engine.ts';
import { filterMapPacked, joinIds, mapPacked } from '../runtime/packed.ts';
import { legacyPhoneKey, normaliseIdentifier } from '../protocol/identifiers.ts';
import { clampToZero, isPointsUnit } from '../protocol/money.ts';
import type { EntryKind, NewEntry, Participant, Wallet } from './ledger.ts';
import type { MessageOf, OpContext } from './op-context.ts';
import * as heldOffers from './offer-handlers.ts';
import { spendRoom } from './sale.ts';
import { afterAward, afterSpend, refund, voidCredit, voucherRedeem, withReduction } from './credit-handlers.ts';
import { withoutReductions } from './queued-award.ts';
import { refuseOnVoidedSale } from './voided-sale.ts';

type Handler<O extends UpstreamOp> = (ctx: OpContext, message: MessageOf<O>) => Record<string, unknown>;

const permanent = (code: 'NOT_FOUND' | 'BAD_REQUEST', message: string) => new AgentError(code, message, false);

function customer(ctx: OpContext, customerId: string): { participant: Participant; wallet: Wallet } {
  const participant = ctx.ledger.participant(customerId);
  const wallet = participant && ctx.ledger.wallet(participant.id);
  if (!participant || !wallet) throw permanent('NOT_FOUND', `unknown customer ${customerId}`);
  return { participant, wallet };
}

function requireTxn(message: UpstreamMessage): string {
  if (message.txn_id === null || message.txn_id === '') throw permanent('BAD_REQUEST', `txn_id: ${message.op} needs a txn_id`);
  return message.txn_id;
}

function rewards(ctx: OpContext, customerId: string, basket: Basket, purchasedAt: string, txnId: string | null = null): { rewards: Rewards; wallet: Wallet } {
  const { participant, wallet } = customer(ctx, customerId);
  const accepted = acceptedCurrencies(ctx);
  if (!accepted.includes(basket.currency)) {
    throw permanent('BAD_REQUEST', `basket.currency: ${basket.currency} is not a currency this host accepts (${accepted.join(', ') || 'none'})`);
  }
  // A points-only customer earns points on a basket in any accepted currency; a money wallet
  // must be in the basket's currency (cashback is never converted).
  const wallets = ctx.ledger.wallets(participant.id);
  const money = wallets.find((w) => !isPointsUnit(w.currency));
  if (money && basket.currency !== money.currency) {
    throw permanent('BAD_REQUEST', `basket.currency: ${basket.currency} does not match the customer's ${money.currency} wallet`);
  }
  const r = computeRewards({
    participant: {
      balance: money?.balance ?? 0,
      automatic_spend: participant.automatic_spend,
      tier: participant.tier,
      money_wallet: money !== undefined,
      points_units: filterMapPacked(wallets, (w) => isPointsUnit(w.currency), (w) => w.currency),
      held: money ? heldOffers.heldByOthers(ctx, participant.id, money.currency, txnId) : 0,
    },
    offers: ctx.ledger.offers(),
    products: ctx.ledger.productInfo(mapPacked(basket.items, (i) => i.sku)),
    basket,
    store: basket.store ?? ctx.source.store,
    purchased_at: purchasedAt,
    timezone: ctx.settings.timezone,
    reduction: ctx.settings.reduction,
    default_product: ctx.settings.default_product,
  });
  return { rewards: withReduction(ctx, r, basket.store ?? ctx.source.store), wallet };
}

export function acceptedCurrencies(ctx: OpContext): string[] {
  return ctx.settings.currencies && ctx.settings.currencies.length > 0 ? [...ctx.settings.currencies] : ctx.ledger.walletCurrencies();
}

const balances = (ctx: OpContext, participantId: string) =>
  mapPacked(ctx.ledger.wallets(participantId), (w) => ({ amount: w.balance, currency: w.currency }));

/** `wallets` for a result: only for customers who hold points (a money-only answer stays as it was). */
function walletsField(ctx: OpContext, participantId: string): { wallets?: Array<{ amount: number; currency: string }> } {
  const all = balances(ctx, participantId);
  return all.some((w) => isPointsUnit(w.currency)) ? { wallets: all } : {};
}

const identify: Handler<'identify'> = (ctx, m) => {
  const { by, value } = m.payload;
  const key = normaliseIdentifier(by, value);
  // A phone seeded before "00" and "(0)" were read as the + form is kept under its old key.
  const legacy = by === 'phone' ? legacyPhoneKey(value) : key;
  const participant = ctx.ledger.participantByIdentifier(by, key) ?? (legacy !== key ? ctx.ledger.participantByIdentifier(by, legacy) : undefined);
  const wallet = participant && ctx.ledger.wallet(participant.id);
  // Never echo the identifier value: it is a card number, phone or email.
  if (!participant || !wallet) throw permanent('NOT_FOUND', `no customer with this ${m.payload.by}`);
  const result: HostIdentifyResult = {
    customer: {
      id: participant.id,
      name: participant.name,
      ...(participant.tier !== null ? { tier: participant.tier } : {}),
      balance: { amount: wallet.balance, currency: wallet.currency },
      ...walletsField(ctx, participant.id),
    },
    offers: heldOffers.availableOffers(ctx, participant.id),
    currencies: acceptedCurrencies(ctx),
  };
  return result;
};

const preview: Handler<'preview'> = (ctx, m) => {
  // A preview naming its sale (txn_id, protocol 2) leaves out every other sale's locks, as that
  // sale's award and spend will; without one, only other tills' locks.
  const txnId = m.txn_id === null || m.txn_id === '' ? null : m.txn_id;
  const { rewards: r, wallet } = rewards(ctx, m.payload.customer_id, m.payload.basket, m.created_at, txnId);
  // spendable_amount is what a spend right after the award of this basket gets (sale.ts): with the
  // sale's own award spendable, that is the balance after the award, up to what is left to pay.
  const included = ctx.settings.spend?.this_sale_award === 'included';
  const computed = !included ? previewResult(r, wallet)
    : { ...previewResult(r, wallet), spendable_amount: clampToZero(Math.min(r.balance_after, m.payload.basket.total - r.instant_spend_amount - r.automatic_spend_amount)) };
  const result = heldOffers.previewAfterLocks(ctx, m.payload.customer_id, computed, txnId, included ? r.balance_after - r.balance_before : undefined);
  return { ...result, ...walletsField(ctx, wallet.participant_id), currencies: acceptedCurrencies(ctx) };
};

/**
 * An award's ledger entry as an object literal. Node 20's V8 gives every object made by `{ ...base, kind: … }`
 * (a spread, then more properties) a hidden class of its own once the code is optimised: each read of its
 * fields in append and insertEntry then missed its inline cache (~10 runtime lookups per entry, and a new
 * map per object for the GC; issue 10). A literal with its keys always in one order shares one.
 */
function saleEntry(
  participant_id: string, terminal: string, txn_id: string, message_id: string, currency: string, kind: EntryKind, amount: number, note?: string,
): NewEntry {
  return { participant_id, terminal, txn_id, message_id, currency, kind, amount, note };
}

const award: Handler<'award'> = (ctx, m) => {
  const txnId = requireTxn(m);
  refuseOnVoidedSale(ctx.ledger, ctx.terminal, txnId);
  const computed = rewards(ctx, m.payload.customer_id, m.payload.basket, m.created_at, txnId);
  const { wallet } = computed;
  const r = m.payload.pos_reduced === false ? withoutReductions(computed.rewards) : computed.rewards;
  // Each entry a literal of its own, not `{ ...base, kind, … }`: see saleEntry.
  const entry = (currency: string, kind: EntryKind, amount: number, note?: string) =>
    saleEntry(wallet.participant_id, ctx.terminal, txnId, m.id, currency, kind, amount, note);
  if (r.award_amount > 0) ctx.ledger.append(entry(r.currency, 'award', r.award_amount, joinIds(r.offers)));
  if (r.instant_spend_amount > 0) ctx.ledger.append(entry(r.currency, 'instant_spend', -r.instant_spend_amount));
  if (r.automatic_spend_amount > 0) ctx.ledger.append(entry(r.currency, 'automatic_spend', -r.automatic_spend_amount));
  for (const p of r.points) {
    const offers = joinIds(r.offers, (o) => o.points?.currency === p.currency);
    ctx.ledger.append(entry(p.currency, 'award', p.amount, offers));
  }
  if (r.unknown_skus.length > 0) ctx.log.info({ txn_id: txnId, unknown_skus: r.unknown_skus }, 'award with unknown SKUs');
  heldOffers.endSaleLock(ctx, txnId);
  const after = walletsField(ctx, wallet.participant_id);
  const primary = after.wallets?.find((b) => b.currency === wallet.currency);
  // basket_total is kept with the result: a later spend of the sale is capped by what is left to pay (sale.ts).
  // Object.assign onto the fresh result: the same keys in the same order as `{ ...a, ...b, c }` (see saleEntry).
  return afterAward(ctx, m, wallet.participant_id, r, Object.assign(awardResult(r, primary), after, { basket_total: m.payload.basket.total }));
};

const spend: Handler<'spend'> = (ctx, m) => {
  const { payload } = m;
  // A named spend (spend_id) is its own message (txn_id spendKey(sale, spend_id)), booked on its sale.
  const txnId = payload.sale_txn_id ?? requireTxn(m);
  if (isPointsUnit(payload.currency)) throw permanent('BAD_REQUEST', `currency: ${payload.currency} is a points unit: points are earned, not spent at the till`);
  const { wallet } = customer(ctx, payload.customer_id);
  if (payload.currency !== wallet.currency) {
    throw permanent('BAD_REQUEST', `currency: ${payload.currency} does not match the customer's ${wallet.currency} wallet`);
  }
  // Online: at most what earlier purchases left in the wallet, what is still to pay on the sale
  // (sale.ts) and what other sales do not hold locked (offer-handlers.ts). Offline: the till already
  // gave the reduction (under the same caps), so it stands.
  const room = spendRoom(ctx.ledger, ctx.terminal, txnId, wallet, ctx.settings.spend?.this_sale_award);
  const unlocked = heldOffers.spendableAfterLocks(ctx, wallet, txnId, room.spendable);
  const spent = payload.offline ? payload.amount : Math.min(payload.amount, room.spendable, room.remaining ?? room.spendable, unlocked);
  heldOffers.consumeAmountLock(ctx, txnId);
  let balance = wallet.balance;
  if (spent > 0) {
    balance = ctx.ledger.append({
      participant_id: wallet.participant_id, terminal: ctx.terminal, txn_id: txnId, message_id: m.id,
      kind: 'spend', amount: -spent, currency: wallet.currency, offline: payload.offline,
    });
  }
  if (payload.offline) {
    ctx.log.warn(
      { terminal: ctx.terminal, txn_id: txnId, customer_id: wallet.participant_id, amount: spent, balance, negative: balance < 0 },
      'offline spend applied as approved by the till',
    );
  }
  const result: HostSpendResult = {
    currency: wallet.currency, spent_amount: spent, balance: { amount: balance, currency: wallet.currency }, offline: payload.offline,
  };
  return afterSpend(ctx, m, wallet.participant_id, result);
};

const voidTxn: Handler<'void'> = (ctx, m) => {
  const txnId = requireTxn(m);
  const entries = ctx.ledger.reversibleEntries(ctx.terminal, txnId);
  const reinstated = heldOffers.voidSaleOffers(ctx, txnId);
  // A sale awarded nothing (a small basket, no offer that applies), or whose redemptions were all
  // reinstated, is still a sale of this till: its void is answered, with nothing reversed, rather
  // than refused as unknown (a dead letter). So is a sale paid only with a voucher: its void gives
  // the voucher back (voidCredit below).
  const known = () => ctx.ledger.processedByTxn(ctx.terminal, 'award', txnId) !== undefined || ctx.ledger.userOffers.hasRedemptionInSale(ctx.terminal, txnId)
    || ctx.ledger.credit.vouchersOfSale(ctx.terminal, txnId).redeemedHere.length > 0;
  if (entries.length === 0 && reinstated.length === 0 && !known()) {
    throw permanent('NOT_FOUND', `nothing to void for txn ${txnId}`);
  }
  let reversedAward = 0;
  let reversedSpend = 0;
  const reversedPoints = new Map<string, number>();
  const moneyBalances = new Map<string, { amount: number; currency: string }>();
  const participants = new Set<string>();
  const credit = voidCredit(ctx, txnId);
  for (const e of entries) {
    const left = credit.remaining(e);
    const amount = ctx.ledger.append({
      participant_id: e.participant_id, terminal: ctx.terminal, txn_id: txnId, message_id: m.id,
      kind: 'reversal', amount: -left, currency: e.currency, reverses: e.seq, note: m.payload.reason ?? null,
    });
    participants.add(e.participant_id);
    // Points are reported apart: they are never added to money amounts.
    if (isPointsUnit(e.currency)) {
      reversedPoints.set(e.currency, (reversedPoints.get(e.currency) ?? 0) + left);
      continue;
    }
    moneyBalances.set(e.participant_id, { amount, currency: e.currency });
    if (e.kind === 'award') reversedAward += left;
    else reversedSpend += -left;
  }
  const result: HostVoidResult = { reversed_award_amount: reversedAward, reversed_spend_amount: reversedSpend };
  if (reinstated.length > 0) result.reinstated_offers = reinstated;
  const vouchers = credit.vouchers();
  if (vouchers.length > 0) result.vouchers = vouchers;
  // A transaction normally touches one wallet; report it. Several wallets: no single balance to give.
  const only = moneyBalances.size === 1 ? [...moneyBalances.values()][0] : undefined;
  if (only) {
    result.currency = only.currency;
    result.balance = only;
  }
  if (reversedPoints.size > 0) result.reversed_points = [...reversedPoints].map(([currency, amount]) => ({ amount, currency }));
  if (participants.size === 1) Object.assign(result, walletsField(ctx, [...participants][0]!));
  return result;
};

// delta: upsert. full: upsert, and once the whole catalogue is in, delete what is not in it.
const productsSync: Handler<'products.sync'> = (ctx, m) => {
  const result: HostProductsSyncResult = { accepted: ctx.ledger.upsertProducts(m.payload.products) };
  const sync = m.payload.sync;
  if (sync?.mode !== 'full') return result;
  const staged = ctx.ledger.stageFullSync(ctx.terminal, sync, m.payload.products.map((p) => p.sku));
  if (staged.deleted !== undefined) ctx.log.info({ sync_id: sync.id, deleted: staged.deleted }, 'full catalogue sync complete');
  return { ...result, ...staged };
};

export const handlers: { [O in UpstreamOp]: Handler<O> } = {
  identify,
  preview,
  award,
  spend,
  void: voidTxn,
  'products.sync': productsSync,
  offers: heldOffers.offers,
  lock: heldOffers.lock,
  unlock: heldOffers.unlock,
  redeem: heldOffers.redeem,
  reinstate: heldOffers.reinstate,
  refund,
  'voucher.redeem': voucherRedeem,
};

export function runHandler(ctx: OpContext, message: UpstreamMessage): Record<string, unknown> {
  const handler = handlers[message.op] as Handler<typeof message.op>;
  return handler(ctx, message as never);
}
