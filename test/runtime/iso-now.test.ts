// runtime/iso-now.ts: the same text as new Date().toISOString() for the current millisecond, a new
// one as soon as the millisecond changes (the ledger's created_at columns, log lines' time). The
// formatting itself: test/protocol/iso-time.test.ts.
import t from 'tap';
import { isoNow } from '../../runtime/iso-now.ts';

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
