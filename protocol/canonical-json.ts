// Canonical JSON: object keys sorted (by UTF-16 code units), members whose value is undefined left
// out, no whitespace. Fingerprints (agent/ops/outcome.ts) hash it to tell whether a repeated request
// carries the content already committed, so its bytes must never change: an outbox written by an
// older agent is compared with fingerprints computed by this one. test/property/canonical-json
// holds it to the first implementation (arrays of entries sorted and joined), quirks included.
//
// It runs on every money request, so it appends to one string instead of building arrays at
// each level, sorts the few keys of an object by insertion, and writes the common leaves (plain
// strings, numbers, booleans, null) and keys itself: a JSON.stringify call per leaf and a regular
// expression per key were most of its cost (~4.5 µs an award's payload, issue 10).

/** A key JSON.stringify would write as itself in quotes. */
const PLAIN_KEY = /^[\w$-]*$/;
/** Up to this many keys, insertion sort (no comparator calls, no allocation); more, Array#sort. */
const SMALL = 16;
/** `"key":` of keys seen before: requests use a few dozen distinct keys. Bounded: keys are the sender's. */
const KEY_TEXTS = new Map<string, string>();
const MAX_KEY_TEXTS = 512;

/** The canonical text of a JSON-like value; undefined where JSON.stringify gives undefined (a function, a symbol, undefined). */
export function canonicalJson(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return leaf(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // As Array#join: an element without a text (a hole, undefined, a function) adds nothing.
      const item = canonicalJson(value[i]);
      if (item !== undefined) out += item;
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > SMALL) keys.sort();
  else sortSmall(keys);
  let out = '{';
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += keyText(key);
    // A member whose value has no text (a function) reads "undefined", as it always has.
    out += String(canonicalJson(v));
  }
  return `${out}}`;
}

/** JSON.stringify of a value that is not an object (or null), without the call for the common ones. */
function leaf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return plainString(value) ? `"${value}"` : JSON.stringify(value);
    case 'number':
      // JSON writes a finite number as its String(); NaN and the infinities as null.
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      // null, undefined, a function, a symbol; a BigInt throws here as it always has.
      return JSON.stringify(value);
  }
}

/** No character JSON.stringify would escape: control characters, `"`, `\`, and surrogates (a lone one is escaped). */
function plainString(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** `"key":` as the first implementation wrote it (JSON.stringify of the key). */
function keyText(key: string): string {
  let text = KEY_TEXTS.get(key);
  if (text === undefined) {
    text = `${PLAIN_KEY.test(key) ? `"${key}"` : JSON.stringify(key)}:`;
    if (KEY_TEXTS.size < MAX_KEY_TEXTS) KEY_TEXTS.set(key, text);
  }
  return text;
}

/** In place, by UTF-16 code units (what `<` and Array#sort without a comparator compare). */
function sortSmall(keys: string[]): void {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
}
