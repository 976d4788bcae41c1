// How customer identifiers are normalised before lookup, identically on the till and the host.
import type { IdentifierKind } from './local.ts';

export function normaliseIdentifier(kind: IdentifierKind, value: string): string {
  const v = value.trim();
  switch (kind) {
    case 'card':
      return v.replace(/[\s-]/g, '');
    case 'phone':
      return phoneKey(v);
    case 'email':
      return v.toLowerCase();
    case 'token':
      return v;
  }
}

/**
 * A phone number as one key however the cashier or the customer wrote it: its digits, with `+`
 * when it is in international form. `00` before the country code is the international call prefix
 * (ITU-T E.123: "0033 6 12 34 56 78" is "+33 6 12 34 56 78"), and a trunk `(0)` written after the
 * country code ("+44 (0)20 7946 0000") is not dialled from abroad: both give the `+` form. A
 * national number ("06 12 34 56 78") stays its digits: without the country it cannot be another.
 */
function phoneKey(v: string): string {
  const digits = v.replace(/\D/g, '');
  const plus = /^[^\d]*\+/.test(v);
  if (!plus && !(digits.startsWith('00') && digits.length > 2)) return digits;
  const international = v.replace(/\(\s*0\s*\)/g, '').replace(/\D/g, '');
  return `+${plus ? international : international.slice(2)}`;
}

/**
 * The key a phone was stored under before `00` and `(0)` were read as above (leading `+` and
 * digits): a ledger seeded then keeps its values, so the host looks a phone up under both.
 */
export function legacyPhoneKey(value: string): string {
  const v = value.trim();
  return (v.startsWith('+') ? '+' : '') + v.replace(/\D/g, '');
}
