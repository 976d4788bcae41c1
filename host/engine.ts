// Pure rewards computation: offers × basket × participant → award, instant, automatic and
// spendable amounts. No I/O and no clock: the caller passes the purchase time and time zone.
// All arithmetic is in integer minor units through protocol/money.ts.
import type { Basket, BasketItem } from '../protocol/basket.ts';
import type { Reduction } from '../protocol/local.ts';
import { addAmounts, clampToZero, exponentOf, minAmount, percentOf, prorate } from '../protocol/money.ts';
import type { HostAwardResult, HostPreviewResult } from '../protocol/upstream.ts';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface OfferConditions {
  skus?: string[];
  categories?: string[];
  stores?: string[];
  weekdays?: Weekday[];
  /** Local "HH:MM" in the host's time zone; `from` inclusive, `to` exclusive, wraps midnight if from > to. */
  hours?: { from: string; to: string };
  /** "YYYY-MM-DD" (local date, inclusive) or an ISO date-time with offset (from inclusive, to exclusive). */
  valid_from?: string;
  valid_to?: string;
  /** Only customers of these tiers (SessionM economy rules "available within a specific tier level"). */
  tiers?: string[];
  /** Only baskets from these POS channels (SessionM: "the bar, the main dining room, and the patio"). */
  channels?: string[];
}

/** A money reward: cashback, or a discount on a held offer. */
export type MoneyReward =
  | { kind: 'percent'; basis_points: number }
  | { kind: 'amount'; amount: number; currency?: string };

export type OfferReward =
  | MoneyReward
  /** Whole points into the customer's `unit` wallet: a fixed number, or per whole currency unit spent. */
  | { kind: 'points'; points: number; unit: string }
  | { kind: 'points_per_unit'; points: number; unit: string };

export interface Offer {
  id: string;
  name: string;
  reward: OfferReward;
  /** The award is spent on the same purchase (capped at the basket total). */
  instant: boolean;
  conditions: OfferConditions;
}

export interface ProductInfo {
  categories: readonly string[];
}

export interface RewardsInput {
  /**
   * balance: of the wallet in the basket's currency; money_wallet false (a points-only customer):
   * money offers award nothing and nothing is spent. points_units: the customer's points wallets.
   */
  /** held: money of the wallet other sales hold locked (host/offer-handlers.ts); automatic spend never takes it. */
  participant: { balance: number; automatic_spend: boolean; tier?: string | null; money_wallet?: boolean; points_units?: readonly string[]; held?: number };
  offers: readonly Offer[];
  /** Products of the basket's SKUs that the host knows; others fall back to the default product. */
  products: ReadonlyMap<string, ProductInfo>;
  basket: Basket;
  store: string;
  /** The till's original created_at (ISO with offset): offers are evaluated at purchase time. */
  purchased_at: string;
  timezone: string;
  reduction: Reduction;
  default_product: { sku: string; name: string };
}

export interface Points {
  amount: number;
  currency: string;
}

export interface OfferAward {
  id: string;
  name: string;
  award_amount: number;
  /** A points offer: the points it gives (award_amount is then 0). */
  points?: Points;
}

export interface Rewards {
  currency: string;
  award_amount: number;
  instant_spend_amount: number;
  automatic_spend_amount: number;
  spendable_amount: number;
  total_spend_amount: number;
  /** Balance before this purchase, and after it is awarded. */
  balance_before: number;
  balance_after: number;
  reduction: Reduction;
  offers: OfferAward[];
  /** Points awarded, per points unit. */
  points: Points[];
  unknown_skus: string[];
}

interface LocalTime {
  weekday: Weekday;
  minutes: number;
  date: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** The purchase's weekday, minute of the day and date where the host is (settings.timezone). */
export function localTime(instant: Date, timezone: string): LocalTime {
  const t = instant.getTime();
  const offset = steadyOffset(t, timezone);
  if (offset === undefined) return formattedLocalTime(instant, timezone);
  const local = new Date(t + offset);
  const year = local.getUTCFullYear();
  return {
    weekday: BY_UTC_DAY[local.getUTCDay()]!,
    minutes: local.getUTCHours() * 60 + local.getUTCMinutes(),
    date: `${year}-${String(local.getUTCMonth() + 1).padStart(2, '0')}-${String(local.getUTCDate()).padStart(2, '0')}`,
  };
}

/** Intl's answer for one instant: ~25 µs, once per award of a drain before steadyOffset (issue 10). Exported for its test. */
export function formattedLocalTime(instant: Date, timezone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timezone).formatToParts(instant)) parts[p.type] = p.value;
  const weekday = (parts.weekday ?? '').toLowerCase().slice(0, 3) as Weekday;
  const minutes = Number(parts.hour) * 60 + Number(parts.minute);
  return { weekday, minutes, date: `${parts.year}-${parts.month}-${parts.day}` };
}

const BY_UTC_DAY: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const HOUR_MS = 3_600_000;
// Years Intl writes as plain four digits (it pads none and adds eras outside): beyond, ask Intl.
const FIRST_INSTANT = Date.UTC(1000, 0, 2);
const LAST_INSTANT = Date.UTC(9999, 11, 30);
/** Per time zone, the UTC hours seen lately and their offset (null: the offset changes within it). */
const hourOffsets = new Map<string, Map<number, number | null>>();
const MAX_HOURS_PER_ZONE = 256;

/**
 * The zone's UTC offset (ms) throughout the UTC hour of `t`, when it is the same at the hour's first
 * and last millisecond, which no zone's rules break (offset changes are months apart); undefined
 * when it changes within the hour (Intl answers those instants). Intl is asked twice per hour seen.
 */
function steadyOffset(t: number, timezone: string): number | undefined {
  if (!(t >= FIRST_INSTANT && t <= LAST_INSTANT)) return undefined;
  const hour = Math.floor(t / HOUR_MS);
  let zone = hourOffsets.get(timezone);
  if (!zone) {
    zone = new Map();
    hourOffsets.set(timezone, zone);
  }
  let offset = zone.get(hour);
  if (offset === undefined) {
    const first = offsetAt(hour * HOUR_MS, timezone);
    const last = offsetAt(hour * HOUR_MS + HOUR_MS - 1, timezone);
    offset = first === last ? first : null;
    if (zone.size >= MAX_HOURS_PER_ZONE) zone.clear();
    zone.set(hour, offset);
  }
  return offset ?? undefined;
}

/** Local wall time minus UTC at instant t, to the second (historic offsets have seconds). */
function offsetAt(t: number, timezone: string): number {
  const p: Record<string, string> = {};
  for (const part of formatterFor(timezone).formatToParts(new Date(t))) p[part.type] = part.value;
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return wall - Math.floor(t / 1000) * 1000;
}

function hhmm(value: string): number {
  // Not `const [h, m] = value.split(':')`: under load its optimised code was now and then thrown away
  // ("wrong map" on split's array, test/host/online-deopt.test.ts); this runs for every offer with hours.
  const colon = value.indexOf(':');
  return Number(value.slice(0, colon)) * 60 + Number(value.slice(colon + 1));
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function withinValidity(c: OfferConditions, instant: Date, local: LocalTime): boolean {
  if (c.valid_from !== undefined) {
    if (DATE_ONLY.test(c.valid_from) ? local.date < c.valid_from : instant < new Date(c.valid_from)) return false;
  }
  if (c.valid_to !== undefined) {
    if (DATE_ONLY.test(c.valid_to) ? local.date > c.valid_to : instant >= new Date(c.valid_to)) return false;
  }
  return true;
}

function withinHours(hours: { from: string; to: string }, minutes: number): boolean {
  const from = hhmm(hours.from);
  const to = hhmm(hours.to);
  if (from === to) return true;
  return from < to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
}

/** Whether the offer applies to this purchase at all (store, calendar, clock). */
export function offerAppliesTo(offer: Offer, store: string, instant: Date, local: LocalTime, tier: string | null = null, channel?: string): boolean {
  const c = offer.conditions;
  if (c.stores && !c.stores.includes(store)) return false;
  if (c.channels && (channel === undefined || !c.channels.includes(channel))) return false;
  if (c.tiers && (tier === null || !c.tiers.includes(tier))) return false;
  if (c.weekdays && !c.weekdays.includes(local.weekday)) return false;
  if (c.hours && !withinHours(c.hours, local.minutes)) return false;
  return withinValidity(c, instant, local);
}

function itemMatches(offer: Offer, item: BasketItem, input: RewardsInput): boolean {
  const c = offer.conditions;
  const product = input.products.get(item.sku);
  if (c.skus) {
    const unknownAsDefault = !product && c.skus.includes(input.default_product.sku);
    if (!c.skus.includes(item.sku) && !unknownAsDefault) return false;
  }
  if (c.categories) {
    const own = item.category !== undefined && c.categories.includes(item.category);
    const viaProduct = product?.categories.some((cat) => c.categories?.includes(cat)) ?? false;
    if (!own && !viaProduct) return false;
  }
  return true;
}

/** Matching item amounts, prorated by total/gross (floored) when the basket carries discounts. */
export function eligibleAmount(offer: Offer, input: RewardsInput): number {
  const { basket } = input;
  let eligible = 0;
  let gross = 0;
  for (const item of basket.items) {
    gross += item.amount;
    if (itemMatches(offer, item, input)) eligible += item.amount;
  }
  if ((basket.discounts ?? []).length > 0) return prorate(eligible, basket.total, gross);
  return eligible;
}

export function offerAward(offer: Offer, eligible: number, currency: string): number {
  if (eligible <= 0) return 0;
  const r = offer.reward;
  if (r.kind === 'percent') return percentOf(eligible, r.basis_points);
  if (r.kind !== 'amount') return 0;
  if (r.currency !== undefined && r.currency !== currency) return 0;
  return r.amount;
}

/** Points an offer gives for this eligible amount: per whole currency unit is floored (0.99 EUR earns nothing). */
export function offerPoints(offer: Offer, eligible: number, currency: string): number {
  if (eligible <= 0) return 0;
  const r = offer.reward;
  if (r.kind === 'points') return r.points;
  if (r.kind === 'points_per_unit') return Math.floor(eligible / 10 ** exponentOf(currency)) * r.points;
  return 0;
}

export function computeRewards(input: RewardsInput): Rewards {
  const { basket, participant } = input;
  const instant = new Date(input.purchased_at);
  const local = localTime(instant, input.timezone);
  const offers: OfferAward[] = [];
  const points = new Map<string, number>();
  let awardTotal = 0;
  let instantAwards = 0;
  for (const offer of input.offers) {
    if (!offerAppliesTo(offer, input.store, instant, local, participant.tier ?? null, basket.channel)) continue;
    const r = offer.reward;
    if (r.kind === 'points' || r.kind === 'points_per_unit') {
      // Points go only to a points wallet the customer holds in that unit.
      if (!(participant.points_units ?? []).includes(r.unit)) continue;
      const earned = offerPoints(offer, eligibleAmount(offer, input), basket.currency);
      if (earned <= 0) continue;
      offers.push({ id: offer.id, name: offer.name, award_amount: 0, points: { amount: earned, currency: r.unit } });
      points.set(r.unit, addAmounts(points.get(r.unit) ?? 0, earned));
      continue;
    }
    if (participant.money_wallet === false) continue;
    const award = offerAward(offer, eligibleAmount(offer, input), basket.currency);
    if (award <= 0) continue;
    offers.push({ id: offer.id, name: offer.name, award_amount: award });
    awardTotal = addAmounts(awardTotal, award);
    if (offer.instant) instantAwards = addAmounts(instantAwards, award);
  }
  const instantSpend = minAmount(instantAwards, basket.total);
  const payable = basket.total - instantSpend;
  const automatic = participant.automatic_spend && participant.money_wallet !== false ? minAmount(clampToZero(participant.balance - (participant.held ?? 0)), payable) : 0;
  const unknown = new Set<string>();
  for (const item of basket.items) if (!input.products.has(item.sku)) unknown.add(item.sku);
  return {
    currency: basket.currency,
    award_amount: awardTotal,
    instant_spend_amount: instantSpend,
    automatic_spend_amount: automatic,
    spendable_amount: clampToZero(minAmount(participant.balance - automatic, payable - automatic)),
    total_spend_amount: instantSpend + automatic,
    balance_before: participant.balance,
    balance_after: addAmounts(participant.balance, awardTotal - instantSpend - automatic),
    reduction: input.reduction,
    offers,
    points: pointsList(points),
    unknown_skus: [...unknown],
  };
}

/** Points per unit as the result lists them: a loop, not `[...points].map` (runtime/packed.ts). */
function pointsList(points: ReadonlyMap<string, number>): Points[] {
  const out: Points[] = [];
  for (const [currency, amount] of points) out.push({ amount, currency });
  return out;
}

/** Preview reports the current balance: nothing is applied yet. */
export function previewResult(r: Rewards, primary?: { balance: number; currency: string }): HostPreviewResult {
  return {
    currency: r.currency,
    award_amount: r.award_amount,
    instant_spend_amount: r.instant_spend_amount,
    automatic_spend_amount: r.automatic_spend_amount,
    spendable_amount: r.spendable_amount,
    // A points-only customer's primary wallet is in points: report that balance, not a 0 of money.
    balance: primary && primary.currency !== r.currency ? { amount: primary.balance, currency: primary.currency } : { amount: r.balance_before, currency: r.currency },
    reduction: r.reduction,
    offers: r.offers,
    ...(r.points.length > 0 ? { points: r.points } : {}),
    ...(r.unknown_skus.length > 0 ? { unknown_skus: r.unknown_skus } : {}),
  };
}

/** Award reports the balance after the award and the spends made on the same purchase. */
export function awardResult(r: Rewards, primaryAfter?: { amount: number; currency: string }): HostAwardResult {
  const result: HostAwardResult = {
    currency: r.currency,
    award_amount: r.award_amount,
    instant_spend_amount: r.instant_spend_amount,
    automatic_spend_amount: r.automatic_spend_amount,
    total_spend_amount: r.total_spend_amount,
    balance: primaryAfter && primaryAfter.currency !== r.currency ? primaryAfter : { amount: r.balance_after, currency: r.currency },
    reduction: r.reduction,
    offers: r.offers,
  };
  if (r.points.length > 0) result.points = r.points;
  if (r.unknown_skus.length > 0) result.unknown_skus = r.unknown_skus;
  return result;
}
