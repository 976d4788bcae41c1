// A full catalogue sync at the host: deletes wait until every batch is in, whatever the order.
import t from 'tap';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Ledger } from '../../host/ledger.ts';
import { tempDir } from '../helpers/tmp.ts';

async function ledger(t: { teardown(fn: () => unknown): void }) {
  const l = Ledger.open(join(await tempDir(t, 'till-host-sync-'), 'host.db'));
  t.teardown(() => l.close());
  return l;
}

const products = (...skus: string[]) => skus.map((sku) => ({ sku, name: sku }));

t.test('a batch missing (a dead letter) holds the deletes back until it arrives', async (t) => {
  const l = await ledger(t);
  l.immediate(() => l.upsertProducts(products('OLD', 'A', 'B', 'C')));
  const stage = (batch: number, last: boolean, ...skus: string[]) => l.immediate(() => {
    l.upsertProducts(products(...skus));
    return l.stageFullSync('M/S/T1', { id: 's1', batch, last }, skus);
  });
  t.same(stage(1, false, 'A'), { complete: false });
  t.same(stage(3, true, 'C'), { complete: false }, 'batch 2 has not arrived');
  t.equal(l.productCount(), 4, 'nothing deleted yet');
  t.same(stage(2, false, 'B'), { complete: true, deleted: 1 }, 'the missing batch completes it');
  t.equal(l.product('OLD'), undefined);
  t.same(l.product('A'), { sku: 'A', name: 'A', categories: [] });
  // Another till's sync with the same id is its own.
  t.same(l.immediate(() => l.stageFullSync('M/S/T2', { id: 's1', batch: 1, last: false }, ['A'])), { complete: false });
});

t.test('a new full sync from a till abandons its unfinished one: that one never deletes', async (t) => {
  const l = await ledger(t);
  l.immediate(() => l.upsertProducts(products('OLD', 'A', 'B')));
  const stage = (till: string, id: string, batch: number, last: boolean, ...skus: string[]) => l.immediate(() => {
    l.upsertProducts(products(...skus));
    return l.stageFullSync(till, { id, batch, last }, skus);
  });
  t.same(stage('T1', 's1', 1, false, 'A'), { complete: false });
  t.same(stage('T2', 's1', 1, false, 'B'), { complete: false }, 'the same sync id from another till');
  t.same(stage('T1', 's2', 1, false, 'A', 'B'), { complete: false }, "T1's new full sync abandons T1's s1");
  t.same(stage('T1', 's1', 2, true, 'B'), { complete: false }, 'the abandoned sync cannot complete');
  t.equal(l.productCount(), 3, 'nothing deleted by it');
  t.same(stage('T1', 's2', 2, true, 'OLD'), { complete: true, deleted: 0 });
  t.same(stage('T2', 's1', 2, true, 'A'), { complete: true, deleted: 1 }, "T2's s1 was not touched: it completes and deletes OLD");
  t.equal(l.product('OLD'), undefined);
});

t.test('version 1 databases get the description column and keep their products', async (t) => {
  const file = join(await tempDir(t, 'till-host-v1-'), 'host.db');
  const first = Ledger.open(file);
  first.immediate(() => first.upsertProducts(products('A')));
  first.close();
  // Back to what version 1 wrote: no description, user_version 1.
  const db = new Database(file);
  db.exec('ALTER TABLE products DROP COLUMN description; DROP TABLE product_syncs; DROP TABLE product_sync_skus; PRAGMA user_version = 1');
  db.close();
  const l = Ledger.open(file);
  t.teardown(() => l.close());
  t.same(l.product('A'), { sku: 'A', name: 'A', categories: [] });
  l.immediate(() => l.upsertProducts([{ sku: 'A', name: 'A', description: 'kept' }]));
  t.equal(l.product('A')?.description, 'kept');
});
