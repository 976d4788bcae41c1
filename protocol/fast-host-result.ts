// The host's answer to an award checked by hand before zod, as protocol/fast-upstream.ts checks the
// envelope: the till checks every ok answer against its op's schema where it arrives
// (agent/upstream/host-results.ts), and awardResultSchema's parse was ~15 k of an online award's
// ~0.8 M instructions and ~30 k of a drained award's ~0.38 M (callgrind, issue 10). Either the
// result is exactly the schema's value (the same keys in the shape's order, unknown keys dropped,
// new objects and arrays) or undefined, and then the schema runs and its errors are the ones
// recorded. test/property/fast-host-result.property.test.ts holds the two together.
import { CURRENCY_PATTERN } from './money.ts';
import { isPlain, optional } from './fast-path.ts';
import { isCurrency, isPointsUnit } from './units.ts';
import type { HostAwardResult } from './upstream.ts';

type Plain = Record<string, unknown>;

const int = (value: unknown): value is number => Number.isSafeInteger(value);
const currency = (value: unknown): value is string => typeof value === 'string' && CURRENCY_PATTERN.test(value);
const unit = (value: unknown): value is string => typeof value === 'string' && (isCurrency(value) || isPointsUnit(value));

/** unitAmount: {amount, currency} with a wallet's unit. */
function unitAmount(value: unknown): Plain | undefined {
  if (!isPlain(value)) return undefined;
  const { amount, currency: u } = value;
  return int(amount) && unit(u) ? { amount, currency: u } : undefined;
}

/** z.array(each).max(max): a new array of each's values, or undefined if one is refused. */
function array(value: unknown, max: number, each: (item: unknown) => unknown): unknown[] | undefined {
  if (!Array.isArray(value) || value.length > max) return undefined;
  const out: unknown[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const item = each(value[i]);
    if (item === undefined) return undefined;
    out[i] = item;
  }
  return out;
}

const units = (value: unknown) => array(value, 20, unitAmount);
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
const flag = (value: unknown) => (typeof value === 'boolean' ? value : undefined);

/** offerAward: {id, name, award_amount, points?}. */
function offer(value: unknown): Plain | undefined {
  if (!isPlain(value)) return undefined;
  const { id, name, award_amount } = value;
  if (typeof id !== 'string' || typeof name !== 'string' || !int(award_amount)) return undefined;
  const out: Plain = { id, name, award_amount };
  return optional(value, 'points', out, unitAmount) ? out : undefined;
}

/** voucherSchema: {code, amount, currency}. */
function voucher(value: unknown): Plain | undefined {
  if (!isPlain(value)) return undefined;
  const { code, amount, currency: c } = value;
  return typeof code === 'string' && int(amount) && currency(c) ? { code, amount, currency: c } : undefined;
}

/** awardResultSchema's value for `raw`, or undefined (then the schema decides). */
export function fastAwardResult(raw: unknown): HostAwardResult | undefined {
  if (!isPlain(raw)) return undefined;
  const { currency: c, award_amount, instant_spend_amount, automatic_spend_amount, reduction } = raw;
  if (!currency(c) || !int(award_amount) || !int(instant_spend_amount) || !int(automatic_spend_amount)) return undefined;
  const balance = unitAmount(raw.balance);
  if (!balance || (reduction !== 'front_end' && reduction !== 'back_end')) return undefined;
  const offers = array(raw.offers, Number.MAX_SAFE_INTEGER, offer);
  if (!offers) return undefined;
  // The shape's order: preview's fields without spendable_amount, then extend's new ones (award_pending last).
  const out: Plain = { currency: c, award_amount, instant_spend_amount, automatic_spend_amount, balance, reduction, offers };
  if (!optional(raw, 'points', out, units) || !optional(raw, 'wallets', out, units)) return undefined;
  if (!optional(raw, 'currencies', out, (v) => array(v, 200, (x) => (currency(x) ? x : undefined)))) return undefined;
  if (!optional(raw, 'unknown_skus', out, (v) => array(v, Number.MAX_SAFE_INTEGER, str))) return undefined;
  const { total_spend_amount } = raw;
  if (!int(total_spend_amount)) return undefined;
  out.total_spend_amount = total_spend_amount;
  if (!optional(raw, 'basket_total', out, (v) => (int(v) ? v : undefined))) return undefined;
  if (!optional(raw, 'voucher', out, voucher)) return undefined;
  // Absent in the common case (every backend but SessionM): one missed key, as for voucher above.
  return optional(raw, 'award_pending', out, flag) ? (out as unknown as HostAwardResult) : undefined;
}
