// Property-based tests (fast-check) of canonical JSON: byte for byte what the first implementation
// (kept below as the reference) wrote, for any value, since fingerprints of rows already in an
// outbox are compared with fingerprints computed now.
import t from 'tap';
import fc from 'fast-check';
import { canonicalJson } from '../../protocol/canonical-json.ts';

const RUNS = { numRuns: 2000 };

/** agent/ops/outcome.ts's canonical() as first written (entries filtered, sorted and joined). */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function outcome(f: (v: unknown) => string | undefined, value: unknown): { text?: string | undefined; threw?: string } {
  try {
    return { text: f(value) };
  } catch (error) {
    return { threw: (error as Error).constructor.name };
  }
}

const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('a', 'b', 'B', '_', '$', '-', 'a-b', 'é', 'Z', '\u0000', '"', '\\', '💩', '__proto__', 'constructor', '10', '2', ''),
  fc.string({ unit: 'binary', maxLength: 4 }),
);

t.test('canonicalJson writes exactly what the reference wrote, for any value', async (t) => {
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
    const got = outcome(canonicalJson, value);
    const want = outcome(reference, value);
    return got.text === want.text && got.threw === want.threw;
  }), RUNS);
});

t.test('canonicalJson matches the reference on JSON text parsed back, objects with many keys, and the odd values', async (t) => {
  fc.assert(fc.property(fc.json({ maxDepth: 4 }), (text) => {
    const value: unknown = JSON.parse(text);
    return canonicalJson(value) === reference(value);
  }), RUNS);
  fc.assert(fc.property(fc.dictionary(key, fc.oneof(fc.integer(), fc.constant(undefined)), { minKeys: 10, maxKeys: 60 }), (value) => {
    return canonicalJson(value) === reference(value);
  }), RUNS);
  const fn = () => 1;
  for (const value of [
    undefined, fn, Symbol('s'), null, NaN, -0, Infinity, 1e21, 'x', [undefined, fn, null, 1],
    { a: fn, b: undefined, c: [fn] }, new Date(0), [, 1, , 2], // eslint-disable-line no-sparse-arrays
    { toJSON: () => 'no' }, Object.assign(Object.create(null), { z: 1, a: 2 }),
  ]) {
    t.same(outcome(canonicalJson, value), outcome(reference, value), String(typeof value));
  }
  t.equal(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null } }), '{"a":{"c":null,"d":[1,"x"]},"b":1}');
});

t.test('leaves written without JSON.stringify: strings that need escaping, lone surrogates, numbers, many keys', async (t) => {
  // canonicalJson writes plain strings, numbers and booleans itself: each must still be what JSON.stringify writes.
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    fc.constantFrom('"', '\\', '\u0000', '\u001f', ' ', '\u007f', '\u2028', '\ud800', 'a\udc00b', '\ud83d\udca9', 'é', '</script>'),
  );
  const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, 0.1, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER + 2));
  const leafValue = fc.oneof(text, number, fc.boolean(), fc.constant(null));
  fc.assert(fc.property(fc.dictionary(key, fc.oneof(leafValue, fc.array(leafValue, { maxLength: 4 })), { maxKeys: 24 }), (value) => {
    return canonicalJson(value) === reference(value);
  }), RUNS);
  // More distinct keys than the key texts kept: the ones past the bound are written the long way, the same.
  const many: Record<string, number> = {};
  for (let i = 0; i < 1500; i++) many[`k${i}\u0001`.slice(0, i % 2 === 0 ? -1 : undefined)] = i;
  t.equal(canonicalJson(many), reference(many));
  t.equal(canonicalJson(many), reference(many), 'again, with the key texts kept');
});
