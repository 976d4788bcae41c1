// What the PostgreSQL store adds to the ledger contract (which test/host/postgres/ runs on it):
// a conflict between two host processes runs the losing batch again, tills run in parallel,
// a lost connection is made again, a newer schema is refused, and the doctor reports the store.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PgLedger } from '../../../host/pg/pg-ledger.ts';
import { startBroker } from '../../helpers/broker.ts';
import { spawnHost } from '../../helpers/host-process.ts';
import { TEST_PG_URL, pgQuery, pgTestRole, pgTestSchema } from '../../helpers/pg.ts';
import { tempDir } from '../../helpers/tmp.ts';

type T = Parameters<typeof pgTestSchema>[0];

function open(t: T, schema: string, name = 'till-host'): PgLedger {
  const ledger = PgLedger.open({ url: TEST_PG_URL, schema, application_name: name });
  t.teardown(() => ledger.close());
  return ledger;
}

function customer(ledger: PgLedger, id: string, balance: number): void {
  ledger.immediate(() => {
    ledger.insertParticipant({ id, name: id, tier: null, automatic_spend: false });
    ledger.createWallet(id, 'EUR');
    ledger.append({ participant_id: id, terminal: null, txn_id: null, message_id: null, kind: 'seed', amount: balance, currency: 'EUR' });
  });
}

const spend = (ledger: PgLedger, terminal: string, txn: string, amount: number) =>
  ledger.append({ participant_id: 'P1', terminal, txn_id: txn, message_id: txn, kind: 'spend', amount: -amount, currency: 'EUR' });

t.test('two hosts spending one wallet at once: the later commit runs again and sees the first', async (t) => {
  const schema = pgTestSchema(t);
  const a = open(t, schema);
  const b = open(t, schema);
  customer(a, 'P1', 1000);
  const seen: number[] = [];
  // Host a reads the balance, then host b spends all of it and commits before a writes.
  const spent = a.immediate(() => {
    const balance = a.wallet('P1')!.balance;
    seen.push(balance);
    if (seen.length === 1) b.immediate(() => spend(b, 'M1/S1/T2', 'b-1', 1000), 'M1/S1/T2');
    const take = Math.min(balance, 600);
    if (take > 0) spend(a, 'M1/S1/T1', 'a-1', take);
    return take;
  }, 'M1/S1/T1');
  t.same(seen, [1000, 0], 'the first attempt was rolled back and run again on the committed balance');
  t.equal(spent, 0, 'nothing left to spend');
  t.equal(a.wallet('P1')?.balance, 0, 'never below zero');
  t.same(a.entries('P1').map((e) => e.txn_id), [null, 'b-1'], 'the rolled back attempt left no entry');
});

t.test('two tills run side by side; the ledger stays consistent', async (t) => {
  const schema = pgTestSchema(t);
  const a = open(t, schema);
  const b = open(t, schema);
  customer(a, 'P1', 1000);
  // Host b applies another till's batch while host a is inside its own: no wait (per-till locks).
  a.immediate(() => {
    spend(a, 'M1/S1/T1', 'a-1', 100);
    b.immediate(() => b.setChainLast('M1/S1/T2', 7), 'M1/S1/T2');
    a.setChainLast('M1/S1/T1', 3);
  }, 'M1/S1/T1');
  t.equal(a.chainLast('M1/S1/T1'), 3);
  t.equal(a.chainLast('M1/S1/T2'), 7);
  t.equal(b.wallet('P1')?.balance, 900);
});

t.test('a failed savepoint rolls back alone; the transaction goes on', async (t) => {
  const schema = pgTestSchema(t);
  const ledger = open(t, schema);
  customer(ledger, 'P1', 1000);
  ledger.immediate(() => {
    spend(ledger, 'M1/S1/T1', 'x-1', 100);
    t.throws(() => ledger.savepoint(() => {
      spend(ledger, 'M1/S1/T1', 'x-2', 100);
      ledger.insertParticipant({ id: 'P1', name: 'again', tier: null, automatic_spend: false });
    }), /duplicate key/);
    spend(ledger, 'M1/S1/T1', 'x-3', 100);
  });
  t.same(ledger.entries('P1').map((e) => e.txn_id), [null, 'x-1', 'x-3']);
  t.equal(ledger.wallet('P1')?.balance, 800);
});

t.test('a connection lost while idle is made again for the next batch', async (t) => {
  const schema = pgTestSchema(t);
  const name = `till-host-lost-${process.pid}`;
  const ledger = open(t, schema, name);
  customer(ledger, 'P1', 1000);
  const killed = await pgQuery<{ ok: boolean }>(schema, 'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [name]);
  t.same(killed, [{ ok: true }], 'the server ended the host\'s connection');
  const balance = ledger.immediate(() => spend(ledger, 'M1/S1/T1', 'after-loss', 10), 'M1/S1/T1');
  t.equal(balance, 990, 'applied on a new connection');
});

t.test('a host gone silent mid-request does not hold its till: the server ends the abandoned transaction', async (t) => {
  // A host whose machine is lost mid-request leaves its session holding the till's lock and an open
  // transaction; the other hosts' requests for that till failed on lock_timeout until the server's
  // TCP keepalive noticed (two hours by default). Here host a takes the till as a request does and
  // goes silent; host b's requests for that till get through once the server has ended a's session.
  const schema = pgTestSchema(t);
  // The till's lock is an advisory lock of the database (every schema): a till of this test alone.
  const till = `M1/S1/T-silent-${process.pid}`;
  const a = open(t, schema, `till-host-silent-${process.pid}`);
  const b = open(t, schema);
  customer(a, 'P1', 1000);
  const sql = (a as unknown as { sql: { all(text: string, params?: unknown[]): unknown[] } }).sql;
  sql.all('SELECT pg_advisory_lock(29714, hashtext($1))', [till]); // LOCK_CLASS + 1: the till's lock
  sql.all('BEGIN ISOLATION LEVEL SERIALIZABLE');
  spend(a, till, 'silent-1', 100);
  const started = Date.now();
  let balance: number | undefined;
  let refusals = 0;
  while (balance === undefined && Date.now() - started < 60_000) {
    try {
      balance = b.immediate(() => spend(b, till, 'after-silence', 10), till);
    } catch (error) {
      refusals++;
      t.match(error, { code: '55P03' }, 'meanwhile: lock timeout, as any busy till');
    }
  }
  t.equal(balance, 990, 'host b applied the till\'s request: host a\'s abandoned spend was rolled back');
  t.ok(refusals >= 1, `refused while host a held the till (${refusals} times)`);
  const show = (b as unknown as { sql: { get<R>(text: string): R } }).sql;
  t.same(['idle_in_transaction_session_timeout', 'tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count'].map((n) => show.get<Record<string, string>>(`SHOW ${n}`)[n]),
    ['15s', '30', '10', '3'], 'the host\'s session: abandoned transactions ended after 15 s, a lost peer noticed within a minute');
});

t.test('fleets in two schemas of one database never wait on each other\'s till locks', async (t) => {
  // Advisory locks belong to the database: keyed by the till alone (and the serial lock by 0), a
  // till of one fleet held up the same till of a fleet in another schema (a staging next to a
  // production). Here fleet b's request runs while fleet a's request of the same till holds its lock.
  const till = `M1/S1/T-schemas-${process.pid}`;
  const a = open(t, pgTestSchema(t));
  const b = open(t, pgTestSchema(t));
  customer(a, 'P1', 500);
  customer(b, 'P1', 1000);
  const inside = a.immediate(() => {
    spend(a, till, 'fleet-a', 5);
    return b.immediate(() => spend(b, till, 'fleet-b', 10), till);
  }, till);
  t.equal(inside, 990, 'fleet b\'s till of the same name served while fleet a holds its own');
  t.equal(a.wallet('P1')?.balance, 495);
});

t.test('no statement of the host is JIT-compiled, also on a new connection', async (t) => {
  // enable_seqscan = off prices a plan with no usable index (the offers read, ORDER BY a collation
  // the index is not in) above 10^10: with jit on, the server compiled it on every request.
  const schema = pgTestSchema(t);
  const name = `till-host-jit-${process.pid}`;
  const ledger = open(t, schema, name);
  const sql = (ledger as unknown as { sql: { all<R>(text: string): R[] } }).sql;
  const plan = () => JSON.stringify(sql.all('EXPLAIN (FORMAT JSON) SELECT definition FROM offers ORDER BY id COLLATE "C"'));
  t.notMatch(plan(), /"JIT"/, 'the offers read is planned without JIT');
  t.match(plan(), /"Total Cost":\s*1\d{10}/, 'though it still costs more than jit_above_cost');
  await pgQuery(schema, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
  customer(ledger, 'P1', 100);
  t.notMatch(plan(), /"JIT"/, 'and on the connection made again');
});

t.test('statements with parameters are prepared once per connection; a table changed under one costs one failed run', async (t) => {
  const schema = pgTestSchema(t);
  const ledger = open(t, schema);
  const sql = (ledger as unknown as { sql: { all<R>(text: string): R[] } }).sql;
  const prepared = () => sql.all<{ statement: string }>('SELECT statement FROM pg_prepared_statements').map((r) => r.statement);
  customer(ledger, 'P1', 100);
  const byParticipant = 'SELECT * FROM entries WHERE participant_id = $1 ORDER BY seq';
  t.equal(ledger.entries('P1').length, 1);
  t.equal(ledger.entries('P1').length, 1);
  t.equal(prepared().filter((s) => s === byParticipant).length, 1, 'the entries read is prepared once, run twice');
  t.notOk(prepared().some((s) => s.includes('pg_prepared_statements')), 'a statement without parameters is not prepared');
  // Another host migrates the schema: the prepared SELECT * would now return another row type.
  await pgQuery(schema, 'ALTER TABLE entries ADD COLUMN added_by_test INTEGER');
  let failures = 0;
  for (let i = 0; i < 3; i++) {
    try {
      t.match(ledger.entries('P1'), [{ participant_id: 'P1', added_by_test: null }]);
    } catch (error) {
      failures++;
      t.match(error, { code: '0A000' }, 'the server refuses the cached plan');
    }
  }
  t.ok(failures <= 1, 'at most the first run after the change fails; the statement is prepared again');
});

t.test('the schema is created once, found again, and refused when newer than the host', async (t) => {
  const schema = pgTestSchema(t);
  const first = open(t, schema);
  customer(first, 'P1', 500);
  t.match(first.describe(), new RegExp(`^postgres 127\\.0\\.0\\.1:5432/test schema ${schema} \\(schema version 2\\)$`));
  first.close();
  t.equal(open(t, schema).wallet('P1')?.balance, 500, 'reopened, data kept');
  await pgQuery(schema, 'UPDATE schema_version SET version = 99');
  t.throws(() => PgLedger.open({ url: TEST_PG_URL, schema }), { code: 'LEDGER_TOO_NEW', message: /version 99 is newer/ });
});

t.test('a role that may not create schemas: a schema made for it beforehand is used; a missing one is refused naming postgres.schema', async (t) => {
  // host/README: the role needs the right to create the schema, "or create the schema beforehand".
  // CREATE SCHEMA IF NOT EXISTS checks that right before it looks for the schema: such a role never started.
  const { role, url } = await pgTestRole(t);
  const schema = pgTestSchema(t);
  await pgQuery('public', `CREATE SCHEMA "${schema}" AUTHORIZATION "${role}"`);
  const ledger = PgLedger.open({ url, schema });
  t.teardown(() => ledger.close());
  customer(ledger, 'P1', 700);
  t.equal(ledger.wallet('P1')?.balance, 700, 'tables created in the schema made beforehand, and used');
  t.same(await pgQuery(schema, 'SELECT version FROM schema_version'), [{ version: 2 }]);
  ledger.close();
  const again = PgLedger.open({ url, schema });
  t.teardown(() => again.close());
  t.equal(again.wallet('P1')?.balance, 700, 'opened again');

  const missing = pgTestSchema(t);
  t.throws(() => PgLedger.open({ url, schema: missing }), {
    code: '42501',
    message: new RegExp(`^postgres\\.schema: schema ${missing} does not exist and this role may not create it \\(permission denied for database test\\): create it beforehand`),
  });
});

t.test('a version 1 schema: refunds get their spend snapshot columns, earlier returns keep the earlier rule', async (t) => {
  const schema = pgTestSchema(t);
  open(t, schema).close();
  // Back to what version 1 wrote: refunds without the spend snapshot.
  await pgQuery(schema, `ALTER TABLE refunds DROP COLUMN spent_before, DROP COLUMN returned_before;
    INSERT INTO refunds (terminal, refund_id, txn_id, message_id, items, returned_amount, reversed_award_amount, unrecovered_award_amount, credited_spend_amount, created_at)
      VALUES ('M1/S1/T1', 'r-1', 's-1', 'm-1', '[{"sku":"MUG","qty":1,"amount":333}]', 333, 34, 0, 49, '2026-11-01T00:00:00Z');
    UPDATE schema_version SET version = 1`);
  const ledger = open(t, schema);
  t.match(ledger.credit.refundTotals('M1/S1/T1', 's-1'), { returned_amount: 333, credited_spend_amount: 49, spends_at_returns: null });
  t.same(await pgQuery(schema, 'SELECT version FROM schema_version'), [{ version: 2 }]);
});

t.test('host --doctor and --check-backend report the store; an unreachable server is one ✖ line, no password shown', async (t) => {
  const dir = await tempDir(t, 'till-pg-doctor-');
  const schema = pgTestSchema(t);
  const broker = await startBroker(t);
  const config = async (url: string) => {
    const file = join(dir, `host-${url.length}.yaml`);
    await writeFile(file, stringify({ data_dir: join(dir, 'data'), uplink: { url: broker.url }, store: 'postgres', postgres: { url, schema } }));
    return file;
  };
  const env = { TILL_HOST_PG_PASSWORD: 'pg-secret-0001' };
  const good = await config(TEST_PG_URL);
  const doctor = spawnHost(t, ['--config', good, '--doctor'], env);
  t.equal((await doctor.exited).code, 0, doctor.stdout() + doctor.stderr());
  t.match(doctor.stdout(), new RegExp(`✔ store +postgres 127\\.0\\.0\\.1:5432/test schema ${schema} \\(schema version 2\\)`));
  const check = spawnHost(t, ['--config', good, '--check-backend'], env);
  t.equal((await check.exited).code, 0);
  t.match(check.stdout(), /^store: postgres 127\.0\.0\.1:5432\/test schema/);

  const down = spawnHost(t, ['--config', await config('postgres://postgres@127.0.0.1:1/test'), '--doctor'], env);
  t.equal((await down.exited).code, 1);
  t.match(down.stdout(), /^store\n✖ store +postgres: connect ECONNREFUSED 127\.0\.0\.1:1 \(check postgres\.url: is the server up and reachable from here\?\)\n$/);
  t.equal(down.stderr(), '', 'no stack trace');
  for (const p of [doctor, check, down]) t.notMatch(p.stdout() + p.stderr(), /pg-secret/);
});

t.test('host --doctor names the key to check for each wrong PostgreSQL setting', async (t) => {
  const dir = await tempDir(t, 'till-pg-doctor-keys-');
  const broker = await startBroker(t);
  const schema = pgTestSchema(t);
  const { role, url: roleUrl } = await pgTestRole(t);
  await pgQuery('public', `CREATE SCHEMA "${schema}"`); // made by another role: this one may not use it
  let n = 0;
  const storeLine = async (postgres: Record<string, unknown>) => {
    const file = join(dir, `host-${++n}.yaml`);
    await writeFile(file, stringify({ data_dir: join(dir, 'data'), uplink: { url: broker.url }, store: 'postgres', postgres: { schema, ...postgres } }));
    const p = spawnHost(t, ['--config', file, '--doctor']);
    t.equal((await p.exited).code, 1);
    t.equal(p.stderr(), '', 'no stack trace');
    return p.stdout();
  };
  const database = new URL(TEST_PG_URL);
  database.pathname = '/till_no_such_database';
  t.match(await storeLine({ url: database.toString() }), '✖ store  postgres: database "till_no_such_database" does not exist (check the database in postgres.url)\n');
  const user = new URL(TEST_PG_URL);
  user.username = 'till_no_such_role';
  t.match(await storeLine({ url: user.toString() }), '✖ store  postgres: role "till_no_such_role" does not exist (check the user in postgres.url and the server\'s pg_hba.conf)\n');
  t.match(await storeLine({ url: TEST_PG_URL, password_file: 'no-such-file' }), `✖ store  postgres: postgres.password_file: cannot read ${join(dir, 'no-such-file')}: ENOENT\n`);
  t.match(await storeLine({ url: roleUrl }), `(the user in postgres.url needs USAGE and CREATE on schema ${schema} (postgres.schema), or to own it)\n`);
  t.ok(role);
});
