// Each result's JSON text, taken from the host's answer as it arrived: the settle stores an ok answer's
// result as text, and JSON.stringify of each result, parsed from that very text a moment before, was
// ~25 k of the agent's ~360 k instructions per drained award (callgrind, issue 10). The texts are the
// host's own bytes: the same JSON values as the parsed results (host-results.ts: "the answer stays
// stored as the host sent it"), not always the bytes JSON.stringify would write (spacing, a number
// written 1.0).
//
// Only for a text JSON.parse has just accepted, so the scan follows its structure without checking
// it: {"results": [ {"result": …}, … ], …}. Anything it could read differently from JSON.parse gives
// up (undefined, and the caller stringifies as before): a key with an escape in it at those levels, a
// "results" or "result" key given twice (JSON.parse keeps the last, SQLite's JSON functions the first).
import type { UpstreamResponse } from '../../protocol/upstream.ts';
import { keepJson, keptJson } from '../../runtime/kept-json.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/** Thrown to give up: the text holds something this scan leaves to JSON.parse. */
const GIVE_UP = new Error('result-texts: given up');

/**
 * For each element of the answer's top-level "results" array, in order, its "result" member's text
 * (undefined for an element without one: a refusal); or undefined for the whole answer when the scan
 * gives up. `text` must be JSON that JSON.parse accepted.
 */
export function resultTexts(text: string): Array<string | undefined> | undefined {
  try {
    let i = space(text, 0);
    if (text.charCodeAt(i) !== OPEN_OBJECT) return undefined;
    let out: Array<string | undefined> | undefined;
    i = space(text, i + 1);
    if (text.charCodeAt(i) === CLOSE_OBJECT) return undefined;
    for (;;) {
      const keyEnd = stringEnd(text, i);
      const isResults = keyIs(text, i, keyEnd, 'results');
      i = space(text, keyEnd);
      i = space(text, i + 1); // the colon
      if (isResults) {
        if (out !== undefined) return undefined; // given twice
        if (text.charCodeAt(i) !== OPEN_ARRAY) return undefined;
        out = [];
        i = results(text, i, out);
      } else {
        i = valueEnd(text, i);
      }
      i = space(text, i);
      if (text.charCodeAt(i) === COMMA) {
        i = space(text, i + 1);
        continue;
      }
      return out; // the closing brace
    }
  } catch (error) {
    if (error === GIVE_UP) return undefined;
    throw error;
  }
}

/** The results array at `i` (its "["): each element's "result" text into `out`; returns the index after "]". */
function results(text: string, i: number, out: Array<string | undefined>): number {
  i = space(text, i + 1);
  if (text.charCodeAt(i) === CLOSE_ARRAY) return i + 1;
  for (;;) {
    if (text.charCodeAt(i) === OPEN_OBJECT) {
      let result: string | undefined;
      let found = false;
      i = space(text, i + 1);
      if (text.charCodeAt(i) !== CLOSE_OBJECT) {
        for (;;) {
          const keyEnd = stringEnd(text, i);
          const isResult = keyIs(text, i, keyEnd, 'result');
          i = space(text, keyEnd);
          i = space(text, i + 1);
          const end = valueEnd(text, i);
          if (isResult) {
            if (found) throw GIVE_UP;
            found = true;
            result = text.slice(i, end);
          }
          i = space(text, end);
          if (text.charCodeAt(i) !== COMMA) break;
          i = space(text, i + 1);
        }
      }
      out.push(result);
      i += 1; // the element's closing brace
    } else {
      out.push(undefined);
      i = valueEnd(text, i);
    }
    i = space(text, i);
    if (text.charCodeAt(i) !== COMMA) return i + 1; // the closing bracket
    i = space(text, i + 1);
  }
}

/** Whether the key string from `start` (its opening quote) to `end` (after its closing one) is `name`, unescaped. */
function keyIs(text: string, start: number, end: number, name: string): boolean {
  // An escape could spell the name (or another key) otherwise: left to JSON.parse.
  for (let j = start + 1; j < end - 1; j++) if (text.charCodeAt(j) === BACKSLASH) throw GIVE_UP;
  return end - start === name.length + 2 && text.startsWith(name, start + 1);
}

/** The index after the value starting at `i`. */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return stringEnd(text, i);
  if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) {
    // A number, true, false or null: up to the next comma, closing bracket or space.
    let j = i + 1;
    for (;;) {
      const d = text.charCodeAt(j);
      if (d === COMMA || d === CLOSE_OBJECT || d === CLOSE_ARRAY || d <= 0x20 || Number.isNaN(d)) return j;
      j += 1;
    }
  }
  // An object or array: to its matching close, strings skipped whole.
  let depth = 0;
  let j = i;
  for (;;) {
    const d = text.charCodeAt(j);
    if (d === QUOTE) {
      j = stringEnd(text, j);
      continue;
    }
    if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth += 1;
    else if (d === CLOSE_OBJECT || d === CLOSE_ARRAY) {
      depth -= 1;
      if (depth === 0) return j + 1;
    } else if (Number.isNaN(d)) throw GIVE_UP;
    j += 1;
  }
}

/** The index after the string whose opening quote is at `i`. */
function stringEnd(text: string, i: number): number {
  if (text.charCodeAt(i) !== QUOTE) throw GIVE_UP;
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q === -1) throw GIVE_UP;
    // Escaped when an odd number of backslashes stands before it.
    let b = q - 1;
    while (text.charCodeAt(b) === BACKSLASH) b -= 1;
    if ((q - 1 - b) % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** The index of the first character from `i` on that is not JSON whitespace. */
function space(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i += 1;
  }
}

/**
 * Keeps each ok result's text (resultTexts of the answer's text) as that result object's JSON
 * (runtime/kept-json.ts keepJson): the settle stores it (resultJson). `response` is the answer
 * fastUpstreamResponse made of JSON.parse(text): its results in the text's order, each ok result a
 * shallow copy of the parsed one, so the same JSON value as its text.
 */
export function keepResultTexts(text: string, response: UpstreamResponse): void {
  const texts = resultTexts(text);
  if (texts === undefined || texts.length !== response.results.length) return;
  for (let i = 0; i < texts.length; i++) {
    const r = response.results[i]!;
    const t = texts[i];
    if (r.ok && t !== undefined) keepJson(r.result, t);
  }
}

/** An ok answer's result as stored: its text as the host sent it when kept, else JSON.stringify. */
export function resultJson(result: Record<string, unknown>): string {
  return keptJson(result) ?? JSON.stringify(result);
}
