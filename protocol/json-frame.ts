// Decoding one line of the local protocol into a JSON value, refusing duplicate keys.
//
// JSON.parse keeps the last of two equal keys, so {"op":"award","op":"status"} would run
// status while a proxy or log reading the first key saw award. Duplicates are found without
// a second parser on the hot path: JSON.parse validates the text, then the keys written in the
// text are counted and compared with the keys of the parsed value. Counted first as the text's
// colons (one indexOf per colon): in valid JSON a colon outside a string follows a key and every
// key is followed by one, so the colons are at least the keys written, which are at least the
// parsed value's keys (JSON.parse keeps one of a repeated key); equal counts mean no key repeats.
// A frame with colons inside its strings ("12:30") is counted again exactly by a lexer that jumps
// from string to string (indexOf per quote: ~3× the colons' cost on an award, issue 10). Only a
// frame whose exact counts differ is scanned again, with structure, to name the duplicated key.

/** checkKeys' answer: the value, or the path of a key it repeats. */
export type KeyCheck =
  | { ok: true; value: unknown }
  | { ok: false; reason: 'duplicate_key'; path: Array<string | number>; value: unknown };

export type FrameDecode = KeyCheck | { ok: false; reason: 'json' };

export function decodeFrame(line: string): FrameDecode {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'json' };
  }
  return checkKeys(line, value);
}

/** decodeFrame of a line already parsed: `value` is JSON.parse(line). */
export function checkKeys(line: string, value: unknown): KeyCheck {
  if (typeof value !== 'object' || value === null) return { ok: true, value };
  const keys = keysInValue(value);
  if (colonsIn(line) === keys || keysInText(line) === keys) return { ok: true, value };
  return { ok: false, reason: 'duplicate_key', path: duplicateKeyPath(line) ?? [], value };
}

/** Colons in the text, inside strings or not: at least the keys written in valid JSON text. */
export function colonsIn(text: string): number {
  let colons = 0;
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) colons++;
  return colons;
}

/** Number of object keys written in valid JSON text: strings followed by ':'. */
function keysInText(text: string): number {
  let keys = 0;
  let i = text.indexOf('"');
  while (i !== -1) {
    const end = closingQuote(text, i);
    let next = end + 1;
    while (next < text.length && isSpace(text.charCodeAt(next))) next++;
    if (text.charCodeAt(next) === COLON) keys++;
    i = text.indexOf('"', end + 1);
  }
  return keys;
}

/** Number of own keys in a parsed JSON value, all levels. Iterative: nesting depth is the sender's choice. */
function keysInValue(root: object): number {
  let keys = 0;
  const todo: object[] = [root];
  for (let node = todo.pop(); node !== undefined; node = todo.pop()) {
    if (Array.isArray(node)) {
      for (const child of node) if (typeof child === 'object' && child !== null) todo.push(child);
      continue;
    }
    // JSON.parse makes plain objects whose keys are all own and enumerable ("__proto__" included).
    for (const key in node) {
      keys++;
      const child = (node as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) todo.push(child);
    }
  }
  return keys;
}

const COLON = 0x3a;
const BACKSLASH = 0x5c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Index of the quote that closes the string opening at `open` (text is valid JSON). */
function closingQuote(text: string, open: number): number {
  let i = text.indexOf('"', open + 1);
  for (;;) {
    let backslashes = 0;
    for (let j = i - 1; text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return i;
    i = text.indexOf('"', i + 1);
  }
}

type Level = { kind: 'object'; keys: Set<string>; key: string | null; expectKey: boolean } | { kind: 'array'; index: number };

/** Slow path, for a frame known to repeat a key: the path of the first repeated key. */
function duplicateKeyPath(text: string): Array<string | number> | null {
  const stack: Level[] = [];
  const path = (): Array<string | number> => {
    const out: Array<string | number> = [];
    for (const l of stack) {
      if (l.kind === 'array') out.push(l.index);
      else if (l.key !== null) out.push(l.key);
    }
    return out;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '"') {
      const end = closingQuote(text, i);
      if (top?.kind === 'object' && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) {
          top.key = key;
          return path();
        }
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end;
    } else if (c === '{') {
      stack.push({ kind: 'object', keys: new Set(), key: null, expectKey: true });
    } else if (c === '[') {
      stack.push({ kind: 'array', index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',' && top) {
      if (top.kind === 'array') top.index++;
      else top.expectKey = true;
    }
  }
  return null;
}
