// The platform's idempotency key for a till message. Derived, not stored: the same till
// message (same outbox id, resent after a timeout, a host crash or a broker restart) always
// maps to the same platform request id, whichever host process handles it.
import { createHash } from 'node:crypto';

/** A UUID-shaped (8-4-4-4-12 hex) digest of the parts; version nibble 5-like, not random. */
export function platformRequestId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
