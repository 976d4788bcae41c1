// agent/upstream/result-texts.ts against JSON.parse (fast-check): for any answer text JSON.parse accepts,
// each results element's "result" text parses to exactly the value JSON.parse gave that element's
// result (whatever the spacing, key order, strings with quotes, brackets and escapes, other keys
// around it), or the scan gives up, and it gives up whenever a key at those levels is escaped or given
// twice (where JSON.parse and SQLite's JSON functions would read different values).
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import fc from 'fast-check';
import { resultTexts } from '../../agent/upstream/result-texts.ts';

const RUNS = { numRuns: 3000 };

const value = fc.jsonValue({ maxDepth: 3 });
const tricky = fc.constantFrom('"', '\\', '\\"', '}', ']', '{"result":1}', '"results":[', 'é', '\u2028', '\u0000');
// Mostly keys without escapes (an escaped key at the scanned levels makes the scan give up: tested apart).
const key = fc.oneof(
  { weight: 30, arbitrary: fc.oneof(fc.stringMatching(/^[a-z_]{0,6}$/), fc.constantFrom('ok', 'id', 'error', 'resul', 'results_', 'v', 'é', '\u2028')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: tricky },
);
const object = fc.dictionary(key.filter((k) => k !== 'result' && k !== 'results' && k !== '__proto__'), fc.oneof(value, tricky), { maxKeys: 4 });
const element = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(object, fc.oneof(fc.dictionary(key, fc.oneof(value, tricky), { maxKeys: 6 }), value), fc.nat()).map(([rest, result, at]) => withKeyAt(rest, 'result', result, at)) },
  { weight: 2, arbitrary: object },
  { weight: 1, arbitrary: value },
);
const answer = fc.tuple(object, fc.array(element, { maxLength: 6 }), fc.nat()).map(([rest, results, at]) => withKeyAt(rest, 'results', results, at));
const spacing = fc.constantFrom<string | number | undefined>(undefined, 0, 1, 2, '\t', ' \r\n');

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Whether JSON.stringify writes this key with an escape: a quote, a backslash or a control character. */
const escaped = (k: string) => JSON.stringify(k).length !== k.length + 2;

/** `object` with `key` set to `value`, at place `at` among its keys (JSON.stringify keeps insertion order). */
function withKeyAt(object: Record<string, unknown>, key: string, value: unknown, at: number): Record<string, unknown> {
  const entries = Object.entries(object);
  entries.splice(at % (entries.length + 1), 0, [key, value]);
  return Object.fromEntries(entries);
}

t.test('each result text parses to the value JSON.parse gives it, whatever the spacing and the keys around it', async (t) => {
  fc.assert(fc.property(answer, spacing, (a, space) => {
    const text = JSON.stringify(a, null, space as string | number | undefined);
    const parsed = JSON.parse(text) as { results: unknown[] };
    const texts = resultTexts(text);
    // Gives up only for a key at those levels with an escape in its text (JSON.stringify writes no key twice).
    if (texts === undefined) return [a, ...a.results as unknown[]].some((o) => isObject(o) && Object.keys(o).some(escaped));
    if (texts.length !== parsed.results.length) return false;
    return parsed.results.every((element, i) => {
      const has = isObject(element) && Object.hasOwn(element, 'result');
      if (!has) return texts[i] === undefined;
      return texts[i] !== undefined && isDeepStrictEqual(JSON.parse(texts[i]!), (element as { result: unknown }).result);
    });
  }), RUNS);
  t.pass('3000 answers');
  // And most of them scanned, not given up on: keys without escapes.
  let scanned = 0;
  fc.assert(fc.property(answer, spacing, (a, space) => {
    if (resultTexts(JSON.stringify(a, null, space as string | number | undefined)) !== undefined) scanned += 1;
  }), RUNS);
  t.ok(scanned > RUNS.numRuns / 5, `${scanned} of ${RUNS.numRuns} scanned`);
});

t.test('an answer as a host writes it: one text per result, the bytes it sent', async (t) => {
  const result = '{ "currency":"EUR","award_amount": 1.0e1, "name": "a \\"}] b" , "wallets":[ {"amount":5,"currency":"PTS"} ] }';
  const text = `{"v":1, "request_id":"r1","results":[{"id":"m1","ok":true,"result":${result}},\n{"id":"m2","ok":false,"error":{"code":"NOT_FOUND","message":"\\"result\\":{}","permanent":true}}], "chain":{"accepted":true,"last":2}}`;
  t.same(resultTexts(text), [result, undefined]);
  t.same(resultTexts('{"v":1,"results":[]}'), []);
  t.same(resultTexts('{"v":1}'), undefined, 'no results: nothing to keep');
});

t.test('gives up where JSON.parse and a scan of the text could disagree: an escaped key, a key given twice', async (t) => {
  t.equal(resultTexts('{"results":[{"res\\u0075lt":{"a":1}}]}'), undefined, 'an escape that spells "result"');
  t.equal(resultTexts('{"res\\u0075lts":[{"result":{"a":1}}],"results":[]}'), undefined, 'an escape that spells "results"');
  t.equal(resultTexts('{"results":[{"result":{"a":1},"result":{"a":2}}]}'), undefined, '"result" twice');
  t.equal(resultTexts('{"results":[{"result":{"a":1}}],"results":[{"result":{"a":2}}]}'), undefined, '"results" twice');
  t.same(resultTexts('{"results":[{"result":{"a\\"b":1,"result":2}}]}'), ['{"a\\"b":1,"result":2}'], 'escapes inside the result are its own');
});
