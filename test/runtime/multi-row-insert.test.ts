// runtime/multi-row-insert.ts: any number of rows, in order, whichever statement sizes carry them.
import t from 'tap';
import Database from 'better-sqlite3';
import { MultiRowInsert, ROWS_PER_STATEMENT } from '../../runtime/multi-row-insert.ts';

t.test('every row inserted once, in order, for counts around each statement size', async (t) => {
  const counts = [0, 1, 2, 7, 8, 9, 31, 32, 33, 41, 75, 200];
  t.ok(ROWS_PER_STATEMENT.includes(1), 'a statement of one row, so that any count fits');
  for (const count of counts) {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, n INTEGER, extra TEXT)');
    const insert = new MultiRowInsert(db, 'INSERT INTO t (name, n, extra)', "(?, ?, 'x')", 2);
    const values: unknown[] = [];
    for (let i = 0; i < count; i++) values.push(`row-${i}`, i % 3 === 0 ? null : i);
    insert.run(values);
    const rows = db.prepare('SELECT id, name, n, extra FROM t ORDER BY id').all();
    t.same(rows, Array.from({ length: count }, (_, i) => ({ id: i + 1, name: `row-${i}`, n: i % 3 === 0 ? null : i, extra: 'x' })), `${count} rows`);
    db.close();
  }
});

t.test('values that are not whole rows are refused before anything is inserted', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  db.exec('CREATE TABLE t (a, b)');
  const insert = new MultiRowInsert(db, 'INSERT INTO t (a, b)', '(?, ?)', 2);
  t.throws(() => insert.run([1, 2, 3]), /3 values are not rows of 2/);
  t.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 0);
});
