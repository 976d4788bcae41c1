// Outbox message ids (agent/ops/message-id.ts): UUID version 7, ordered by their millisecond,
// unique also within one millisecond and across the random pool's refills.
import t from 'tap';
import { messageId } from '../../../agent/ops/message-id.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('a UUIDv7 whose first 48 bits are the milliseconds', async (t) => {
  const ms = Date.UTC(2026, 10, 30, 19, 30, 0, 123);
  const id = messageId(ms);
  t.match(id, UUID_V7);
  t.equal(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16), ms);
  t.equal(messageId(0).slice(0, 13), '00000000-0000');
  t.equal(messageId(0xffff_ffff_ffff).slice(0, 13), 'ffffffff-ffff');
});

t.test('ids sort by their millisecond, as text too', async (t) => {
  const start = Date.UTC(2026, 0, 1);
  const ids = [0, 1, 255, 256, 65_535, 65_536, 86_400_000, 365 * 86_400_000].map((d) => messageId(start + d));
  t.same([...ids].sort(), ids);
});

t.test('unique within one millisecond, across many refills of the random pool', async (t) => {
  const ids = new Set<string>();
  for (let i = 0; i < 20_000; i++) ids.add(messageId(1_764_530_000_000));
  t.equal(ids.size, 20_000);
  for (const id of [...ids].slice(0, 50)) t.match(id, UUID_V7);
});
