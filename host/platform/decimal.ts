// Platforms speak decimal numbers ("12.5"); the till speaks integer minor units. Conversions go
// through strings so no float arithmetic touches an amount; a value with more decimals than the
// currency has is refused rather than rounded.
import { exponentOf } from '../../protocol/money.ts';

export function toDecimal(minor: number, currency: string): number {
  const exp = exponentOf(currency);
  if (exp === 0) return minor;
  const negative = minor < 0;
  const digits = String(Math.abs(minor)).padStart(exp + 1, '0');
  return Number(`${negative ? '-' : ''}${digits.slice(0, -exp)}.${digits.slice(-exp)}`);
}

/** Decimal → minor units, or undefined if it is not a finite number with at most the currency's decimals. */
export function fromDecimal(value: unknown, currency: string): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return undefined;
  const exp = exponentOf(currency);
  // Shortest round-trip representation: 12.5 → "12.5", 0.1 → "0.1" (never 0.1000000001).
  const text = String(Math.abs(n));
  if (/e/i.test(text)) return Number.isSafeInteger(n) && exp === 0 ? n : undefined;
  const [whole = '0', frac = ''] = text.split('.');
  if (frac.length > exp) return undefined;
  const minor = Number(whole + frac.padEnd(exp, '0'));
  if (!Number.isSafeInteger(minor)) return undefined;
  return n < 0 ? -minor : minor;
}
