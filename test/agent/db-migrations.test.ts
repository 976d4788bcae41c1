// Schema migrations of the agent's database (agent/storage/db.ts): a database an older version
// wrote is brought up to date at open, keeping its rows, and the outbox behaves on it as on a new
// one. Schema 5 replaced the (op, txn_id) and (txn_id) indexes by one unique (txn_id, op) index and
// narrowed the pending-customer index to spends; schema 6 keeps payload.sale_txn_id in a column; schema 7
// rebuilds the outbox table with its state CHECK written as comparisons.
import t from 'tap';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { openDb, SCHEMA_MIGRATIONS, type Db } from '../../agent/storage/db.ts';
import { Outbox, type AppendInput } from '../../agent/upstream/outbox.ts';
import { readTxnRecords } from '../../agent/receipts/txn-records.ts';
import { tempDir } from '../helpers/tmp.ts';

/** A database file as the version with `version` migrations left it (WAL, as the agent opens it). */
function databaseAt(file: string, version: number): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  for (let v = 0; v < version; v++) {
    db.exec(SCHEMA_MIGRATIONS[v]!);
    db.pragma(`user_version = ${v + 1}`);
  }
  return db;
}

const indexes = (db: Db | Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' AND sql IS NOT NULL ORDER BY name").all() as Array<{ name: string }>)
    .map((r) => r.name);

const plan = (db: Db, sql: string, ...args: unknown[]) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');

function input(op: AppendInput['op'], txnId: string | null, fields: Partial<AppendInput> = {}): AppendInput {
  return {
    id: `id-${op}-${txnId}`,
    op,
    txn_id: txnId,
    fingerprint: `fp-${txnId ?? 'none'}`,
    customer_id: 'P-1',
    payload: { customer_id: 'P-1' },
    offline: false,
    amount: null,
    currency: 'EUR',
    created_at: '2026-11-30T10:00:00.000Z',
    ...fields,
  };
}

t.test('a schema 4 database migrates to the latest: rows kept, lookups and uniqueness as before', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  const old = databaseAt(file, 4);
  t.same(indexes(old).filter((n) => n.startsWith('outbox_txn') || n === 'outbox_customer_pending'),
    ['outbox_customer_pending', 'outbox_txn', 'outbox_txn_any'], 'schema 4 has the indexes schema 5 replaces');
  const insert = old.prepare(`INSERT INTO outbox (id, op, txn_id, fingerprint, customer_id, payload, offline, amount, currency, state, created_at, updated_at)
    VALUES (?, ?, ?, ?, 'P-1', '{"customer_id":"P-1"}', ?, ?, 'EUR', ?, '2026-11-29T10:00:00.000Z', '2026-11-29T10:00:00.000Z')`);
  insert.run('old-award', 'award', 'sale-1', 'fp-sale-1', 0, null, 'pending');
  insert.run('old-spend', 'spend', 'sale-1', 'fp-spend-1', 1, 250, 'pending');
  insert.run('old-spend-done', 'spend', 'sale-0', 'fp-spend-0', 0, 400, 'done');
  insert.run('old-sync', 'products.sync', null, 'fp-sync', 0, null, 'pending');
  old.close();

  const db = openDb(file);
  t.teardown(() => db.close());
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_MIGRATIONS.length, 'at the latest version');
  const now = indexes(db);
  t.ok(now.includes('outbox_txn_op') && now.includes('outbox_spend_pending'), 'the new indexes');
  t.notOk(now.includes('outbox_txn') || now.includes('outbox_txn_any') || now.includes('outbox_customer_pending'), 'the replaced ones are gone');
  t.equal((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n, 4, 'every row kept');

  const outbox = new Outbox(db);
  t.equal(outbox.findByTxn('award', 'sale-1')?.id, 'old-award');
  t.equal(outbox.findByTxn('spend', 'sale-1')?.id, 'old-spend');
  t.equal(outbox.findByTxn('void', 'sale-1'), undefined);
  t.same(outbox.forTxn('sale-1').map((r) => r.id), ['old-award', 'old-spend'], "a sale's rows in order");
  t.equal(outbox.pendingSpend('P-1', 'EUR'), 250, 'pending spends only');
  t.same(outbox.offlineSpendExposure(), [{ currency: 'EUR', count: 1, amount: 250, since: '2026-11-29T10:00:00.000Z' }]);

  // The old rows still take part in idempotency: same (op, txn_id) is the same message or a conflict.
  t.equal((await outbox.append(input('award', 'sale-1', { fingerprint: 'fp-sale-1' }))).kind, 'existing');
  t.equal((await outbox.append(input('award', 'sale-1', { fingerprint: 'other' }))).kind, 'conflict');
  const voided = await outbox.append(input('void', 'sale-1'));
  t.equal(voided.kind, 'created', 'another op on the same sale');
  t.same(outbox.forTxn('sale-1').map((r) => r.op), ['award', 'spend', 'void']);
  t.throws(() => db.prepare(`INSERT INTO outbox (id, op, txn_id, fingerprint, payload, state, created_at, updated_at)
    VALUES ('dup', 'award', 'sale-1', 'x', '{}', 'pending', 'now', 'now')`).run(), /UNIQUE constraint failed/, '(txn_id, op) is still unique');
  // Rows without a txn_id are not constrained by it.
  t.equal((await outbox.append(input('products.sync', null, { id: 'sync-2' }))).kind, 'created');

  // The lookups use the new indexes (a scan here is what schema 4's index on the sale fixed).
  t.match(plan(db, 'SELECT * FROM outbox WHERE op = ? AND txn_id = ?', 'award', 'sale-1'), /USING INDEX outbox_txn_op/);
  t.match(plan(db, 'SELECT * FROM outbox WHERE txn_id = ? ORDER BY seq', 'sale-1'), /USING INDEX outbox_txn_op/);
  t.match(plan(db, "SELECT sum(amount) FROM outbox WHERE state = 'pending' AND op = 'spend' AND customer_id = ? AND currency = ?", 'P-1', 'EUR'),
    /USING INDEX outbox_spend_pending/);
});

t.test('every migration applies in order to a new database, and opening again changes nothing', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  const first = openDb(file);
  const before = indexes(first);
  first.close();
  const again = openDb(file);
  t.teardown(() => again.close());
  t.equal(again.pragma('user_version', { simple: true }), SCHEMA_MIGRATIONS.length);
  t.same(indexes(again), before);
});

t.test('a schema 5 database migrates to 6: payload.sale_txn_id becomes a column, the sale lookups and pruning find the old rows', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  const old = databaseAt(file, 5);
  t.ok(indexes(old).includes('outbox_sale'), 'schema 5 indexes the payload expression');
  const insert = old.prepare(`INSERT INTO outbox (id, op, txn_id, fingerprint, customer_id, payload, offline, amount, currency, state, created_at, updated_at, settled_at)
    VALUES (?, ?, ?, 'fp', 'P-1', ?, 0, ?, 'EUR', ?, '2026-11-29T10:00:00.000Z', '2026-11-29T10:00:00.000Z', ?)`);
  insert.run('old-award', 'award', 'sale-1', '{"customer_id":"P-1"}', null, 'pending', null);
  insert.run('old-spend', 'spend', 'spend-key-1', '{"sale_txn_id":"sale-1","spend_id":"a"}', 250, 'done', '2026-11-29T10:00:01.000Z');
  insert.run('old-refund', 'refund', 'refund-1', '{"sale_txn_id":"sale-1","items":[]}', null, 'done', '2026-11-29T10:00:02.000Z');
  insert.run('other-spend', 'spend', 'spend-key-2', '{"sale_txn_id":"sale-2","spend_id":"a"}', 100, 'done', '2026-11-29T10:00:03.000Z');
  old.close();

  // A reader of the file (till-agent txn) before the agent migrated it: still finds the named spend.
  t.same(readTxnRecords(file, 'sale-1').rows.map((r) => r.id), ['old-award', 'old-spend']);

  const db = openDb(file);
  t.teardown(() => db.close());
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_MIGRATIONS.length, 'at the latest version');
  t.same(db.prepare('SELECT id, sale_txn_id FROM outbox ORDER BY seq').all(), [
    { id: 'old-award', sale_txn_id: null },
    { id: 'old-spend', sale_txn_id: 'sale-1' },
    { id: 'old-refund', sale_txn_id: 'sale-1' },
    { id: 'other-spend', sale_txn_id: 'sale-2' },
  ], 'the column filled from each payload');
  t.match(plan(db, "SELECT * FROM outbox WHERE op = 'spend' AND sale_txn_id = ? ORDER BY seq", 'sale-1'), /USING INDEX outbox_sale/);

  const outbox = new Outbox(db);
  t.same(outbox.forSale('spend', 'sale-1').map((r) => r.id), ['old-spend']);
  t.same(outbox.forSale('refund', 'sale-1').map((r) => r.id), ['old-refund']);
  t.notOk('sale_txn_id' in outbox.get('old-spend')!, 'the column is not part of a row');
  const spend = await outbox.append(input('spend', 'spend-key-3', { payload: { sale_txn_id: 'sale-1', spend_id: 'b' } }));
  t.equal(spend.kind, 'created');
  t.same(outbox.forSale('spend', 'sale-1').map((r) => r.id), ['old-spend', spend.row.id], 'a new row is found with the old');
  t.same(readTxnRecords(file, 'sale-1').rows.map((r) => r.id), ['old-award', 'old-spend', spend.row.id]);

  // Pruning keeps a sale's rows together: sale-1's award is pending, so its old done spend and refund stay.
  t.equal(outbox.pruneDone(new Date('2026-12-01T00:00:00.000Z')), 1, "only sale-2's row goes");
  t.same((db.prepare('SELECT id FROM outbox ORDER BY seq').all() as Array<{ id: string }>).map((r) => r.id),
    ['old-award', 'old-spend', 'old-refund', spend.row.id]);
});

/** How many temporary b-trees a statement's program opens (EXPLAIN: OpenEphemeral). */
const ephemeral = (db: Db | Database.Database, sql: string) =>
  (db.prepare(`EXPLAIN ${sql}`).all(...Array((sql.match(/\?/g) ?? []).length).fill(null)) as Array<{ opcode: string }>)
    .filter((r) => r.opcode === 'OpenEphemeral').length;

const INSERT = `INSERT INTO outbox (id, op, txn_id, fingerprint, customer_id, payload, offline, amount, currency, state, created_at, updated_at)
  VALUES (?, ?, ?, 'fp', 'P-1', '{"customer_id":"P-1"}', 0, NULL, 'EUR', ?, '2026-11-29T10:00:00.000Z', '2026-11-29T10:00:00.000Z')`;

t.test('a schema 6 database migrates to 7: the state CHECK without a temporary b-tree per write, every row and the seq mark kept', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  const old = databaseAt(file, 6);
  t.equal(ephemeral(old, INSERT), 1, 'schema 6: an insert builds a temporary b-tree for the CHECK');
  const insert = old.prepare(INSERT);
  insert.run('old-award', 'award', 'sale-1', 'pending');
  insert.run('old-spend', 'spend', 'spend-key-1', 'done');
  insert.run('old-dead', 'void', 'sale-2', 'dead');
  insert.run('pruned-1', 'award', 'sale-3', 'done');
  insert.run('pruned-2', 'award', 'sale-4', 'done');
  old.prepare("UPDATE outbox SET sale_txn_id = 'sale-1', settled_at = '2026-11-29T10:00:01.000Z', attempts = 3 WHERE id = 'old-spend'").run();
  old.prepare("DELETE FROM outbox WHERE id LIKE 'pruned-%'").run(); // the last rows pruned: their seqs must not come back
  const rows = old.prepare('SELECT * FROM outbox ORDER BY seq').all();
  const mark = (old.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get() as { seq: number }).seq;
  const before = indexes(old);
  old.close();

  const db = openDb(file);
  t.teardown(() => db.close());
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_MIGRATIONS.length, 'at the latest version');
  t.equal(ephemeral(db, INSERT), 0, 'an insert checks the state without one');
  t.equal(ephemeral(db, "UPDATE outbox SET state = 'done' WHERE id = ?"), 0, 'so does a settle');
  t.same(db.prepare('SELECT * FROM outbox ORDER BY seq').all(), rows, 'every row, every column, in the same order');
  t.same(indexes(db), before, 'the same indexes');
  t.same(db.prepare('SELECT name, seq FROM sqlite_sequence').all(), [{ name: 'outbox', seq: mark }], 'the AUTOINCREMENT mark carried over');
  t.same(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  t.throws(() => db.prepare(INSERT).run('bad', 'award', 'sale-9', 'sent'), { code: 'SQLITE_CONSTRAINT_CHECK' }, 'a state outside the three is still refused');
  t.throws(() => db.prepare("UPDATE outbox SET state = 'gone' WHERE id = 'old-award'").run(), { code: 'SQLITE_CONSTRAINT_CHECK' });

  const outbox = new Outbox(db);
  const created = await outbox.append(input('award', 'sale-5'));
  t.equal(created.kind, 'created');
  t.ok(created.kind === 'created' && created.row.seq > mark, 'a new row is numbered after the pruned ones');
  t.equal((await outbox.append(input('award', 'sale-1', { fingerprint: 'fp' }))).kind, 'existing', 'old rows still dedup');
  t.same(outbox.forSale('spend', 'sale-1').map((r) => r.id), ['old-spend']);
  t.same(readTxnRecords(file, 'sale-1').rows.map((r) => r.id), ['old-award', 'old-spend']);
});

t.test('schema 7 on an empty outbox: no AUTOINCREMENT mark to carry, numbering starts at 1', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  databaseAt(file, 6).close();
  const db = openDb(file);
  t.teardown(() => db.close());
  t.same(db.prepare('SELECT * FROM sqlite_sequence').all(), []);
  const created = await new Outbox(db).append(input('award', 'sale-1'));
  t.ok(created.kind === 'created' && created.row.seq === 1);
});
