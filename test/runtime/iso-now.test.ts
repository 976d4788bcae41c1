// runtime/iso-now.ts: the same text as new Date().toISOString() for the current millisecond, a new
// one as soon as the millisecond changes (the ledger's created_at columns, log lines' time).
import t from 'tap';
import { isoNow, isoText } from '../../runtime/iso-now.ts';

t.test('isoNow is Date#toISOString of the current millisecond', async (t) => {
  const seen = new Set<string>();
  const millis = new Set<number>();
  const end = Date.now() + 30;
  while (Date.now() < end) {
    const before = Date.now();
    const text = isoNow();
    const after = Date.now();
    const ms = Date.parse(text);
    if (ms < before || ms > after || new Date(ms).toISOString() !== text) t.fail(`${text} outside ${before}..${after}`);
    seen.add(text);
    if (before === after) millis.add(before);
  }
  // Every millisecond in which a call started and ended had its own text.
  const texts = new Set([...millis].map((ms) => new Date(ms).toISOString()));
  t.ok([...texts].every((text) => seen.has(text)) && texts.size > 1, `a new text for each millisecond (${seen.size} texts)`);
});

t.test('isoText is Date#toISOString for any millisecond, in any order (the per-second prefix it keeps)', async (t) => {
  const bad: string[] = [];
  const check = (ms: number) => {
    const want = new Date(ms).toISOString();
    const got = isoText(ms);
    if (got !== want && bad.length < 5) bad.push(`${ms}: ${got} != ${want}`);
  };
  const base = Date.UTC(2026, 11, 31, 23, 59, 58, 0);
  // Across second, minute, day and year boundaries, forwards and backwards.
  for (let ms = base - 10; ms < base + 2_100; ms++) check(ms);
  for (let ms = base + 2_100; ms > base - 10; ms -= 7) check(ms);
  // Within one second, then the same milliseconds of the next and the previous second.
  for (const ms of [base + 5, base + 999, base + 1_005, base + 5, base + 50, base - 995, base + 1_000, base + 1_999]) check(ms);
  // Before 1970 (negative time values), and years past 9999 (±YYYYYY).
  for (let ms = -2_500; ms < 1_500; ms += 3) check(ms);
  for (const ms of [-62_198_755_200_001, 253_402_300_799_999, 253_402_300_800_000, 253_402_300_800_123, 8.64e15]) check(ms);
  t.same(bad, [], 'every text equals Date#toISOString');
});
