// Host side of the offers a customer holds (SessionM POS flow): list them (with or without a
// basket), lock/unlock them (or an amount of the wallet) for one sale with a TTL, redeem one
// and reinstate a redemption. Runs inside the batch transaction like every handler: a thrown
// error rolls the whole message back, so a lock of three offers is all or nothing.
import type { Basket } from '../protocol/basket.ts';
import { AgentError } from '../protocol/errors.ts';
import { percentOf } from '../protocol/money.ts';
import { redeemAfterAward, reinstateAfterAward, type HeldOffer, type LockResult, type RedeemHostResult, type ReinstateHostResult, type UnlockResult } from '../protocol/offers.ts';
import type { UpstreamMessage } from '../protocol/upstream.ts';
import { eligibleAmount, localTime, offerAppliesTo, type Offer } from './engine.ts';
import type { MessageOf, OpContext } from './op-context.ts';
import { refuseOnVoidedSale } from './voided-sale.ts';
import type { Participant, Wallet } from './ledger.ts';
import type { UserOffer } from './user-offers.ts';
import { isoNow } from '../runtime/iso-now.ts';

/** SessionM's default lock time: 15 minutes. */
export const DEFAULT_LOCK_TTL_S = 900;

const permanent = (code: 'NOT_FOUND' | 'BAD_REQUEST' | 'OFFER_UNAVAILABLE', message: string) => new AgentError(code, message, false);

function customerOf(ctx: OpContext, customerId: string): { participant: Participant; wallet: Wallet } {
  const participant = ctx.ledger.participant(customerId);
  const wallet = participant && ctx.ledger.wallet(participant.id);
  if (!participant || !wallet) throw permanent('NOT_FOUND', `unknown customer ${customerId}`);
  return { participant, wallet };
}

function txnOf(message: UpstreamMessage, what = 'txn_id'): string {
  if (message.txn_id === null || message.txn_id === '') throw permanent('BAD_REQUEST', `txn_id: ${message.op} needs ${what}`);
  return message.txn_id;
}

/** Expired once `at` is past expires_at: a date is valid through that local day, a date-time up to that instant. */
export function isExpired(offer: Pick<UserOffer, 'expires_at'>, at: Date, timezone: string): boolean {
  const end = offer.expires_at;
  if (end === null) return false;
  if (/^\d{4}-\d{2}-\d{2}$/.test(end)) return localTime(at, timezone).date > end;
  return at >= new Date(end);
}

/** What the offer takes off this basket at `at`, or null when it does not apply to it. */
export function discountFor(ctx: OpContext, offer: UserOffer, basket: Basket, at: string): number | null {
  const asOffer: Offer = { id: offer.id, name: offer.name, reward: offer.reward, instant: false, conditions: offer.conditions };
  const instant = new Date(at);
  const store = basket.store ?? ctx.source.store;
  if (isExpired(offer, instant, ctx.settings.timezone)) return null;
  if (!offerAppliesTo(asOffer, store, instant, localTime(instant, ctx.settings.timezone))) return null;
  const eligible = eligibleAmount(asOffer, {
    participant: { balance: 0, automatic_spend: false },
    offers: [],
    products: ctx.ledger.productInfo(basket.items.map((i) => i.sku)),
    basket,
    store,
    purchased_at: at,
    timezone: ctx.settings.timezone,
    reduction: ctx.settings.reduction,
    default_product: ctx.settings.default_product,
  });
  if (eligible <= 0) return null;
  const r = offer.reward;
  if (r.kind === 'percent') return percentOf(eligible, r.basis_points) || null;
  if (r.currency !== undefined && r.currency !== basket.currency) return null;
  // Never more than the items it applies to: a discount cannot make a line negative.
  return Math.min(r.amount, eligible);
}

function held(offer: UserOffer, locked: HeldOffer['locked'], discount?: number): HeldOffer {
  return {
    id: offer.id, name: offer.name, reward: offer.reward, expires_at: offer.expires_at, locked,
    ...(discount !== undefined ? { discount_amount: discount } : {}),
  };
}

function lockState(ctx: OpContext, offerId: string, txnId: string | undefined): HeldOffer['locked'] {
  const lock = ctx.ledger.userOffers.lockOf(offerId);
  if (!lock) return null;
  return txnId !== undefined && lock.terminal === ctx.terminal && lock.txn_id === txnId ? 'this_sale' : 'other';
}

/** The customer's issued, unexpired offers (for identify and `offers` without a basket). */
export function availableOffers(ctx: OpContext, participantId: string, txnId?: string): HeldOffer[] {
  const now = new Date();
  ctx.ledger.userOffers.expireLocks(now.toISOString());
  return ctx.ledger.userOffers.issued(participantId)
    .filter((o) => !isExpired(o, now, ctx.settings.timezone))
    .map((o) => held(o, lockState(ctx, o.id, txnId)));
}

export function offers(ctx: OpContext, m: MessageOf<'offers'>): Record<string, unknown> {
  const { participant } = customerOf(ctx, m.payload.customer_id);
  const { basket, txn_id: txnId } = m.payload;
  const list = availableOffers(ctx, participant.id, txnId);
  if (!basket) return { customer_id: participant.id, offers: list };
  // With a basket (SessionM lookup with transaction data): only what applies to it, and not
  // what another sale holds.
  const applicable: HeldOffer[] = [];
  for (const item of list) {
    if (item.locked === 'other') continue;
    const discount = discountFor(ctx, ctx.ledger.userOffers.get(item.id)!, basket, m.created_at);
    if (discount !== null) applicable.push({ ...item, discount_amount: discount });
  }
  return { customer_id: participant.id, offers: applicable };
}

/** A sale's lock, replaced as a whole: the same txn_id again after a basket change re-locks (SessionM). */
export function lock(ctx: OpContext, m: MessageOf<'lock'>): Record<string, unknown> {
  const txnId = txnOf(m);
  const { participant, wallet } = customerOf(ctx, m.payload.customer_id);
  const book = ctx.ledger.userOffers;
  const now = new Date();
  const at = now.toISOString();
  const ttl = ctx.settings.lock_ttl_s ?? DEFAULT_LOCK_TTL_S;
  const expiresAt = new Date(now.getTime() + ttl * 1000).toISOString();
  const { basket, amount, currency } = m.payload;
  if (amount !== undefined && currency !== wallet.currency) {
    throw permanent('BAD_REQUEST', `currency: ${currency} does not match the customer's ${wallet.currency} wallet`);
  }
  book.expireLocks(at);
  book.release(ctx.terminal, txnId);
  const lockedOffers: HeldOffer[] = [];
  for (const id of m.payload.offer_ids) {
    const offer = book.get(id);
    if (!offer || offer.participant_id !== participant.id) throw permanent('NOT_FOUND', `offer_ids: customer ${participant.id} holds no offer ${id}`);
    if (offer.state !== 'issued') throw permanent('OFFER_UNAVAILABLE', `offer ${id} is already redeemed`);
    if (isExpired(offer, now, ctx.settings.timezone)) throw permanent('OFFER_UNAVAILABLE', `offer ${id} has expired`);
    const other = book.lockOf(id);
    // Retryable: free again once the other sale unlocks, awards, or its lock expires.
    if (other) throw new AgentError('OFFER_LOCKED', `offer ${id} is locked by another sale until ${other.expires_at}`, true);
    let discount: number | undefined;
    if (basket) {
      const d = discountFor(ctx, offer, basket, m.created_at);
      if (d === null) throw permanent('OFFER_UNAVAILABLE', `offer ${id} does not apply to this basket`);
      discount = d;
    }
    book.addLock({ terminal: ctx.terminal, txn_id: txnId, participant_id: participant.id, user_offer_id: id, amount: null, currency: null, expires_at: expiresAt }, at);
    lockedOffers.push(held(offer, 'this_sale', discount));
  }
  const result: LockResult = { txn_id: txnId, expires_at: expiresAt, ttl_s: ttl, offers: lockedOffers };
  if (amount !== undefined) {
    // Like a spend, a lock may hold less than asked: what the wallet has beyond other sales' locks.
    const free = Math.max(0, wallet.balance - book.lockedAmountByOthers(participant.id, wallet.currency, ctx.terminal, txnId));
    const locked = Math.min(amount, free);
    if (locked > 0) {
      book.addLock({ terminal: ctx.terminal, txn_id: txnId, participant_id: participant.id, user_offer_id: null, amount: locked, currency: wallet.currency, expires_at: expiresAt }, at);
    }
    result.locked_amount = locked;
    result.currency = wallet.currency;
  }
  return result;
}

export function unlock(ctx: OpContext, m: MessageOf<'unlock'>): Record<string, unknown> {
  const txnId = txnOf(m);
  const book = ctx.ledger.userOffers;
  book.expireLocks(isoNow());
  const released = book.release(ctx.terminal, txnId, m.payload.offer_ids);
  const result: UnlockResult = {
    txn_id: txnId,
    released_offers: released.flatMap((l) => (l.user_offer_id === null ? [] : [l.user_offer_id])),
    released_amount: released.reduce((s, l) => s + (l.amount ?? 0), 0),
  };
  return result;
}

/** Consumes one offer for one sale. A refusal is a result (stored, so a repeat gets it again), never a dead letter. */
export function redeem(ctx: OpContext, m: MessageOf<'redeem'>): Record<string, unknown> {
  const redemptionId = txnOf(m, 'the redemption_id as txn_id');
  const { txn_id: saleTxn, offer_id: offerId, basket } = m.payload;
  const { participant } = customerOf(ctx, m.payload.customer_id);
  // Its discount belongs in the sale's basket: after the award (computed on the full price) it is
  // refused for good, nothing applied (tills before this one committed it: a dead letter).
  if (ctx.ledger.processedByTxn(ctx.terminal, 'award', saleTxn) !== undefined) {
    refuseOnVoidedSale(ctx.ledger, ctx.terminal, saleTxn, 'redeem');
    throw new AgentError('CONFLICT', redeemAfterAward(saleTxn), false);
  }
  const book = ctx.ledger.userOffers;
  const at = new Date().toISOString();
  const refuse = (code: 'NOT_FOUND' | 'OFFER_LOCKED' | 'OFFER_UNAVAILABLE', message: string): RedeemHostResult =>
    ({ status: 'refused', offer_id: offerId, code, message });
  const offer = book.get(offerId);
  if (!offer || offer.participant_id !== participant.id) return refuse('NOT_FOUND', `customer ${participant.id} holds no offer ${offerId}`);
  if (offer.state !== 'issued') return refuse('OFFER_UNAVAILABLE', `offer ${offerId} is already redeemed`);
  if (isExpired(offer, new Date(m.created_at), ctx.settings.timezone)) return refuse('OFFER_UNAVAILABLE', `offer ${offerId} has expired`);
  book.expireLocks(at);
  const held = book.lockOf(offerId);
  const ownLock = held !== undefined && held.terminal === ctx.terminal && held.txn_id === saleTxn;
  if (held && !ownLock) return refuse('OFFER_LOCKED', `offer ${offerId} is locked by another sale until ${held.expires_at}`);
  const discount = discountFor(ctx, offer, basket, m.created_at);
  if (discount === null) return refuse('OFFER_UNAVAILABLE', `offer ${offerId} does not apply to this basket`);
  // The sale's own lock on it is consumed by the redemption.
  if (ownLock) book.release(ctx.terminal, saleTxn, [offerId]);
  book.setState(offerId, 'redeemed', at);
  book.addRedemption({ terminal: ctx.terminal, redemption_id: redemptionId, user_offer_id: offerId, txn_id: saleTxn, discount_amount: discount, currency: basket.currency }, at);
  const result: RedeemHostResult = { status: 'redeemed', offer_id: offerId, name: offer.name, discount_amount: discount, currency: basket.currency };
  return result;
}

/**
 * Gives a redeemed offer back to the customer's wallet (SessionM reinstate: for a sale changed or
 * abandoned before its final transaction). Once the sale is awarded, its basket carried the
 * redemption's discount (LOCAL.md, "The discount goes in the sale's basket"): giving the offer back
 * then would let the customer use it twice, so it is CONFLICT, nothing applied; the sale's void gives
 * it back (voidSaleOffers) with the award. One already reinstated (before the award, or by the
 * sale's void) is answered as before.
 */
export function reinstate(ctx: OpContext, m: MessageOf<'reinstate'>): Record<string, unknown> {
  const redemptionId = txnOf(m, 'the redemption_id as txn_id');
  const book = ctx.ledger.userOffers;
  const r = book.redemption(ctx.terminal, redemptionId);
  if (!r) throw permanent('NOT_FOUND', `no redemption ${redemptionId} from this till`);
  const at = new Date().toISOString();
  if (r.state === 'redeemed') {
    if (ctx.ledger.processedByTxn(ctx.terminal, 'award', r.txn_id) !== undefined) {
      throw new AgentError('CONFLICT', reinstateAfterAward(redemptionId, r.txn_id), false);
    }
    book.markReinstated(ctx.terminal, redemptionId, at);
    book.setState(r.user_offer_id, 'issued', at);
  }
  const result: ReinstateHostResult = { offer_id: r.user_offer_id, reinstated_discount_amount: r.discount_amount, currency: r.currency };
  return result;
}

// ---- what award, spend and void do with a sale's lock and redemptions ---------------------

/** A void cancels the whole sale: its lock ends and its redeemed offers go back to the wallet. */
export function voidSaleOffers(ctx: OpContext, txnId: string): string[] {
  const book = ctx.ledger.userOffers;
  const at = new Date().toISOString();
  book.release(ctx.terminal, txnId);
  return book.redeemedInSale(ctx.terminal, txnId).map((r) => {
    book.markReinstated(ctx.terminal, r.redemption_id, at);
    book.setState(r.user_offer_id, 'issued', at);
    return r.user_offer_id;
  });
}

/** The award closes the sale: its lock ends (locked offers it did not redeem go back to the wallet). */
export function endSaleLock(ctx: OpContext, txnId: string): void {
  ctx.ledger.userOffers.release(ctx.terminal, txnId);
}

/**
 * What an online spend of this sale may take: what earlier purchases left (`spendable`, sale.ts:
 * never this sale's own award) less what other sales hold locked. A lock was taken out of a
 * balance from earlier purchases, so this sale's award cannot stand in for it.
 */
export function spendableAfterLocks(ctx: OpContext, wallet: Wallet, txnId: string, spendable = wallet.balance): number {
  const book = ctx.ledger.userOffers;
  book.expireLocks(isoNow());
  return Math.max(0, spendable - book.lockedAmountByOthers(wallet.participant_id, wallet.currency, ctx.terminal, txnId));
}

/**
 * Preview's spendable amount leaves out what other sales hold locked, so that the spend of the
 * previewed sale gets what it says. With its `txn_id` (protocol 2) that is every other sale's lock,
 * this till's included, exactly as that spend counts them; a preview naming no sale can only
 * leave out other tills' locks (a lock of another sale on this same till is then not counted,
 * but would be by the spend).
 */
export function previewAfterLocks<R extends { spendable_amount: number; automatic_spend_amount: number; currency: string }>(
  ctx: OpContext, customerId: string, result: R, txnId: string | null = null, awardCredit?: number,
): R {
  const wallet = ctx.ledger.wallet(customerId);
  if (!wallet || wallet.currency !== result.currency) return result;
  const held = heldByOthers(ctx, wallet.participant_id, wallet.currency, txnId);
  if (held === 0) return result;
  // As the spend: what the balance leaves after the automatic spend (or, when the sale may spend
  // its own award, after the award: awardCredit = award − instant − automatic), less the others' locks.
  const free = Math.max(0, wallet.balance + (awardCredit ?? -result.automatic_spend_amount) - held);
  return { ...result, spendable_amount: Math.min(result.spendable_amount, free) };
}

/** Money other sales hold locked: with a sale, every other sale's locks; without (preview), other tills'. */
export function heldByOthers(ctx: OpContext, participantId: string, currency: string, txnId: string | null): number {
  const book = ctx.ledger.userOffers;
  book.expireLocks(isoNow());
  return txnId === null
    ? book.lockedAmountByOtherTills(participantId, currency, ctx.terminal)
    : book.lockedAmountByOthers(participantId, currency, ctx.terminal, txnId);
}

/** A spend consumes its sale's amount lock (the offers stay locked until redeemed or the award). */
export function consumeAmountLock(ctx: OpContext, txnId: string): void {
  ctx.ledger.userOffers.releaseAmount(ctx.terminal, txnId);
}
