// Property-based tests (fast-check) of protocol/plain-json.ts: where it writes a text, it is exactly
// JSON.stringify's (the local socket's answers are written with it), and it writes one for the answers
// the socket sends (plain objects, arrays and leaves).
import t from 'tap';
import fc from 'fast-check';
import { plainJson } from '../../protocol/plain-json.ts';

const RUNS = { numRuns: 3000 };

const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('id', 'ok', 'result', '\u0000', '"', '\\', '💩', '\ud800', '__proto__', 'constructor', 'toJSON', '10', '2', '-1', '1.5', ''),
  fc.string({ unit: 'binary', maxLength: 4 }),
);

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('\ud83d', '\udca9', '\ud83d\udca9', 'a\u2028b', '\u007f', '\u001f', '"', '\\', '</script>', ''),
);

const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, NaN, Infinity, -Infinity, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER));

/** Values of plain objects, arrays and leaves only (undefined included): plainJson must write all of them. */
const plain = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    text, number, fc.boolean(), fc.constant(null), fc.constant(undefined),
    tie('object'), tie('array')),
  object: fc.dictionary(key, tie('value'), { maxKeys: 6, noNullPrototype: true }),
  array: fc.array(tie('value'), { maxLength: 5 }),
})).value;

t.test('plainJson writes JSON.stringify\'s text for any value of plain objects, arrays and leaves', async (t) => {
  fc.assert(fc.property(fc.dictionary(key, plain, { maxKeys: 6, noNullPrototype: true }), (value) => plainJson(value) === JSON.stringify(value)), RUNS);
  fc.assert(fc.property(fc.array(plain, { maxLength: 6 }), (value) => plainJson(value) === JSON.stringify(value)), RUNS);
  // What JSON.parse makes (keys like __proto__ as own keys): the same text.
  fc.assert(fc.property(fc.json({ maxDepth: 5 }), (json) => {
    const value: unknown = JSON.parse(json);
    return typeof value !== 'object' || value === null || plainJson(value) === JSON.stringify(value);
  }), RUNS);
});

t.test('anything else: the same text, or undefined (the caller then uses JSON.stringify)', async (t) => {
  const anything = fc.anything({
    key,
    maxDepth: 4,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
  });
  fc.assert(fc.property(anything, (value) => {
    const got = plainJson(value);
    return got === undefined || got === JSON.stringify(value);
  }), RUNS);
  const fn = () => 1;
  class Point { constructor(readonly x: number) {} }
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  for (const [i, value] of [
    { a: fn }, { a: Symbol('s') }, { a: 1n }, { a: new Date(0) }, { toJSON: () => 'x' }, { a: { toJSON: () => 'x' } },
    new Point(1), { p: new Point(1) }, Object.assign(Object.create(null), { a: 1 }), cycle, [1, [2, fn]],
    { a: new Map() }, { a: new Uint8Array(2) }, { a: new String('s') }, // eslint-disable-line no-new-wrappers
  ].entries()) {
    t.equal(plainJson(value), undefined, `odd value ${i}`);
  }
  // Not a value JSON.stringify would pass through toJSON: written.
  t.equal(plainJson({ toJSON: 1 }), '{"toJSON":1}');
  t.equal(plainJson([undefined, , null]), '[null,null,null]'); // eslint-disable-line no-sparse-arrays
  t.equal(plainJson({ 2: 'b', a: 1, 1: 'a', b: undefined }), JSON.stringify({ 2: 'b', a: 1, 1: 'a', b: undefined }));
  t.equal(plainJson('x'), undefined, 'a leaf alone is left to JSON.stringify');
});

t.test('a toJSON on Object.prototype or Array.prototype: left to JSON.stringify', async (t) => {
  for (const proto of [Object.prototype, Array.prototype]) {
    Object.defineProperty(proto, 'toJSON', { value: () => 'everyone', configurable: true, writable: true });
    try {
      t.equal(plainJson({ a: [1] }), undefined);
    } finally {
      delete (proto as { toJSON?: unknown }).toJSON;
    }
  }
  t.equal(plainJson({ a: [1] }), '{"a":[1]}');
});

t.test('the socket\'s answers are written by hand', async (t) => {
  const answers = [
    { id: 7, ok: true, result: { status: 'queued', txn_id: 'T-1', currency: 'EUR' } },
    { id: 'r-1', ok: true, result: { status: 'awarded', txn_id: 'T-2', currency: 'EUR', award_amount: 12, offers: [{ id: 'o', amount: 1 }], balance: null } },
    { id: null, ok: false, error: { code: 'BAD_FRAME', message: 'a frame must be one JSON object per line', retryable: false } },
    { id: 3, ok: true, result: null },
  ];
  for (const frame of answers) {
    const text = plainJson(frame);
    t.not(text, undefined, JSON.stringify(frame));
    t.equal(text, JSON.stringify(frame));
  }
});
