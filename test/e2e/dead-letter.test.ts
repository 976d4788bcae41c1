// A message the host refuses for good is kept, counted, announced and retryable.
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TEST_SEED, startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };

t.test('dead letter: visible, never dropped, retried after the host learns the customer', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const watcher = await sys.pos();
  t.match(await watcher.request('events.subscribe', { topics: ['outbox'] }), { ok: true });
  const pos = await sys.pos();

  const refused = await pos.request('award', { txn_id: 'ghost-1', customer_id: 'ghost', basket });
  t.match(refused, { ok: false, error: { code: 'NOT_FOUND', message: /dead letter/ } });
  const event = await watcher.waitForEvent('outbox', (d) => (d as { type: string }).type === 'dead');
  t.match(event.data, { type: 'dead', op: 'award', txn_id: 'ghost-1', error: { code: 'NOT_FOUND' }, dead: 1 });
  // A batch the host refused whole delivered nothing: no 'delivered' event says 0 (LOCAL.md Events).
  // The next sale's comes after the dead letter's events on the same connection, so by then any would have.
  t.match(await pos.request('award', { txn_id: 'real-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded' } });
  await watcher.waitForEvent('outbox', (d) => (d as { type: string }).type === 'delivered');
  t.same(watcher.events.filter((e) => e.event === 'outbox').map((e) => [(e.data as { type: string }).type, (e.data as { count?: number }).count]),
    [['dead', undefined], ['delivered', 1]], 'dead, then the next sale delivered: no delivered count 0');
  t.match(await pos.request('status'), { ok: true, result: { outbox: { dead: 1, pending: 0 } } });
  const list = await pos.request('outbox.list', { state: 'dead' });
  t.match(list, { ok: true, result: { dead: 1, messages: [{ op: 'award', txn_id: 'ghost-1', state: 'dead', error: { code: 'NOT_FOUND' } }] } });
  const deadId = (list as { result: { messages: Array<{ id: string }> } }).result.messages[0]!.id;

  // The host learns about the customer (a changed seed adds participants), then the operator retries.
  const seed2 = join(sys.dir, 'seed2.yaml');
  const base = await readFile(TEST_SEED, 'utf8');
  await writeFile(seed2, base.replace('participants:\n', `participants:
  - id: ghost
    name: Late Registration
    identifiers: { card: ["6006490000000077"] }
    balance: { amount: 0, currency: EUR }
`));
  await sys.host?.kill('SIGTERM');
  await sys.startHost({ seed: seed2 });
  t.match(await pos.request('outbox.retry', { id: 'no-such-id' }), { ok: false, error: { code: 'NOT_FOUND' } });
  t.match(await pos.request('outbox.retry', { id: deadId }), { ok: true, result: { retried: 1 } });
  await waitFor(async () => {
    const s = await pos.request('status');
    return s.ok && (s.result as { outbox: { pending: number; dead: number } }).outbox.dead === 0
      && (s.result as { outbox: { pending: number } }).outbox.pending === 0;
  }, { what: 'dead letter delivered after retry', timeout: 20_000 });
  t.match(await pos.request('award', { txn_id: 'ghost-1', customer_id: 'ghost', basket }), { ok: true, result: { status: 'awarded', award_amount: 100 } });
});
