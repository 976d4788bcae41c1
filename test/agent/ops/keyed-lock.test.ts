import t from 'tap';
import { KeyedLock } from '../../../agent/ops/keyed-lock.ts';

function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { open, opened };
}

t.test('one key runs one at a time, in order; a failure does not stop the next', async (t) => {
  const lock = new KeyedLock();
  const order: string[] = [];
  const first = gate();
  const a = lock.run('c1', async () => { order.push('a start'); await first.opened; order.push('a end'); throw new Error('a failed'); });
  const b = lock.run('c1', async () => { order.push('b'); return 2; });
  await new Promise((r) => setImmediate(r));
  t.same(order, ['a start'], 'b waits for a');
  first.open();
  await t.rejects(a, /a failed/);
  t.equal(await b, 2);
  t.same(order, ['a start', 'a end', 'b']);
});

t.test('other keys do not wait; nothing is kept once idle', async (t) => {
  const lock = new KeyedLock();
  const held = gate();
  const slow = lock.run('c1', () => held.opened);
  t.equal(await lock.run('c2', async () => 'c2 ran'), 'c2 ran');
  t.equal(lock.size, 1);
  held.open();
  await slow;
  await new Promise((r) => setImmediate(r));
  t.equal(lock.size, 0);
});
