// Host databases written by earlier versions are migrated in place when a host opens them.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Ledger } from '../../host/ledger.ts';
import { SCHEMA_VERSION } from '../../host/ledger-migrations.ts';
import { tempDir } from '../helpers/tmp.ts';

// `processed` as version 0 created it: one message id, one row, whatever the till.
const V0_PROCESSED = `
CREATE TABLE processed (
  message_id TEXT PRIMARY KEY,
  terminal TEXT NOT NULL,
  op TEXT NOT NULL,
  txn_id TEXT,
  result TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX processed_txn ON processed (terminal, op, txn_id);
`;

function primaryKey(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const cols = db.pragma('table_info(processed)') as Array<{ name: string; pk: number }>;
    return cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
  } finally {
    db.close();
  }
}

t.test('a version 0 database: processed is re-keyed by (till, message id), rows and order kept', async (t) => {
  const file = join(await tempDir(t, 'till-host-migrate-'), 'host.db');
  const old = new Database(file);
  old.exec(V0_PROCESSED);
  const insert = old.prepare('INSERT INTO processed VALUES (?, ?, ?, ?, ?, ?)');
  insert.run('m-2', 'M1/S1/T1', 'award', 'txn-2', '{"n":2}', '2026-01-01T00:00:02Z');
  insert.run('m-1', 'M1/S1/T2', 'award', 'txn-1', '{"n":1}', '2026-01-01T00:00:01Z');
  insert.run('m-3', 'M1/S1/T1', 'products.sync', null, '{"n":3}', '2026-01-01T00:00:03Z');
  old.close();

  const ledger = Ledger.open(file);
  t.teardown(() => ledger.close());
  t.same(primaryKey(file), ['terminal', 'message_id']);
  t.match(ledger.processedByMessage('M1/S1/T1', 'm-2'), { op: 'award', txn_id: 'txn-2', result: { n: 2 } }, 'kept');
  t.equal(ledger.processedByMessage('M1/S1/T1', 'm-1'), undefined, "another till's message id is not ours");
  t.match(ledger.processedByTxn('M1/S1/T2', 'award', 'txn-1'), { message_id: 'm-1' }, 'the txn index still works');
  // Both tills may now hold the same message id.
  ledger.immediate(() => ledger.recordProcessed({ message_id: 'm-2', terminal: 'M1/S1/T2', op: 'void', txn_id: 'txn-1', result: { n: 4 } }));
  t.match(ledger.processedByMessage('M1/S1/T2', 'm-2'), { result: { n: 4 } });
  t.throws(() => ledger.immediate(() => ledger.recordProcessed({ message_id: 'm-9', terminal: 'M1/S1/T2', op: 'void', txn_id: 'txn-1', result: {} })),
    /UNIQUE/, '(till, op, txn_id) is still unique');

  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  t.same(db.prepare('SELECT message_id FROM processed ORDER BY rowid').all(), [{ message_id: 'm-2' }, { message_id: 'm-1' }, { message_id: 'm-3' }, { message_id: 'm-2' }],
    'insertion order kept (tests and operators read it by rowid)');
});

t.test('a new database starts at the current version; opening again changes nothing', async (t) => {
  const file = join(await tempDir(t, 'till-host-migrate-'), 'host.db');
  Ledger.open(file).close();
  t.same(primaryKey(file), ['terminal', 'message_id']);
  const again = Ledger.open(file);
  again.close();
  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
});

t.test('a database from a newer host is refused: nothing is created in it', async (t) => {
  const file = join(await tempDir(t, 'till-host-migrate-'), 'host.db');
  const db = new Database(file);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  t.throws(() => Ledger.open(file), { code: 'LEDGER_TOO_NEW', message: /newer than this host understands/ });
  const check = new Database(file, { readonly: true });
  t.teardown(() => check.close());
  const { n } = check.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'participants'").get() as { n: number };
  t.equal(n, 0, 'no table created');
});

t.test('a version 1 database: wallets are re-keyed per (participant, unit), balances and order kept', async (t) => {
  const file = join(await tempDir(t, 'till-host-migrate-'), 'host.db');
  const old = new Database(file);
  old.exec(`
    CREATE TABLE participants (id TEXT PRIMARY KEY, name TEXT NOT NULL, tier TEXT, automatic_spend INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
    CREATE TABLE wallets (participant_id TEXT PRIMARY KEY REFERENCES participants(id), balance INTEGER NOT NULL, currency TEXT NOT NULL, updated_at TEXT NOT NULL);
    INSERT INTO participants VALUES ('b', 'B', NULL, 0, 'x'), ('a', 'A', 'gold', 0, 'x');
    INSERT INTO wallets VALUES ('b', 300, 'EUR', 'x'), ('a', 1000, 'EUR', 'x');
    PRAGMA user_version = 1;
  `);
  old.close();
  const ledger = Ledger.open(file);
  t.teardown(() => ledger.close());
  t.match(ledger.wallet('a'), { balance: 1000, currency: 'EUR' });
  ledger.immediate(() => ledger.createWallet('a', 'PTS'));
  t.same(ledger.wallets('a').map((w) => w.currency), ['EUR', 'PTS'], 'a points wallet next to the money one');
  t.match(ledger.wallet('a'), { currency: 'EUR' }, 'the money wallet stays primary');
  t.throws(() => ledger.immediate(() => ledger.createWallet('a', 'EUR')), /UNIQUE|PRIMARY/, 'one wallet per unit');
  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  t.same(db.prepare('SELECT participant_id FROM wallets ORDER BY rowid').all(), [{ participant_id: 'b' }, { participant_id: 'a' }, { participant_id: 'a' }]);
});

/**
 * A database as `version` left it: created now, then `undo` takes out what later versions added,
 * and one return of 333 (34 reversed, 49 credited) is recorded the way it wrote it. Reopened: migrated.
 */
async function refundsAtVersion(t: Test, version: number, undo: string): Promise<{ ledger: Ledger; db: Database.Database }> {
  const file = join(await tempDir(t, 'till-host-migrate-'), 'host.db');
  Ledger.open(file).close();
  const old = new Database(file);
  old.exec(`
    ${undo}
    INSERT INTO refunds (terminal, refund_id, txn_id, message_id, items, returned_amount, reversed_award_amount, unrecovered_award_amount, credited_spend_amount, created_at)
      VALUES ('M1/S1/T1', 'r-1', 's-1', 'm-1', '[{"sku":"MUG","qty":1,"amount":333}]', 333, 34, 0, 49, '2026-11-01T00:00:00Z');
    PRAGMA user_version = ${version};
  `);
  old.close();
  const ledger = Ledger.open(file);
  t.teardown(() => ledger.close());
  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  return { ledger, db };
}

t.test('a version 4 database: refunds get their points column, earlier returns took no points', async (t) => {
  const { ledger, db } = await refundsAtVersion(t, 4, 'ALTER TABLE refunds DROP COLUMN points;');
  const totals = ledger.credit.refundTotals('M1/S1/T1', 's-1');
  t.match(totals, { returned_amount: 333, reversed_award_amount: 34, credited_spend_amount: 49 });
  t.same([...totals.points], [], 'no points taken back by a return of before');
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
});

t.test('a version 5 database: refunds get their spend snapshot columns, earlier returns keep the earlier rule', async (t) => {
  const { ledger, db } = await refundsAtVersion(t, 5, 'ALTER TABLE refunds DROP COLUMN spent_before; ALTER TABLE refunds DROP COLUMN returned_before;');
  t.match(ledger.credit.refundTotals('M1/S1/T1', 's-1'), { returned_amount: 333, credited_spend_amount: 49, spends_at_returns: null });
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  t.ok((db.pragma('table_info(refunds)') as Array<{ name: string }>).some((c) => c.name === 'spent_before'));
});

// `entries` as every version up to this one created it: the kind checked with an IN list.
const IN_LIST_ENTRIES = `
CREATE TABLE participants (id TEXT PRIMARY KEY, name TEXT NOT NULL, tier TEXT, automatic_spend INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
CREATE TABLE entries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  participant_id TEXT NOT NULL REFERENCES participants(id),
  terminal TEXT,
  txn_id TEXT,
  message_id TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('award', 'instant_spend', 'automatic_spend', 'spend', 'reversal', 'seed')),
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  offline INTEGER NOT NULL DEFAULT 0,
  reverses INTEGER UNIQUE REFERENCES entries(seq),
  note TEXT,
  created_at TEXT NOT NULL
);
`;

const INSERT_ENTRY = "INSERT INTO entries (participant_id, kind, amount, currency, created_at) VALUES ('p1', ?, 1, 'EUR', 't')";

/** Whether an entries INSERT builds a temporary B-tree each time it runs (SQLite's plan for an IN list of constants). */
function insertOpensEphemeral(db: Database.Database): boolean {
  return (db.prepare(`EXPLAIN ${INSERT_ENTRY}`).all('award') as Array<{ opcode: string }>).some((op) => op.opcode === 'OpenEphemeral');
}

t.test("entries' kind check: comparisons instead of the IN list, rows kept, the same kinds refused, in every connection", async (t) => {
  const file = join(await tempDir(t, 'till-host-migrate-'), 'host.db');
  const old = new Database(file);
  old.exec(IN_LIST_ENTRIES);
  old.prepare("INSERT INTO participants (id, name, created_at) VALUES ('p1', 'P', 't')").run();
  old.prepare(INSERT_ENTRY).run('seed');
  t.ok(insertOpensEphemeral(old), 'the IN list: a temporary B-tree per insert');
  const version = old.pragma('user_version', { simple: true });

  const ledger = Ledger.open(file);
  t.teardown(() => ledger.close());
  const after = new Database(file);
  t.teardown(() => after.close());
  t.notOk(insertOpensEphemeral(after), 'the comparisons: none');
  t.same(ledger.entries().map((e) => e.kind), ['seed'], 'the rows kept');
  for (const db of [old, after]) {
    t.throws(() => db.prepare(INSERT_ENTRY).run('bogus'), /CHECK constraint failed/, 'a kind not in the list is still refused');
    t.doesNotThrow(() => db.prepare(INSERT_ENTRY).run('reversal'));
  }
  // A connection opened before (another host process) reads the schema again at its next statement.
  t.notOk(insertOpensEphemeral(old), 'also for a connection opened before the change');
  t.same(after.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  t.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION, 'no schema version of its own');
  t.not(version, SCHEMA_VERSION, 'the file was migrated from version 0 like any other');
  old.close();
  ledger.close();
  t.doesNotThrow(() => Ledger.open(file).close(), 'opened again: nothing left to change');
});

t.test("a new database's entries check the kind with comparisons", async (t) => {
  const file = join(await tempDir(t, 'till-host-migrate-'), 'host.db');
  Ledger.open(file).close();
  const db = new Database(file);
  t.teardown(() => db.close());
  t.notOk(insertOpensEphemeral(db));
  db.prepare("INSERT INTO participants (id, name, created_at) VALUES ('p1', 'P', 't')").run();
  t.throws(() => db.prepare(INSERT_ENTRY).run('bogus'), /CHECK constraint failed/);
});
