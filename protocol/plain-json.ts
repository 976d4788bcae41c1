// JSON.stringify's text of a value made only of plain objects, arrays and JSON leaves, written without
// JSON.stringify: the local socket's answers (agent/socket/socket-connection.ts). Node 20's V8 spends
// ~1 µs on `{ id, ok, result: { status, txn_id, currency } }` (a toJSON lookup along the prototype
// chain for every object and a string builder per call): ~6 k of an offline award's ~190 k
// instructions (callgrind, issue 10); this writes the same text in about a quarter of that.
//
// Only where the text is certain to be JSON.stringify's: objects whose prototype is Object.prototype,
// arrays whose prototype is Array.prototype (neither prototype with a toJSON), strings, numbers,
// booleans, null, and undefined (left out of an object, null in an array). Anything else — a class
// instance, a Date, a toJSON, a BigInt, a function, a symbol, more than MAX_DEPTH levels (a cycle), an array of more than MAX_ITEMS —
// gives undefined, and the caller writes the value with JSON.stringify (which throws where it throws).

const MAX_DEPTH = 8;
/** Longer arrays are left to JSON.stringify (a sparse array's length may be anything). */
const MAX_ITEMS = 10_000;

/** JSON.stringify(value) for a value of plain objects, arrays and leaves; undefined for anything else. */
export function plainJson(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  // Someone gave every object a toJSON: JSON.stringify calls it.
  if ('toJSON' in Object.prototype || 'toJSON' in Array.prototype) return undefined;
  return node(value, 0);
}

function node(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return stringText(value);
    case 'number':
      // JSON.stringify writes a finite number as String() does (-0 as 0), the others as null.
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) return undefined;
      return Array.isArray(value) ? arrayText(value, depth + 1) : objectText(value, depth + 1);
    default:
      return undefined; // undefined, function, symbol, bigint: the callers decide
  }
}

function objectText(value: object, depth: number): string | undefined {
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  let text = '';
  // for-in visits own enumerable string keys in JSON.stringify's order (integer keys first, then
  // insertion order); inherited ones (none on Object.prototype unless someone added them) are skipped
  // as JSON.stringify skips them.
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const t = node(v, depth);
    if (t === undefined) return undefined;
    text += `${text === '' ? '' : ','}${stringText(key)}:${t}`;
  }
  return `{${text}}`;
}

function arrayText(value: unknown[], depth: number): string | undefined {
  if (Object.getPrototypeOf(value) !== Array.prototype || value.length > MAX_ITEMS) return undefined;
  let text = '';
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    const t = v === undefined ? 'null' : node(v, depth);
    if (t === undefined) return undefined;
    text += i === 0 ? t : `,${t}`;
  }
  return `[${text}]`;
}

/** A string's JSON: in quotes as it is when nothing in it needs escaping, else JSON.stringify's. */
function stringText(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Control characters, `"` and `\` are escaped; a lone surrogate too (paired ones are not, but
    // JSON.stringify tells them apart).
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}
