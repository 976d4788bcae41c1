// The product catalogue through the POS socket, a real mosquitto and the reference host:
// descriptions kept, delta and full syncs (a full one deletes what is not in it, once the host
// has all of it), and products.status by sync id. CRM.COM's guide: product synchronisation
// creates "new products or update existing ones (e.g. name, description, category)", and
// "The maximum number of products that can be synchronized per call is 1,000".
import t from 'tap';
import Database from 'better-sqlite3';
import { startSystem, type System } from '../helpers/system.ts';
import type { PosClient } from '../helpers/pos-client.ts';
import { waitFor } from '../helpers/wait.ts';

interface Stored { sku: string; name: string; description: string | null }

function hostProducts(sys: System): Stored[] {
  const db = new Database(sys.hostDb, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT sku, name, description FROM products ORDER BY sku').all() as Stored[];
  } finally {
    db.close();
  }
}

const skus = (sys: System) => hostProducts(sys).map((p) => p.sku);

async function result<T>(pos: PosClient, op: string, params: unknown): Promise<T> {
  const r = await pos.request(op, params);
  if (!r.ok) throw new Error(`${op}: ${JSON.stringify(r.error)}`);
  return r.result as T;
}

async function settled(pos: PosClient, syncId: string, state = 'done') {
  return waitFor(async () => {
    const s = await result<{ state: string }>(pos, 'products.status', { sync_id: syncId });
    return s.state === state ? s : undefined;
  }, { what: `sync ${syncId} ${state}`, timeout: 30_000 });
}

t.test('description is carried to the host and stored; a full sync over several requests replaces the catalogue once the host has all of it', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  const r = await result<{ sync_id: string }>(pos, 'products.sync', {
    products: [{ sku: 'LATTE', name: 'Iced Caramel Latte', description: 'Coffee, milk, caramel syrup', categories: ['coffee'] }],
  });
  // Made up by the till and sent back by the POS (products.status, a full sync's next request): no
  // digit, so it never reads as a card number there (protocol/digest-key.ts opaqueId; a UUID did, 1 in ~750).
  t.match(r.sync_id, /^[a-p-]+$/, 'the sync_id holds no digit');
  await settled(pos, r.sync_id);
  t.same(hostProducts(sys).find((p) => p.sku === 'LATTE'), { sku: 'LATTE', name: 'Iced Caramel Latte', description: 'Coffee, milk, caramel syrup' });
  // An update without a description clears it: the POS sends the product as it is now.
  await settled(pos, (await result<{ sync_id: string }>(pos, 'products.sync', { products: [{ sku: 'LATTE', name: 'Latte' }] })).sync_id);
  t.same(hostProducts(sys).find((p) => p.sku === 'LATTE'), { sku: 'LATTE', name: 'Latte', description: null });

  const delta = await result<{ sync_id: string; mode: string; open: boolean }>(pos, 'products.sync', {
    products: [{ sku: 'OLD-1', name: 'Old' }, { sku: 'OLD-2', name: 'Old' }, { sku: 'KEEP', name: 'Kept' }],
  });
  t.match(delta, { mode: 'delta', open: false });
  await settled(pos, delta.sync_id);
  t.same(skus(sys), ['COFFEE', 'KEEP', 'LATTE', 'OLD-1', 'OLD-2'], 'a delta sync only adds (COFFEE is from the seed)');

  // 1,500 products in the first request (two batches of at most 1,000), more to come.
  const many = Array.from({ length: 1500 }, (_, i) => ({ sku: `N${String(i).padStart(4, '0')}`, name: 'New' }));
  const first = await result<{ sync_id: string; batches: number; mode: string; open: boolean }>(pos, 'products.sync', { mode: 'full', products: many, more: true });
  t.match(first, { accepted: 1500, batches: 2, mode: 'full', open: true });
  const open = await settled(pos, first.sync_id, 'open');
  await waitFor(async () => (await result<{ synced: number }>(pos, 'products.status', { sync_id: first.sync_id })).synced === 1500, { what: 'first request synced' });
  t.match(open, { sync_id: first.sync_id, mode: 'full', deleted: null });
  t.ok(skus(sys).includes('OLD-1'), 'nothing deleted while the full sync is open');
  t.equal(skus(sys).length, 1505);

  const second = await result<{ sync_id: string; batches: number; open: boolean }>(pos, 'products.sync', {
    mode: 'full', sync_id: first.sync_id, products: [{ sku: 'KEEP', name: 'Kept', description: 'still sold' }],
  });
  t.match(second, { sync_id: first.sync_id, accepted: 1, batches: 1, open: false });
  const done = await settled(pos, first.sync_id);
  t.match(done, {
    sync_id: first.sync_id, mode: 'full', state: 'done', batches: 3, products: 1501, synced: 1501, deleted: 4,
    results: [
      { batch: 1, products: 1000, state: 'done', accepted: 1000 },
      { batch: 2, products: 500, state: 'done', accepted: 500 },
      { batch: 3, products: 1, state: 'done', accepted: 1, deleted: 4 },
    ],
  });
  const now = skus(sys);
  t.equal(now.length, 1501);
  t.notOk(now.includes('OLD-1') || now.includes('OLD-2') || now.includes('COFFEE'), 'products not in the full catalogue are deleted');
  t.ok(now.includes('KEEP'));

  t.match(await pos.request('products.sync', { mode: 'full', sync_id: first.sync_id, products: [{ sku: 'X', name: 'X' }] }),
    { ok: false, error: { code: 'CONFLICT', message: /params\.sync_id/ } }, 'a finished full sync takes no more requests');
  t.match(await pos.request('products.sync', { mode: 'full', sync_id: delta.sync_id, products: [{ sku: 'X', name: 'X' }] }),
    { ok: false, error: { code: 'BAD_REQUEST', message: /params\.sync_id: .* delta sync/ } });
});

t.test('products.status: the host\'s per-batch result reaches the POS, also after an outage and a restart', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  await sys.goOffline();
  const pos = await sys.pos();
  const r = await result<{ sync_id: string }>(pos, 'products.sync', {
    mode: 'full', products: Array.from({ length: 1200 }, (_, i) => ({ sku: `P${i}`, name: 'P' })),
  });
  t.match(await result(pos, 'products.status', { sync_id: r.sync_id }), {
    state: 'pending', batches: 2, products: 1200, synced: 0, deleted: null,
    results: [{ batch: 1, products: 1000, state: 'pending' }, { batch: 2, products: 200, state: 'pending' }],
  });
  await pos.close();
  await sys.agent.kill('SIGTERM');
  await sys.startAgent();
  await sys.broker.restart();
  const pos2 = await sys.pos();
  t.match(await settled(pos2, r.sync_id), {
    state: 'done', synced: 1200, deleted: 1,
    results: [{ batch: 1, state: 'done', accepted: 1000 }, { batch: 2, state: 'done', accepted: 200, deleted: 1 }],
  }, 'read from the outbox: the agent restarted in between');
  t.equal(skus(sys).length, 1200, 'the seed product COFFEE was deleted');
});

t.test('bad params are BAD_REQUEST naming the field; an unknown sync id is NOT_FOUND', async (t) => {
  const sys = await startSystem(t, { startHost: false });
  const pos = await sys.pos();
  const p = [{ sku: 'A', name: 'A' }];
  const cases: Array<[string, unknown, RegExp]> = [
    ['products.sync', { products: p, mode: 'replace' }, /params\.mode: must be "delta" or "full"/],
    ['products.sync', { products: p, sync_id: 'abc' }, /params\.sync_id: only a full sync/],
    ['products.sync', { products: p, more: true }, /params\.more: only a full sync/],
    ['products.sync', { products: p, mode: 'full', more: 'yes' }, /params\.more: must be true or false/],
    ['products.sync', { products: [{ sku: 'A', name: 'A', description: 'x'.repeat(2001) }] }, /params\.products\[0\]\.description: must be at most 2000/],
    ['products.sync', { products: [{ sku: 'A', name: 'A', description: 'card 4111 1111 1111 1111' }] }, /params\.products\[0\]\.description: must not contain a payment card number/],
    ['products.status', {}, /params\.sync_id: is required/],
    ['products.status', { sync_id: '' }, /params\.sync_id: must not be empty/],
    ['products.status', { sync_id: '4111111111111111' }, /params\.sync_id: must not contain a payment card number/],
  ];
  for (const [op, params, message] of cases) {
    t.match(await pos.request(op, params), { ok: false, error: { code: 'BAD_REQUEST', message } }, `${op} ${JSON.stringify(params).slice(0, 60)}`);
  }
  t.match(await pos.request('products.status', { sync_id: 'nope' }), { ok: false, error: { code: 'NOT_FOUND', message: /params\.sync_id/ } });
  t.match(await pos.request('products.sync', { mode: 'full', sync_id: 'nope', products: p }), { ok: false, error: { code: 'NOT_FOUND' } });
});

t.test('protocol 2: a SKU already sent in an earlier request of the same full sync is BAD_REQUEST naming it, nothing committed; protocol 1 unchanged', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  // Batch 1: P0000…P0999, batch 2: P1000…P1199.
  const many = Array.from({ length: 1200 }, (_, i) => ({ sku: `P${String(i).padStart(4, '0')}`, name: 'P' }));
  const first = await result<{ sync_id: string }>(pos, 'products.sync', { mode: 'full', products: many, more: true });
  const next = (products: unknown[]) => pos.request('products.sync', { mode: 'full', sync_id: first.sync_id, products }, 'next');
  t.same(await next([{ sku: 'NEW', name: 'N' }, { sku: 'P1005', name: 'changed' }, { sku: 'P0002', name: 'changed' }]), {
    id: 'next', ok: false,
    error: {
      code: 'BAD_REQUEST', retryable: false,
      message: 'params.products[1].sku: the same SKU as products[5] of batch 2 of this full sync: list each product once; '
        + 'params.products[2].sku: the same SKU as products[2] of batch 1 of this full sync: list each product once',
    },
  });
  t.match(await result(pos, 'products.status', { sync_id: first.sync_id }), { state: 'open', batches: 2, products: 1200 }, 'nothing committed, the sync still open');
  // Repeated within one continuation request: the request's own check (protocol/local.ts) names it first.
  t.match(await next([{ sku: 'NEW', name: 'N' }, { sku: 'NEW', name: 'N' }]), { ok: false, error: { code: 'BAD_REQUEST', message: /^params\.products\[1\]\.sku: the same SKU as params\.products\[0\]/ } });
  t.match(await next([{ sku: 'NEW', name: 'N' }]), { ok: true, result: { accepted: 1, open: false } });
  t.match(await settled(pos, first.sync_id), { batches: 3, products: 1201, synced: 1201 }, 'each SKU counted once');
  t.equal(hostProducts(sys).filter((p) => p.sku.startsWith('P') || p.sku === 'NEW').length, 1201);

  // Protocol 1 accepts the repeat as it accepts one within a request (LOCAL.md "Versioning").
  const v1 = await sys.pos();
  const old = await result<{ sync_id: string }>(v1, 'products.sync', { mode: 'full', products: [{ sku: 'A', name: 'A' }], more: true });
  t.match(await v1.request('products.sync', { mode: 'full', sync_id: old.sync_id, products: [{ sku: 'A', name: 'A2' }] }), { ok: true, result: { accepted: 1 } });
});
