// Property-based tests (fast-check) of the frame parser: newline framing over arbitrary chunk
// boundaries, and JSON decoding with duplicate-key detection against a reference model.
import t from 'tap';
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { LineSplitter, NOT_UTF8 } from '../../protocol/line-splitter.ts';
import { decodeFrame } from '../../protocol/json-frame.ts';
import { parseRequest } from '../../protocol/local.ts';

const RUNS = { numRuns: 300 };

/** Splits `bytes` at the given (sorted, deduplicated) cut points. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  return out;
}

// Lines as bytes: text, sometimes with bytes that are not UTF-8 (a CP1252 "é", a lone continuation
// byte, a character cut short), and a stream that may begin with a byte order mark.
const BAD_BYTES = [Buffer.of(0xe9), Buffer.of(0xff), Buffer.of(0x80), Buffer.from('€').subarray(0, 2), Buffer.of(0xef, 0xbb)];
const lineBytes = fc.tuple(
  fc.string({ unit: fc.oneof(fc.constantFrom('a', '{', '"', '\r', '€', '💩', ' ', '\u0000', '\ufeff'), fc.string({ unit: 'grapheme', maxLength: 1 })), maxLength: 40 })
    .map((s) => s.replace(/\n/g, '')),
  fc.option(fc.tuple(fc.constantFrom(...BAD_BYTES), fc.nat()), { freq: 3 }),
).map(([text, bad]) => {
  const bytes = Buffer.from(text, 'utf8');
  if (!bad) return bytes;
  const at = bad[1] % (bytes.length + 1);
  return Buffer.concat([bytes.subarray(0, at), bad[0], bytes.subarray(at)]);
});

t.test('LineSplitter: any chunking of a stream yields the same lines as splitting it whole', async (t) => {
  fc.assert(fc.property(fc.array(lineBytes, { maxLength: 20 }), fc.boolean(), fc.boolean(), fc.array(fc.nat(), { maxLength: 30 }), (lines, crlf, bom, cuts) => {
    const end = Buffer.from(crlf ? '\r\n' : '\n');
    const stream = Buffer.concat([...(bom ? [Buffer.of(0xef, 0xbb, 0xbf)] : []), ...lines.flatMap((l) => [l, end])]);
    const splitter = new LineSplitter(64);
    const got: Array<string | typeof NOT_UTF8> = [];
    let tooLarge = false;
    for (const chunk of chunked(stream, cuts)) {
      const r = splitter.push(chunk);
      got.push(...r.lines);
      tooLarge ||= r.tooLarge;
      if (splitter.bufferedBytes > 65) return false; // memory bound: at most max + 1 bytes held
    }
    const expected: Array<string | typeof NOT_UTF8> = [];
    let expectTooLarge = false;
    for (const [i, l] of lines.entries()) {
      let body = crlf || l.at(-1) !== 0x0d ? l : l.subarray(0, -1);
      if (Buffer.byteLength(body) + (bom && i === 0 ? 3 : 0) > 64) {
        expectTooLarge = true;
        break;
      }
      // Only the stream's own first bytes may be a byte order mark that is dropped.
      if (i === 0 && !bom && body.subarray(0, 3).equals(Buffer.of(0xef, 0xbb, 0xbf))) body = body.subarray(3);
      if (body.length > 0) expected.push(isUtf8(body) ? body.toString('utf8') : NOT_UTF8);
    }
    if (expectTooLarge) return tooLarge && got.every((g, i) => g === expected[i]);
    return !tooLarge && got.length === expected.length && got.every((g, i) => g === expected[i]);
  }), RUNS);
});

// A JSON document as a tree whose objects are lists of entries, so keys may repeat.
type Node = { k: 'prim'; v: unknown } | { k: 'arr'; items: Node[] } | { k: 'obj'; entries: Array<[string, Node]> };

// Colons, quotes and backslashes inside strings: the colon count (decodeFrame's first count) is then
// more than the keys, and the exact count decides.
const tricky = fc.string({ unit: fc.constantFrom(':', '"', '\\', 'a', ' ', '{'), maxLength: 6 });
const keyArb = fc.oneof(fc.constantFrom('id', 'op', 'params', 'a', '"', '\\', 'k\u00e9', '__proto__', 'constructor', ':', '":', ''), fc.string({ maxLength: 6 }), tricky);
const { node } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 8 }), tricky, fc.boolean(), fc.constant(null))
      .map((v): Node => ({ k: 'prim', v })),
    fc.array(tie('node'), { maxLength: 4 }).map((items): Node => ({ k: 'arr', items })),
    fc.array(fc.tuple(keyArb, tie('node')), { maxLength: 5 }).map((entries): Node => ({ k: 'obj', entries })),
  ),
}));

const ws = fc.constantFrom('', ' ', '\t', ' \r ');

function serialise(n: Node, space: string): string {
  if (n.k === 'prim') return JSON.stringify(n.v);
  if (n.k === 'arr') return `[${space}${n.items.map((i) => serialise(i, space)).join(`,${space}`)}${space}]`;
  return `{${space}${n.entries.map(([k, v]) => `${JSON.stringify(k)}${space}:${space}${serialise(v, space)}`).join(`,${space}`)}${space}}`;
}

/** Reference: the path of the first key, in text order, that repeats one before it in its object. */
function firstDuplicate(n: Node, path: Array<string | number> = []): Array<string | number> | null {
  if (n.k === 'arr') {
    for (let i = 0; i < n.items.length; i++) {
      const found = firstDuplicate(n.items[i]!, [...path, i]);
      if (found) return found;
    }
  }
  if (n.k === 'obj') {
    const seen = new Set<string>();
    for (const [key, value] of n.entries) {
      if (seen.has(key)) return [...path, key];
      seen.add(key);
      const found = firstDuplicate(value, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

t.test('decodeFrame: a document is refused exactly when an object repeats a key, naming the first one', async (t) => {
  fc.assert(fc.property(node, ws, (tree, space) => {
    const text = serialise(tree, space);
    const result = decodeFrame(text);
    const dup = firstDuplicate(tree);
    if (dup === null) return result.ok && JSON.stringify(result.value) === JSON.stringify(JSON.parse(text));
    return !result.ok && result.reason === 'duplicate_key' && JSON.stringify(result.path) === JSON.stringify(dup);
  }), { numRuns: 1000 });
});

t.test('decodeFrame: colons inside strings neither hide a repeated key nor make one up', async (t) => {
  const cases: Array<[string, Array<string | number> | null]> = [
    ['{"a":"12:30"}', null],
    ['{"a":"x","b":":::"}', null],
    ['{"a":"x:y","a":1}', ['a']],
    ['{"op":"award","params":{"note":"a:b","txn_id":"1","txn_id":"2"}}', ['params', 'txn_id']],
    ['{"k":"\\":","k":2}', ['k']],
    ['{":":1,":":2}', [':']],
    ['{"a" : 1, "b":"c:d"}', null],
    ['{"a" : 1, "a":"c:d"}', ['a']],
  ];
  for (const [text, dup] of cases) {
    const r = decodeFrame(text);
    if (dup === null) t.ok(r.ok, text);
    else t.same(r, { ok: false, reason: 'duplicate_key', path: dup, value: JSON.parse(text) }, text);
  }
});

t.test('decodeFrame: no false duplicates in any JSON value', async (t) => {
  fc.assert(fc.property(fc.jsonValue(), (value) => {
    const r = decodeFrame(JSON.stringify(value));
    return r.ok;
  }), RUNS);
});

t.test('decodeFrame and parseRequest never throw, whatever the line', async (t) => {
  const hostile = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('utf8')),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.tuple(fc.jsonValue(), fc.nat()).map(([v, cut]) => { const s = JSON.stringify(v) ?? ''; return s.slice(0, cut % (s.length + 1)); }),
    fc.nat({ max: 5000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  );
  fc.assert(fc.property(hostile, (line) => {
    const r = decodeFrame(line);
    let parses = true;
    try {
      JSON.parse(line);
    } catch {
      parses = false;
    }
    if (r.ok !== parses && !(parses && !r.ok && r.reason === 'duplicate_key')) return false;
    if (r.ok && typeof r.value === 'object' && r.value !== null && !Array.isArray(r.value)) {
      const envelope = parseRequest(r.value);
      if (!envelope.ok && !envelope.errors.every((e) => typeof e === 'string')) return false;
    }
    return true;
  }), { numRuns: 1000 });
});
