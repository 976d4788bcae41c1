// Keys the till derives from a POS's ids (a named spend's, a voucher redemption's) and sends as a
// message's txn_id. A hex digest holds runs of digits, and every free-text field upstream — txn_id
// among them — is checked for card numbers (protocol/pan.ts: 13–19 digits passing Luhn with a card
// network's prefix): about one key in a thousand was one, so the host refused that spend or voucher
// redemption as BAD_REQUEST for good — a spend approved offline, already deducted by the POS, became
// a dead letter. The digest's digits are written as letters, so a key holds no digit at all.
import { createHash, randomUUID } from 'node:crypto';

const LETTER_FOR_DIGIT = 'ghijklmnop'; // '0' → 'g' … '9' → 'p'; a–f stay: one-to-one with the hex

const withoutDigits = (hex: string) => hex.replace(/[0-9]/g, (d) => LETTER_FOR_DIGIT[Number(d)]!);

/** `prefix` + 32 characters of SHA-256(parts joined by LF), hex with its digits as letters (g–p). */
export function digestKey(prefix: string, ...parts: string[]): string {
  return prefix + withoutDigits(legacyDigestKey('', ...parts));
}

/** The same key as tills wrote it before 2026-12-03 (plain hex): looked up too, so a POS's repeat of one committed then is found. */
export function legacyDigestKey(prefix: string, ...parts: string[]): string {
  return prefix + createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

/**
 * A random id the till makes up and answers to the POS, which may send it back (a full sync's
 * sync_id, a print's job_id): a UUID with its digits as letters, for the same reason as above — the
 * POS's fields are checked for card numbers, and a UUID's digit groups joined by dashes can read as
 * one (…-4326-8946-74840…: 1 random UUID in ~750), so the POS's next request of that sync or job was refused.
 */
export function opaqueId(): string {
  return withoutDigits(randomUUID());
}
