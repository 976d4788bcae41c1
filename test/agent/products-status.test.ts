// products.status from the outbox's batch rows: counts, state, and a batch whose answer the till
// could not read (delivered, counted as sent, and said so).
import t from 'tap';
import { productsStatus } from '../../agent/ops/products.ts';
import type { OpsContext } from '../../agent/ops/context.ts';
import type { ProductBatchRow } from '../../agent/upstream/outbox.ts';

const batch = (n: number, over: Partial<ProductBatchRow> = {}): ProductBatchRow => ({
  id: `m-${n}`, state: 'done', mode: 'full', batch: n, last: false, products: 1000, result: { accepted: 1000, complete: false, deleted: 0 } as ProductBatchRow['result'], error: null, ...over,
});
const ctxWith = (rows: ProductBatchRow[]) => ({ outbox: { productBatches: () => rows } }) as unknown as OpsContext;

t.test('a delivered batch with an unreadable answer counts as sent and carries result_error', async (t) => {
  const rows = [batch(1), batch(2, { last: true, products: 200, result: null, result_error: 'result.accepted: expected a number' })];
  const status = productsStatus(ctxWith(rows), { sync_id: 'sync-1' });
  t.match(status, { state: 'done', batches: 2, products: 1200, synced: 1200 });
  t.same(status.results[1], { batch: 2, products: 200, state: 'done', accepted: 200, result_error: 'result.accepted: expected a number' });
  t.notOk('result_error' in status.results[0]!, 'a readable answer has none');
});

t.test('no batch for the sync id: NOT_FOUND', async (t) => {
  t.throws(() => productsStatus(ctxWith([]), { sync_id: 'nope' }), { code: 'NOT_FOUND' });
});
