// How customer identifiers are normalised before lookup, identically on the till and the host.
import type { IdentifierKind } from './local.ts';

export function normaliseIdentifier(kind: IdentifierKind, value: string): string {
  const v = value.trim();
  switch (kind) {
    case 'card':
      return v.replace(/[\s-]/g, '');
    case 'phone':
      return (v.startsWith('+') ? '+' : '') + v.replace(/\D/g, '');
    case 'email':
      return v.toLowerCase();
    case 'token':
      return v;
  }
}
