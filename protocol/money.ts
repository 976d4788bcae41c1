// The one module that does money arithmetic and formatting.
// Money is an integer number of minor units plus an ISO 4217 alphabetic code; never a float.
import { AgentError } from './errors.ts';

export interface Money {
  amount: number;
  currency: string;
}

export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

// Loyalty points (protocol/units.ts) are whole numbers: "PTS" or a 4-16 character code.
export const DEFAULT_POINTS_UNIT = 'PTS';
const LONG_UNIT = /^[A-Z][A-Z0-9_]{3,15}$/;

/** A non-currency wallet unit (whole points), never mistaken for an ISO 4217 code. */
export function isPointsUnit(unit: string): boolean {
  return unit === DEFAULT_POINTS_UNIT || LONG_UNIT.test(unit);
}

// Bounds keep every sum we ever make far inside the exactly representable integers (2^53):
// 600 amounts at MAX_AMOUNT add up to 6e14, a wallet holds at most MAX_BALANCE (1e15).
/** The largest single amount a request may carry: 1e12 minor units (10 billion EUR). */
export const MAX_AMOUNT = 1_000_000_000_000;
/** The largest balance, positive or negative, a wallet may reach: 1e15 minor units. */
export const MAX_BALANCE = 1_000_000_000_000_000;

// ISO 4217 currencies whose minor unit is not 2 digits. Everything else formats with 2.
// The codes ISO lists with no minor unit ("N.A.": precious metals, bond-market and IMF units,
// the testing code XTS and XXX, "no currency") count whole units, as 0.
const EXPONENTS: Readonly<Record<string, number>> = {
  CLF: 4, UYW: 4,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0,
  RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  XAG: 0, XAU: 0, XBA: 0, XBB: 0, XBC: 0, XBD: 0, XDR: 0, XPD: 0, XPT: 0, XSU: 0, XTS: 0, XUA: 0, XXX: 0,
};

export function isMinorUnits(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/**
 * Exact sum of integer amounts, or null when it leaves the safe integers (float addition of
 * safe integers is exact as long as the true sum is itself a safe integer, and a sum that is
 * not rounds to at least 2^53, so checking each step is enough).
 */
export function sumAmounts(values: Iterable<number>): number | null {
  let sum = 0;
  for (const v of values) {
    if (!Number.isSafeInteger(v)) return null;
    sum += v;
    if (!Number.isSafeInteger(sum)) return null;
  }
  return sum;
}

/**
 * sumAmounts of each row's `amount`, without an array of the amounts: a hot path's sums (a basket's
 * items and discounts) left V8's optimised code a new array map to meet (issue 10: `map`'s result is
 * packed when interpreted, holey once TurboFan inlines it; `[a, -0]` holds doubles), and each new
 * one deoptimised sumAmounts and the function it was inlined into.
 */
export function sumAmountFields(rows: ReadonlyArray<{ readonly amount?: unknown }>): number | null {
  let sum = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]!.amount;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return null;
    sum += v;
    if (!Number.isSafeInteger(sum)) return null;
  }
  return sum;
}

/** a − b for integer amounts, or null when it is not exact (as sumAmounts([a, -b]), without the array). */
export function subtractAmounts(a: number, b: number): number | null {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) return null;
  const difference = 0 + (a - b); // 0 + : never -0, as sumAmounts (which starts from 0)
  return Number.isSafeInteger(difference) ? difference : null;
}

/** a + b for integer amounts; refuses (permanent BAD_REQUEST) instead of ever rounding. */
export function addAmounts(a: number, b: number): number {
  const sum = a + b;
  // As sumAmounts([a, b]), without the array (sumAmountFields says why).
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || !Number.isSafeInteger(sum)) {
    throw new AgentError('BAD_REQUEST', `amount overflow: ${a} + ${b} is not an exact integer`, false);
  }
  return sum;
}

export function money(amount: number, currency: string): Money {
  if (!isMinorUnits(amount)) throw new TypeError(`amount must be an integer number of minor units, got ${amount}`);
  if (!CURRENCY_PATTERN.test(currency)) throw new TypeError(`currency must be an ISO 4217 code, got ${currency}`);
  return { amount, currency };
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new TypeError(`currency mismatch: ${a.currency} vs ${b.currency}`);
}

export function add(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amount + b.amount, a.currency);
}

export function subtract(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amount - b.amount, a.currency);
}

export function minAmount(a: number, b: number): number {
  return a < b ? a : b;
}

export function clampToZero(n: number): number {
  return n < 0 ? 0 : n;
}

/** floor(amount * basisPoints / 10000) without float rounding, even for large amounts. */
export function percentOf(amount: number, basisPoints: number): number {
  if (!isMinorUnits(amount) || !Number.isSafeInteger(basisPoints)) throw new TypeError('percentOf takes integers');
  const value = (BigInt(amount) * BigInt(basisPoints)) / 10000n;
  return Number(value);
}

/** a * numerator / denominator, floored, in integer arithmetic. */
export function prorate(amount: number, numerator: number, denominator: number): number {
  if (denominator === 0) return 0;
  return Number((BigInt(amount) * BigInt(numerator)) / BigInt(denominator));
}

export function exponentOf(currency: string): number {
  if (isPointsUnit(currency)) return 0;
  return EXPONENTS[currency] ?? 2;
}

/** "12.34 EUR"; formatting only, never parsed back. */
export function formatMoney(m: Money): string {
  const exp = exponentOf(m.currency);
  const negative = m.amount < 0;
  const digits = String(Math.abs(m.amount)).padStart(exp + 1, '0');
  const whole = exp === 0 ? digits : digits.slice(0, digits.length - exp);
  const frac = exp === 0 ? '' : '.' + digits.slice(digits.length - exp);
  return `${negative ? '-' : ''}${whole}${frac} ${m.currency}`;
}
