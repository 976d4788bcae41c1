// Progress events of products.sync from the rows the host settles.
import t from 'tap';
import type { OutboxRow } from '../../agent/outbox.ts';
import { ProductsProgress } from '../../agent/products-progress.ts';

const row = (id: string, n: number, over: Partial<OutboxRow> = {}): OutboxRow => ({
  seq: 1, id, op: 'products.sync', txn_id: null, fingerprint: 'f', customer_id: null,
  payload: { products: Array.from({ length: n }, (_, i) => ({ sku: `S${i}`, name: 'P' })) },
  offline: false, amount: null, currency: null, state: 'done', attempts: 1, result: { accepted: n }, error: null,
  created_at: '2026-11-30T08:00:00.000Z', updated_at: '2026-11-30T08:00:01.000Z', ...over,
});

t.test('tracked batches count up; a refused one is dead with its error', async (t) => {
  const p = new ProductsProgress();
  p.track('m1', ['m1', 'm2', 'm3'], [1000, 1000, 10]);
  t.match(p.settled([row('m1', 1000)]), [{ type: 'products', sync_id: 'm1', batch: 1, batches: 3, synced: 1000, total: 2010, state: 'done', accepted: 1000 }]);
  const error = { code: 'BAD_REQUEST' as const, message: 'no', permanent: true };
  t.match(p.settled([row('m2', 1000, { state: 'dead', result: null, error })]), [{ batch: 2, synced: 1000, state: 'dead', error }]);
  t.match(p.settled([row('m3', 10)]), [{ batch: 3, synced: 1010, state: 'done' }]);
  t.same(p.settled([row('m3', 10)]), [{ type: 'products', sync_id: null, batch: null, batches: null, products: 10, synced: null, total: null, state: 'done', accepted: 10 }],
    'forgotten once settled: an unknown batch (after a restart) is announced without its sync');
});

t.test('other rows and rows still pending make no events', async (t) => {
  const p = new ProductsProgress();
  p.track('m1', ['m1'], [5]);
  t.same(p.settled([row('x', 0, { op: 'award' }), row('m1', 5, { state: 'pending' })]), []);
});
