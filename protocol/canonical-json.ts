// Canonical JSON: object keys sorted (by UTF-16 code units), members whose value is undefined left
// out, no whitespace. Fingerprints (agent/ops/outcome.ts) hash it to tell whether a repeated request
// carries the content already committed, so its bytes must never change: an outbox written by an
// older agent is compared with fingerprints computed by this one. test/property/canonical-json
// holds it to the first implementation (arrays of entries sorted and joined), quirks included.
//
// It runs on every money request, so it appends to one string instead of building arrays at
// each level, and sorts the few keys of an object by insertion.

/** A key JSON.stringify would write as itself in quotes. */
const PLAIN_KEY = /^[\w$-]*$/;
/** Up to this many keys, insertion sort (no comparator calls, no allocation); more, Array#sort. */
const SMALL = 16;

/** The canonical text of a JSON-like value; undefined where JSON.stringify gives undefined (a function, a symbol, undefined). */
export function canonicalJson(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
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
    // A member whose value has no text (a function) reads "undefined", as it always has.
    out += `${PLAIN_KEY.test(key) ? `"${key}"` : JSON.stringify(key)}:${String(canonicalJson(v))}`;
  }
  return `${out}}`;
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
