import t from 'tap';
import { RECONNECT_MAX_MS, reconnectDelay, warnOnAttempt } from '../../protocol/reconnect-backoff.ts';

t.test('reconnect delay: 1 s doubling, capped at 30 s', async (t) => {
  const table: Array<[number, number]> = [[0, 1000], [1, 1000], [2, 2000], [3, 4000], [4, 8000], [5, 16000], [6, 30000], [7, 30000], [1000, 30000]];
  for (const [attempt, ms] of table) t.equal(reconnectDelay(attempt), ms, `attempt ${attempt}`);
  t.equal(RECONNECT_MAX_MS, 30_000);
});

t.test('a repeated error warns on attempts 1, 2, 4, 8, …; a new one always', async (t) => {
  const warned = Array.from({ length: 70 }, (_, i) => i + 1).filter((n) => warnOnAttempt(n, true));
  t.same(warned, [1, 2, 4, 8, 16, 32, 64]);
  t.ok(warnOnAttempt(3, false));
  t.ok(warnOnAttempt(1000, false));
});
