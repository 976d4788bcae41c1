// Shared zod building blocks and the one place that turns validation issues into messages
// that name the offending field ("basket.items[2].amount: must be ...").
import { z } from 'zod';
import { CURRENCY_PATTERN, MAX_AMOUNT } from './money.ts';
import { containsPan, maskPansIn } from './pan.ts';

const TOO_LARGE = `must be at most ${MAX_AMOUNT} minor units`;

// The helpers below give all their checks to one .check(…) call: the same checks in the same order
// as a chain (.int().min().max() is .check(int).check(gte).check(lte)), but one copy of the schema
// instead of one per link. Each copy is a full zod construction, and every start builds a few hundred
// of these (issue #10, start to ready). And each helper makes its schema once per argument and hands
// out that one: a zod schema is immutable (every method returns a new one), so a field's schema may
// be the same object as another field's; ~40 `minorUnits()` were ~40 constructions.

/** `make` once per distinct argument list; the same schema after that. */
function shared<A extends unknown[], S>(make: (...args: A) => S): (...args: A) => S {
  const made = new Map<string, S>();
  return (...args: A): S => {
    const key = args.join(',');
    let schema = made.get(key);
    if (schema === undefined) made.set(key, (schema = make(...args)));
    return schema;
  };
}

export const minorUnits = shared(() =>
  z.number({ error: 'must be an integer amount in minor units' }).check(
    z.int({ error: 'must be an integer amount in minor units (no decimals)' }),
    z.gte(0, { error: 'must not be negative' }),
    z.lte(MAX_AMOUNT, { error: TOO_LARGE }),
  ));

export const signedMinorUnits = shared(() =>
  z.number({ error: 'must be an integer amount in minor units' }).check(
    z.int({ error: 'must be an integer amount in minor units (no decimals)' }),
    z.gte(-MAX_AMOUNT, { error: `must be at least -${MAX_AMOUNT} minor units` }),
    z.lte(MAX_AMOUNT, { error: TOO_LARGE }),
  ));

/** Largest item quantity; weighed goods may have up to QTY_DECIMALS decimals (grams, millilitres). */
export const MAX_QTY = 1_000_000;
export const QTY_DECIMALS = 3;

export const quantity = shared(() =>
  z.number({ error: 'must be a number' }).check(
    z.positive({ error: 'must be greater than 0' }),
    z.lte(MAX_QTY, { error: `must be at most ${MAX_QTY}` }),
    z.refine(hasAtMostQtyDecimals, { error: `must have at most ${QTY_DECIMALS} decimals` }),
  ));

export function hasAtMostQtyDecimals(value: number): boolean {
  // String(0.001) is "0.001", String(1e-7) is "1e-7": plain digits with ≤ 3 decimals only. The sign
  // is not this check's: a negative quantity is refused once, as not greater than 0 (it read "-1: must
  // have at most 3 decimals" as well, which sent the cashier looking for decimals).
  return /^-?\d+(\.\d{1,3})?$/.test(String(value));
}

export const currencyCode = shared(() =>
  z.string({ error: 'must be an ISO 4217 currency code like "EUR"' })
    .regex(CURRENCY_PATTERN, { error: 'must be an ISO 4217 currency code like "EUR"' }));

export const nonEmpty = shared((max: number = 256) =>
  z.string({ error: 'must be a string' }).check(
    z.minLength(1, { error: 'must not be empty' }),
    z.maxLength(max, { error: `must be at most ${max} characters` }),
  ));

// A card number typed into a POS field must go no further: refused, never stored, logged or
// echoed (the message names the field only). See protocol/pan.ts for what counts as one.
const NO_PAN = 'must not contain a payment card number';
const noPan = (value: string) => !containsPan(value);

/** A free-text field (names, references, SKUs, reasons): any string up to max, no card number. */
export const freeText = shared((max: number = 256) =>
  z.string({ error: 'must be a string' }).check(
    z.maxLength(max, { error: `must be at most ${max} characters` }),
    z.refine(noPan, { error: NO_PAN }),
  ));

/** A required free-text field: not empty, up to max, no card number. */
export const nonEmptyText = shared((max: number = 256) =>
  z.string({ error: 'must be a string' }).check(
    z.minLength(1, { error: 'must not be empty' }),
    z.maxLength(max, { error: `must be at most ${max} characters` }),
    z.refine(noPan, { error: NO_PAN }),
  ));

const MESSAGE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * An outbox message id as the till shows it (outbox.list, status, dead-letter errors: a UUID), or
 * any free text. The till's own ids are not checked for card numbers: about one in 600 reads as
 * one by chance (01a23ccd-4767-7159-9441-118874eb3dcb), and `outbox.retry` of that dead letter was
 * refused. Anything not shaped as a message id is free text, checked as such.
 */
export const messageIdOrText = shared((max: number = 64) =>
  z.string({ error: 'must be a string' }).check(
    z.maxLength(max, { error: `must be at most ${max} characters` }),
    z.refine((v) => MESSAGE_ID.test(v) || noPan(v), { error: NO_PAN }),
  ));

/** A txn_id's characters: printable ASCII without spaces. */
export const TXN_ID_PATTERN = /^[\x21-\x7e]+$/;

export const txnId = shared(() =>
  z.string({ error: 'must be a string' }).check(
    z.minLength(1, { error: 'must not be empty' }),
    z.maxLength(128, { error: 'must be at most 128 characters' }),
    z.regex(TXN_ID_PATTERN, { error: 'must be printable ASCII without spaces' }),
    z.refine(noPan, { error: NO_PAN }),
  ));

export const moneySchema = () => z.object({ amount: signedMinorUnits(), currency: currencyCode() });

export function formatPath(path: readonly PropertyKey[], root = ''): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

export function describeIssues(error: z.ZodError, root = '', input?: unknown): string[] {
  // Two checks of one field may say the same thing (int and range of a safe integer): once is enough.
  return [...new Set(error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) message = `is required (${message})`;
    if (issue.code === 'unrecognized_keys') message = `unknown key(s): ${maskPansIn(issue.keys.join(', '))}`;
    return `${formatPath(issue.path, root)}: ${message}`;
  }))];
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false', array: 'an array', object: 'an object',
};
const plural = (n: unknown, one: string) => `${String(n)} ${one}${n === 1 ? '' : 's'}`;
const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The message of a check that has none of its own, in the words of the ones that do ("must be ...")
 * instead of zod's ("Too small: expected array to have >=1 items"). A schema's own message wins
 * (zod asks this only when there is none); undefined leaves zod's.
 */
export function styleIssue(issue: z.core.$ZodRawIssue): string | undefined {
  const i = issue as z.core.$ZodRawIssue & { expected?: string; origin?: string; minimum?: unknown; maximum?: unknown; inclusive?: boolean; values?: unknown[] };
  switch (i.code) {
    case 'invalid_type': return i.expected && TYPE_WORDS[i.expected] ? `must be ${TYPE_WORDS[i.expected]}` : undefined;
    case 'too_small':
      if (i.origin === 'array' || i.origin === 'set') return `must contain at least ${plural(i.minimum, 'item')}`;
      if (i.origin === 'string') return i.minimum === 1 ? 'must not be empty' : `must be at least ${plural(i.minimum, 'character')}`;
      if (i.origin === 'number' || i.origin === 'int') return i.inclusive === false ? `must be greater than ${String(i.minimum)}` : `must be at least ${String(i.minimum)}`;
      return undefined;
    case 'too_big':
      if (i.origin === 'array' || i.origin === 'set') return `must contain at most ${plural(i.maximum, 'item')}`;
      if (i.origin === 'string') return `must be at most ${plural(i.maximum, 'character')}`;
      if (i.origin === 'number' || i.origin === 'int') return i.inclusive === false ? `must be less than ${String(i.maximum)}` : `must be at most ${String(i.maximum)}`;
      return undefined;
    case 'invalid_value':
      return i.values && i.values.length > 0 ? (i.values.length === 1 ? `must be ${shown(i.values[0])}` : `must be one of ${i.values.map(shown).join(', ')}`) : undefined;
    case 'invalid_union': return 'is not any of the accepted forms';
    default: return undefined;
  }
}
const STYLED = { error: styleIssue };

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export function parseWith<S extends z.ZodType>(schema: S, input: unknown, root = ''): ParseResult<z.output<S>> {
  const result = schema.safeParse(input, STYLED);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, errors: describeIssues(result.error, root, input) };
}
