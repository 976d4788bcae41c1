// Progress events of products.sync from the rows the host settles.
import t from 'tap';
import type { OutboxRow } from '../../agent/upstream/outbox.ts';
import { ProductsProgress } from '../../agent/products-progress.ts';

type Sync = { id: string; mode: string; batch: number; last: boolean };
const row = (id: string, n: number, sync: Sync | undefined, over: Partial<OutboxRow> = {}): OutboxRow => ({
  seq: 1, id, op: 'products.sync', txn_id: null, fingerprint: 'f', customer_id: null,
  payload: { products: Array.from({ length: n }, (_, i) => ({ sku: `S${i}`, name: 'P' })), ...(sync ? { sync } : {}) },
  offline: false, amount: null, currency: null, state: 'done', attempts: 1, result: { accepted: n }, error: null,
  created_at: '2026-11-30T08:00:00.000Z', updated_at: '2026-11-30T08:00:01.000Z', ...over,
});
const delta = (batch: number, last = false): Sync => ({ id: 's1', mode: 'delta', batch, last });

t.test('tracked batches count up; a refused one is dead with its error', async (t) => {
  const p = new ProductsProgress();
  p.track('s1', ['m1', 'm2', 'm3'], [1000, 1000, 10]);
  t.match(p.settled([row('m1', 1000, delta(1))]), [{ type: 'products', sync_id: 's1', mode: 'delta', batch: 1, batches: 3, synced: 1000, total: 2010, state: 'done', accepted: 1000 }]);
  const error = { code: 'BAD_REQUEST' as const, message: 'no', permanent: true };
  t.match(p.settled([row('m2', 1000, delta(2), { state: 'dead', result: null, error })]), [{ batch: 2, synced: 1000, state: 'dead', error }]);
  t.match(p.settled([row('m3', 10, delta(3, true))]), [{ batch: 3, synced: 1010, state: 'done' }]);
  t.same(p.settled([row('m3', 10, delta(3, true))]), [{ type: 'products', sync_id: 's1', mode: 'delta', batch: 3, batches: null, products: 10, synced: null, total: null, state: 'done', accepted: 10 }],
    'forgotten once settled: a batch unknown in memory (after a restart) still names its sync and batch, without totals');
  t.match(p.settled([row('old', 7, undefined)]), [{ sync_id: null, batch: null, mode: null, products: 7 }], 'a batch queued by an older agent');
});

t.test('a full sync over two requests keeps counting; the host says when it is complete', async (t) => {
  const p = new ProductsProgress();
  const full = (batch: number, last: boolean): Sync => ({ id: 'f1', mode: 'full', batch, last });
  p.track('f1', ['a'], [1000]);
  t.match(p.settled([row('a', 1000, full(1, false), { result: { accepted: 1000, complete: false } })]), [{ batch: 1, batches: 1, synced: 1000, total: 1000, complete: false }]);
  p.track('f1', ['b'], [5]);
  t.match(p.settled([row('b', 5, full(2, true), { result: { accepted: 5, complete: true, deleted: 3 } })]),
    [{ sync_id: 'f1', mode: 'full', batch: 2, batches: 2, synced: 1005, total: 1005, complete: true, deleted: 3 }]);
});

t.test('other rows and rows still pending make no events', async (t) => {
  const p = new ProductsProgress();
  p.track('s1', ['m1'], [5]);
  t.same(p.settled([row('x', 0, undefined, { op: 'award' }), row('m1', 5, delta(1, true), { state: 'pending' })]), []);
});
