// A large catalogue upload reports its progress batch by batch, also when it drains after an outage.
import t from 'tap';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const catalogue = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ sku: `${prefix}${i}`, name: 'P' }));

interface Progress {
  type: string;
  sync_id: string | null;
  batch: number | null;
  batches: number | null;
  products: number;
  synced: number | null;
  total: number | null;
  state: string;
  accepted?: number;
}

t.test('products.sync: one progress event per batch, in order', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  await sys.goOffline(); // queued first: the backlog drains once the broker is back
  const pos = await sys.pos();
  t.match(await pos.request('events.subscribe', { topics: ['outbox'] }), { ok: true });
  const first = await pos.request('products.sync', { products: catalogue('A', 1500) });
  const second = await pos.request('products.sync', { products: catalogue('B', 700) });
  t.match(first, { ok: true, result: { accepted: 1500, batches: 2, sync_id: /\S/ } });
  t.match(second, { ok: true, result: { accepted: 700, batches: 1, sync_id: /\S/ } });
  const ids = [first, second].map((r) => (r as { result: { sync_id: string } }).result.sync_id);

  await sys.broker.restart();
  const progress = () => pos.events.filter((e) => (e.data as Progress).type === 'products').map((e) => e.data as Progress);
  await waitFor(() => progress().length === 3, { timeout: 60_000, what: 'three progress events' });
  t.match(progress(), [
    { sync_id: ids[0], batch: 1, batches: 2, products: 1000, synced: 1000, total: 1500, state: 'done', accepted: 1000 },
    { sync_id: ids[0], batch: 2, batches: 2, products: 500, synced: 1500, total: 1500, state: 'done', accepted: 500 },
    { sync_id: ids[1], batch: 1, batches: 1, products: 700, synced: 700, total: 700, state: 'done', accepted: 700 },
  ]);
  t.match(await pos.request('status'), { ok: true, result: { outbox: { pending: 0, dead: 0 } } });
});
