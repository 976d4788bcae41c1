import t from 'tap';
import { join } from 'node:path';
import { openDb, type Db } from '../../agent/storage/db.ts';
import { Outbox, SYNCS_IN_FLIGHT, decode } from '../../agent/upstream/outbox.ts';
import { tempDir } from '../helpers/tmp.ts';
import { awardAnswer } from '../helpers/host-answers.ts';
import { message, outboxContract } from './outbox-contract.ts';

outboxContract(t, async (t) => {
  const file = join(await tempDir(t), 'agent.db');
  let db: Db = openDb(file);
  t.teardown(() => db.close());
  const harness = {
    outbox: new Outbox(db),
    async reopen() {
      db.close();
      db = openDb(file);
      harness.outbox = new Outbox(db);
      return harness.outbox;
    },
  };
  return harness;
});

t.test('SQLite outbox is in WAL mode with synchronous=FULL (durable commits)', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('synchronous', { simple: true }), 2);
});

t.test('only appends and refusals are fsynced: attempt counts and ok answers commit without, then FULL again', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  const levels: unknown[] = [];
  const pragma = db.pragma.bind(db);
  // Which synchronous level each commit ran under: the PRAGMA statements withoutFsync prepares (once,
  // on first use: after this spy) are run around it.
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const stmt = prepare(source);
    if (source.startsWith('PRAGMA synchronous =')) {
      const run = stmt.run.bind(stmt);
      stmt.run = ((...params: unknown[]) => {
        levels.push(source);
        return run(...params);
      }) as typeof stmt.run;
    }
    return stmt;
  }) as Db['prepare'];
  const a = message();
  const b = message();
  await outbox.append(a);
  await outbox.append(b);
  t.same(levels, [], 'appends under the connection\'s FULL');
  outbox.markAttempt([a.id, b.id]);
  t.same(levels, ['PRAGMA synchronous = 1', 'PRAGMA synchronous = 2'], 'attempt counts: NORMAL, then FULL again');
  levels.length = 0;
  outbox.settle([{ id: a.id, ok: true, result: { award_amount: 1 } }]);
  t.same(levels, ['PRAGMA synchronous = 1', 'PRAGMA synchronous = 2'], 'an ok answer: NORMAL, then FULL again');
  levels.length = 0;
  outbox.settle([{ id: b.id, ok: false, error: { code: 'NOT_FOUND', message: 'x', permanent: true } }]);
  t.same(levels, [], 'a refusal is fsynced');
  t.equal(pragma('synchronous', { simple: true }), 2, 'the connection is FULL again');
  t.same([outbox.get(a.id)?.state, outbox.get(b.id)?.state], ['done', 'dead']);
});

t.test('a failing row rejects only its caller; the rest of the group commits', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  const good = message();
  // A NOT NULL violation rolls back that caller's savepoint only.
  const bad = { ...message(), payload: undefined as unknown as Record<string, unknown>, op: null as unknown as 'award' };
  const results = await Promise.allSettled([outbox.append(good), outbox.append(bad)]);
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected']);
  t.equal(outbox.get(good.id)?.state, 'pending');
  t.equal(outbox.get(bad.id), undefined, 'no partial write of the bad row');
});

t.test('a full disk is STORAGE_FULL, nothing half-written', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  await outbox.append(message());
  // Cap the database at its current size: the next insert hits SQLITE_FULL like a full disk.
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
  const big = message({ payload: { blob: 'x'.repeat(64 * 1024) } });
  await t.rejects(outbox.append(big), { code: 'STORAGE_FULL', retryable: true });
  t.equal(outbox.get(big.id), undefined);
  t.equal(outbox.stats().pending, 1);
});

t.test("a sale's named spends, refunds and redemptions are looked up through indexes, not a scan of the outbox", async (t) => {
  // Every award, spend and void reads them: a scan made each request slower as the backlog grew.
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const plan = (sql: string, ...args: string[]) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
  t.match(plan(`SELECT * FROM outbox WHERE op = 'spend' AND sale_txn_id = ? ORDER BY seq`, 'T-1'),
    /USING INDEX outbox_sale/);
  t.match(plan(`SELECT * FROM outbox WHERE op = 'redeem' AND json_extract(payload, '$.txn_id') = ? ORDER BY seq`, 'T-1'),
    /USING INDEX outbox_redeem/);
  const outbox = new Outbox(db);
  const spend = { ...message(), op: 'spend' as const, payload: { sale_txn_id: 'T-1', spend_id: 'a' } };
  await outbox.append(spend);
  await outbox.append({ ...message(), op: 'spend' as const, payload: { sale_txn_id: 'T-2', spend_id: 'a' } });
  t.same(outbox.forSale('spend', 'T-1').map((r) => r.id), [spend.id]);
  t.same(outbox.forSale('refund', 'T-1'), []);
});

t.test('a group commit is answered after its fsync, and only then do its rows reach the forwarder', async (t) => {
  // The commit itself does not sync (synchronous=NORMAL for it); the WAL's fdatasync runs off the
  // event loop. Between the two, the row is in the table but must not be sent to the host.
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  t.teardown(() => outbox.close());
  const first = message();
  let answered = false;
  const appended = outbox.append(first).then((o) => { answered = true; return o; });
  // Scheduled after the outbox's own setImmediate: runs right after the commit, before any I/O callback.
  const between = await new Promise<{ pending: number; next: string[] }>((resolve) => setImmediate(() =>
    resolve({ pending: outbox.stats().pending, next: outbox.nextPending(10).map((r) => r.id) })));
  t.same(between, { pending: 1, next: [] }, 'committed, not yet synced: counted, not handed out');
  t.equal(answered, false);
  t.equal((await appended).kind, 'created');
  t.same(outbox.nextPending(10).map((r) => r.id), [first.id]);
  t.equal(db.pragma('synchronous', { simple: true }), 2, 'every other write still syncs at its commit');
});

t.test('group commits do not wait for the fsync in flight: two fsyncs at once, each on its own descriptor; an answer only after an fsync begun after its commit', async (t) => {
  t.equal(SYNCS_IN_FLIGHT, 2);
  const held: Array<{ fd: number; done: (error: NodeJS.ErrnoException | null) => void }> = [];
  const db = openDb(join(await tempDir(t), 'agent.db'));
  const outbox = new Outbox(db, () => new Date(), undefined, () => new Date(), (fd, done) => { held.push({ fd, done }); });
  t.teardown(() => { outbox.close(); db.close(); });
  const answered: string[] = [];
  const append = (m: ReturnType<typeof message>) => outbox.append(m).then(() => { answered.push(m.id); }, (e: unknown) => { answered.push(`${m.id}: ${(e as Error).message}`); });
  // A few turns of the event loop: with every descriptor busy, a commit waits for a turn that brings no more appends.
  const turn = async () => { for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r)); };
  const release = (i: number, error: NodeJS.ErrnoException | null = null) => held.splice(i, 1)[0]!.done(error);
  const [a, b, c] = [message(), message(), message()];
  const appendedA = append(a);
  await turn();
  t.equal(held.length, 1, "a's fsync runs");
  const appendedB = append(b);
  await turn();
  t.equal(held.length, 2, "b committed, and its fsync begun without waiting for a's");
  t.not(held[1]!.fd, held[0]!.fd, 'on another descriptor of the WAL');
  const appendedC = append(c);
  await turn();
  t.equal(outbox.stats().pending, 3, 'c committed while both run');
  t.equal(held.length, 2, "no third fsync: c's waits for a free descriptor");
  t.same(outbox.nextPending(10), [], 'none handed out before its fsync');
  release(1); // b's, begun after a's commit too
  await Promise.all([appendedA, appendedB]);
  t.same(answered, [a.id, b.id], "a and b answered by b's fsync; c not");
  t.equal(held.length, 2, "c's fsync begun on the descriptor b's freed");
  release(0); // a's: nothing left to answer
  await turn();
  t.same(answered, [a.id, b.id]);
  release(0);
  await appendedC;
  t.same(answered, [a.id, b.id, c.id]);
  t.same(outbox.nextPending(10).map((r) => r.id), [a.id, b.id, c.id]);

  // A failed fsync: every commit not answered yet hears the error (pages of the other fsync's commits may
  // have been in the writeback that failed).
  const [d, e, f] = [message(), message(), message()];
  const appendedD = append(d);
  await turn();
  const appendedE = append(e);
  await turn();
  t.equal(held.length, 2);
  release(0, Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  await Promise.all([appendedD, appendedE]);
  t.match(answered.slice(3), [`${d.id}: EIO`, `${e.id}: EIO`]);
  release(0); // e's: nothing left to answer
  const appendedF = append(f);
  await turn();
  t.equal(held.length, 1, 'a later commit has an fsync of its own');
  release(0);
  await appendedF;
  t.equal(answered[5], f.id);
});

t.test('while an fsync runs, a commit waits for a turn without new appends: requests arriving over several turns share one commit; with none in flight, a commit is made at once', async (t) => {
  const held: Array<(error: NodeJS.ErrnoException | null) => void> = [];
  const db = openDb(join(await tempDir(t), 'agent.db'));
  const outbox = new Outbox(db, () => new Date(), undefined, () => new Date(), (_fd, done) => { held.push(done); });
  t.teardown(() => { outbox.close(); db.close(); });
  const answered: string[] = [];
  const append = (m: ReturnType<typeof message>) => outbox.append(m).then(() => { answered.push(m.id); });
  const oneTurn = () => new Promise((r) => setImmediate(r));
  const turns = async () => { for (let i = 0; i < 4; i++) await oneTurn(); };
  const [a, b, c] = [message(), message(), message()];
  const appendedA = append(a);
  await oneTurn();
  t.equal(held.length, 1, "no fsync in flight: a committed in its own turn, its fsync begun");
  // b, then c a turn later, while a's fsync runs.
  const appendedB = append(b);
  await oneTurn();
  t.equal(held.length, 1, 'b waits: the turn brought an append');
  const appendedC = append(c);
  await turns();
  t.equal(held.length, 2, 'b and c committed once a turn brought nothing new, one fsync begun');
  held.splice(1, 1)[0]!(null);
  await Promise.all([appendedA, appendedB, appendedC]);
  t.same(answered, [a.id, b.id, c.id], "a, b and c answered by the one fsync begun after b's and c's commit");
  held.splice(0, 1)[0]!(null);
  t.same(outbox.nextPending(10).map((r) => r.id), [a.id, b.id, c.id]);
});

t.test('rows an earlier version settled (the answer stored as the host sent it, unchecked) are read typed, or as unreadable', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  const [spent, odd] = [message({ op: 'spend', amount: 200 }), message({ op: 'spend', amount: 300 })];
  await outbox.appendAll([spent, odd]);
  // What the previous version wrote: state, result and settled_at, nothing else (schema 4 unchanged).
  const settle = db.prepare(`UPDATE outbox SET state = 'done', result = ?, settled_at = updated_at WHERE id = ?`);
  settle.run(JSON.stringify({ currency: 'EUR', spent_amount: 200, balance: { amount: 800, currency: 'EUR' }, offline: false }), spent.id);
  settle.run(JSON.stringify({ spent_amount: '300' }), odd.id);
  t.same(outbox.get(spent.id)?.result, { currency: 'EUR', spent_amount: 200, balance: { amount: 800, currency: 'EUR' }, offline: false });
  t.match(outbox.get(odd.id), { state: 'done', result: null, result_error: /result\.currency: .*result\.spent_amount: / });
  t.equal(outbox.stats().unreadable, 0, 'counted when an answer arrives, not when an old row is read');
});

t.test('nextPending skips its read once the rows it returned are settled, and reads again after a retry or a rolled-back settle', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  const a = message();
  await outbox.append(a);
  t.same(outbox.nextPending(100).map((r) => r.id), [a.id]);
  outbox.settle([{ id: a.id, ok: false, error: { code: 'NOT_FOUND', message: 'no such customer', permanent: true } }]);
  t.same(outbox.nextPending(100), [], 'settled: none pending');
  t.equal(outbox.retry(null), 1);
  t.same(outbox.nextPending(100).map((r) => r.id), [a.id], 'a retried dead letter is pending again');
  // A settle inside a transaction that rolls back leaves the row pending.
  t.throws(() => db.transaction(() => {
    outbox.settle([{ id: a.id, ok: true, result: { award_amount: 1 } }]);
    throw new Error('rolled back');
  })(), /rolled back/);
  t.equal(outbox.get(a.id)?.state, 'pending');
  t.same(outbox.nextPending(100).map((r) => r.id), [a.id], 'still pending after the rollback');
  const b = message();
  await outbox.append(b);
  outbox.settle([{ id: a.id, ok: true, result: { award_amount: 1 } }]);
  t.same(outbox.nextPending(100).map((r) => r.id), [b.id], 'a row appended after the read is found');
  // Not from a read that may have left rows out (limit reached): b stays pending, a third row is found too.
  const c = message();
  await outbox.append(c);
  t.same(outbox.nextPending(1).map((r) => r.id), [b.id]);
  outbox.settle([{ id: b.id, ok: true, result: { award_amount: 1 } }]);
  t.same(outbox.nextPending(100).map((r) => r.id), [c.id]);
});

t.test('rows just committed reach nextPending without a read, and as stored once another write touched them', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  const stmt = (outbox as unknown as { stmt: Record<string, { all: (...args: unknown[]) => unknown[] }> }).stmt.nextPending!;
  const read = stmt.all.bind(stmt);
  let reads = 0;
  stmt.all = (...args: unknown[]) => { reads += 1; return read(...args); };
  const a = message();
  await outbox.append(a);
  t.same(outbox.nextPending(100).map((r) => r.id), [a.id]);
  t.equal(reads, 1, 'pending rows not known yet: read');
  const b = message();
  await outbox.append(b);
  const [first, second] = outbox.nextPending(100);
  t.same([first?.id, second?.id], [a.id, b.id]);
  t.equal(reads, 1, 'both just committed, nothing else written: from memory');
  t.same(outbox.nextPending(100, first!.seq).map((r) => r.id), [b.id]);
  t.equal(reads, 1);
  outbox.markAttempt([b.id]);
  t.equal(outbox.nextPending(100, first!.seq)[0]?.attempts, 1, 'after the attempt count: as stored');
  t.equal(reads, 2);
  const c = message();
  await outbox.append(c);
  outbox.withholdReductions(c.id);
  const [row] = outbox.nextPending(100, second!.seq);
  t.equal(row?.id, c.id);
  t.equal(row?.payload.pos_reduced, false, 'after withholdReductions: as stored');
});

t.test('the insert is the idempotency check: a new row without a lookup, a repeat read once', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  let lookups = 0;
  for (const stmt of (outbox as unknown as { byTxn: Map<string, { get: (...args: unknown[]) => unknown }> }).byTxn.values()) {
    const get = stmt.get.bind(stmt);
    stmt.get = (...args: unknown[]) => { lookups += 1; return get(...args); };
  }
  const a = message();
  const created = await outbox.append(a);
  t.equal(created.kind, 'created');
  t.equal(lookups, 0, 'a new (op, txn_id): inserted, nothing read');
  const again = await outbox.append({ ...a, id: 'another-id' });
  t.equal(again.kind, 'existing');
  t.equal(again.row.id, a.id, 'the row already there, not a second one');
  t.equal(lookups, 1, 'a repeat: the insert was refused, the row is read');
  t.equal((await outbox.append({ ...a, id: 'third-id', fingerprint: 'other' })).kind, 'conflict');
  t.equal((await outbox.append(a)).kind, 'existing', 'the same message again (its id and its txn both taken): existing');
  const [first, second, third] = await outbox.appendAll([message(), { ...message(), txn_id: a.txn_id, op: 'void' }, { ...message(), txn_id: null }]);
  t.same([first?.kind, second?.kind, third?.kind], ['created', 'created', 'created'], 'the same txn_id under another op is another row; no txn_id, no check');
  const sameGroup = message();
  const [x, y] = await Promise.all([outbox.append(sameGroup), outbox.append({ ...sameGroup, id: 'same-group-2' })]);
  t.same([x.kind, y.kind], ['created', 'existing'], 'a repeat in the same group commit finds the row the group just inserted');
  t.equal((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n, 5);
  t.equal((db.prepare('SELECT created_at = updated_at AS same FROM outbox WHERE id = ?').get(a.id) as { same: number }).same, 1, 'updated_at is created_at');
  await t.rejects(outbox.append({ ...message(), id: a.id }), { code: 'SQLITE_CONSTRAINT_UNIQUE' }, 'a message id given twice (another txn) still fails');
});

t.test('rows are kept for nextPending only while someone takes them: after 4 commits without a call, none', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  const fresh = (outbox as unknown as { fresh: Map<number, unknown> }).fresh;
  const stmt = (outbox as unknown as { stmt: Record<string, { all: (...args: unknown[]) => unknown[] }> }).stmt.nextPending!;
  const read = stmt.all.bind(stmt);
  let reads = 0;
  stmt.all = (...args: unknown[]) => { reads += 1; return read(...args); };
  t.same(outbox.nextPending(100), [], 'nothing pending: known from now on');
  const rows = [];
  for (let i = 0; i < 4; i++) rows.push(message());
  for (const m of rows) await outbox.append(m); // four commits, nobody asks (offline)
  t.equal(fresh.size, 4, 'the first four commits after a call keep their rows');
  t.same(outbox.nextPending(100).map((r) => r.id), rows.map((m) => m.id));
  t.equal(reads, 1, 'handed out from memory (the read was the first call)');
  const later = [];
  for (let i = 0; i < 7; i++) later.push(message());
  for (const m of later) await outbox.append(m);
  // Offline the rows would wait hundreds of awards in memory, outlive two young-generation collections
  // and be promoted: after four commits without a call the outbox keeps none.
  t.equal(fresh.size, 0, 'nobody took rows for four commits: none kept');
  t.same(outbox.nextPending(100).map((r) => r.id), [...rows, ...later].map((m) => m.id), 'read: every pending row, in order');
  t.equal(reads, 2);
  const next = message();
  await outbox.append(next);
  t.equal(fresh.size, 1, 'taken again: the next commit keeps its row');
});

t.test('a commit of rows the forwarder sends at once counts their first send; markAttempt then skips it once', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  let atOnce = 1;
  outbox.precountSends(() => atOnce);
  // Which rows are pending must be known (the forwarder reads them once): then none.
  const first = message();
  await outbox.append(first);
  t.same(outbox.nextPending(10).map((r) => r.id), [first.id]);
  outbox.settle([{ id: first.id, ok: true, result: {} }]);
  const a = message();
  t.equal((await outbox.appendEarly(a)).outcome.row.attempts, 1, 'the row as committed');
  t.equal(outbox.get(a.id)?.attempts, 1, 'as stored, by the commit');
  outbox.markAttempt([a.id]);
  t.equal(outbox.get(a.id)?.attempts, 1, 'its send: counted already');
  outbox.markAttempt([a.id]);
  t.equal(outbox.get(a.id)?.attempts, 2, 'a resend: counted');

  const b = message();
  t.equal((await outbox.appendEarly(b)).outcome.row.attempts, 0, 'another row pending: b is not next, not counted');
  outbox.settle([{ id: a.id, ok: true, result: {} }, { id: b.id, ok: true, result: {} }]);
  const c = message();
  await outbox.append(c);
  t.equal(outbox.get(c.id)?.attempts, 0, 'not early (waits for its fsync): not counted by its commit');
  outbox.settle([{ id: c.id, ok: true, result: {} }]);
  atOnce = 0;
  const d = message();
  await outbox.appendEarly(d);
  t.equal(outbox.get(d.id)?.attempts, 0, 'the forwarder would not send it now: not counted');
  outbox.markAttempt([d.id]);
  t.equal(outbox.get(d.id)?.attempts, 1);
  outbox.settle([{ id: d.id, ok: true, result: {} }]);

  // Counted by its commit, not sent then (the link dropped): its later send is not counted again.
  atOnce = 1;
  const e = message();
  await outbox.appendEarly(e);
  t.equal(outbox.get(e.id)?.attempts, 1);
  outbox.markAttempt([e.id]);
  t.equal(outbox.get(e.id)?.attempts, 1, 'one send, one count');
  outbox.precountSends(undefined);
  outbox.settle([{ id: e.id, ok: true, result: {} }]);
  const f = message();
  await outbox.appendEarly(f);
  t.equal(outbox.get(f.id)?.attempts, 0, 'no forwarder: counted by markAttempt alone');
});

t.test('rows read in raw mode are the rows decode() makes of the same columns read as objects, keys in the same order', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  const ok = message({ payload: { customer_id: 'c1', basket: { total: 5, items: [{ sku: 'A' }] } }, amount: 5 });
  const dead = message({ op: 'spend', offline: true, amount: 300 });
  const unreadable = message();
  const pending = message({ customer_id: null, txn_id: null, currency: null });
  await outbox.appendAll([ok, dead, unreadable, pending]);
  const settled = outbox.settle([
    { id: ok.id, ok: true, result: { status: 'awarded', award_amount: 1 } },
    { id: dead.id, ok: false, error: { code: 'REJECTED_UPSTREAM', message: 'no', permanent: true } },
    { id: unreadable.id, ok: true, result: { award_amount: 'x' } },
  ]);
  const columns = 'seq, id, op, txn_id, fingerprint, customer_id, payload, offline, amount, currency, state, attempts, result, error, created_at, updated_at, settled_at';
  const asObject = (id: string) => JSON.stringify(decode(db.prepare(`SELECT ${columns} FROM outbox WHERE id = ?`).get(id) as Parameters<typeof decode>[0]));
  for (const m of [ok, dead, unreadable, pending]) t.equal(JSON.stringify(outbox.get(m.id)), asObject(m.id), m.id);
  t.same(settled.map((r) => JSON.stringify(r)), [ok, dead, unreadable].map((m) => asObject(m.id)), 'as the settle returns them');
  t.equal(JSON.stringify(outbox.nextPending(10)), `[${asObject(pending.id)}]`);
  t.ok(outbox.get(unreadable.id)?.result_error, 'an unreadable answer says so');
});

t.test("a backlog's settle makes its rows from the rows nextPending read and the answers it has: the rows a read gives", async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const first = new Outbox(db);
  const ok = message({ payload: { customer_id: 'c1', basket: { total: 5, items: [{ sku: 'A' }] } }, amount: 5 });
  const withheld = message({ payload: { customer_id: 'c2', basket: { total: 7, items: [] } } });
  const dead = message({ op: 'spend', offline: true, amount: 300 });
  const unreadable = message();
  const pending = message();
  await first.appendAll([ok, withheld, dead, unreadable, pending]);
  const outbox = new Outbox(db); // nothing fresh: nextPending reads the rows from the file
  const sent = outbox.nextPending(10);
  t.equal(sent.length, 5);
  outbox.markAttempt(sent.map((r) => r.id)); // counted after the read: the settled rows say 1
  outbox.withholdReductions(withheld.id); // its stored payload changes while it is in flight
  const settled = outbox.settle([
    { id: ok.id, ok: true, result: awardAnswer({ award_amount: 1 }) },
    { id: withheld.id, ok: true, result: awardAnswer({ award_amount: 2 }) },
    { id: dead.id, ok: false, error: { code: 'REJECTED_UPSTREAM', message: 'no', permanent: true } },
    { id: unreadable.id, ok: true, result: { award_amount: 'x' } },
  ]);
  const columns = 'seq, id, op, txn_id, fingerprint, customer_id, payload, offline, amount, currency, state, attempts, result, error, created_at, updated_at, settled_at';
  const asObject = (id: string) => JSON.stringify(decode(db.prepare(`SELECT ${columns} FROM outbox WHERE id = ?`).get(id) as Parameters<typeof decode>[0]));
  t.same(settled.map((r) => JSON.stringify(r)), [ok, withheld, dead, unreadable].map((m) => asObject(m.id)), 'as a read returns them, keys in order');
  t.equal(settled[0]!.payload, sent[0]!.payload, 'the payload nextPending read, not parsed again');
  t.equal(settled[0]!.attempts, 1);
  t.equal((settled[1]!.payload as { pos_reduced?: unknown }).pos_reduced, false, 'a payload changed in flight as it is stored now');
  t.match(settled[0], { state: 'done', result: { award_amount: 1 } });
  t.notOk(settled[0]!.result_error);
  t.match(settled[3], { state: 'done', result: null, result_error: /award_amount/ });
  t.equal(outbox.stats().unreadable, 1, 'the unreadable answer counted');
  t.equal(JSON.stringify(outbox.nextPending(10)), `[${asObject(pending.id)}]`);
  // Answered again (a late duplicate): nothing pending to settle.
  t.same(outbox.settle([{ id: ok.id, ok: true, result: awardAnswer({ award_amount: 1 }) }]), []);
});

t.test("an online settle makes its rows from the fresh rows nextPending handed out, not read back: the rows a read gives", async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  // A first row read and settled: from then on the outbox knows every pending row, and nextPending hands
  // out the rows of the last commits from memory, as the insert made them (an online award's).
  const first = message();
  await outbox.append(first);
  outbox.settle(outbox.nextPending(10).map((r) => ({ id: r.id, ok: true as const, result: awardAnswer({ award_amount: 1 }) })));
  outbox.precountSends(() => 1);
  const early = message({ payload: { customer_id: 'c1', basket: { total: 5, items: [{ sku: 'A' }] }, n: 1 }, amount: 5 });
  await (await outbox.appendEarly(early)).durable; // its first send counted by its commit
  const [sentEarly] = outbox.nextPending(10);
  t.equal(sentEarly?.payload, early.payload, 'handed out fresh: the appended payload object');
  const [settledEarly] = outbox.settle([{ id: early.id, ok: true, result: awardAnswer({ award_amount: 3 }) }]);
  outbox.precountSends(undefined);
  const ok = message({ payload: { customer_id: 'c1', basket: { total: 7, items: [] }, n: 2 } });
  const withheld = message({ payload: { customer_id: 'c2', basket: { total: 9, items: [] }, n: 3 } });
  const dead = message({ op: 'spend', offline: true, amount: 300 });
  const unreadable = message({ customer_id: null, currency: null });
  const pending = message();
  await outbox.appendAll([ok, withheld, dead, unreadable, pending]);
  const sent = outbox.nextPending(10);
  t.same(sent.map((r) => r.payload === [ok, withheld, dead, unreadable, pending][sent.indexOf(r)]!.payload), [true, true, true, true, true], 'all fresh');
  outbox.markAttempt([ok.id, withheld.id]);
  outbox.withholdReductions(withheld.id); // its stored payload changes while it is in flight: read back
  const settled = outbox.settle([
    { id: ok.id, ok: true, result: awardAnswer({ award_amount: 1 }) },
    { id: withheld.id, ok: true, result: awardAnswer({ award_amount: 2 }) },
    { id: dead.id, ok: false, error: { code: 'REJECTED_UPSTREAM', message: 'no', permanent: true } },
    { id: unreadable.id, ok: true, result: { award_amount: 'x' } },
  ]);
  const columns = 'seq, id, op, txn_id, fingerprint, customer_id, payload, offline, amount, currency, state, attempts, result, error, created_at, updated_at, settled_at';
  const asObject = (id: string) => JSON.stringify(decode(db.prepare(`SELECT ${columns} FROM outbox WHERE id = ?`).get(id) as Parameters<typeof decode>[0]));
  t.equal(JSON.stringify(settledEarly), asObject(early.id), 'the early row as a read returns it, keys in order');
  t.equal(settledEarly!.attempts, 1, 'its send counted by its commit');
  t.equal(settledEarly!.payload, early.payload, 'not read back: the payload object it was appended with');
  t.same(settled.map((r) => JSON.stringify(r)), [ok, withheld, dead, unreadable].map((m) => asObject(m.id)), 'as a read returns them, keys in order');
  t.equal(settled[0]!.payload, ok.payload, 'not read back');
  t.equal(settled[0]!.attempts, 1);
  t.not(settled[1]!.payload, withheld.payload, 'withheld: read back');
  t.equal((settled[1]!.payload as { pos_reduced?: unknown }).pos_reduced, false, 'a payload changed in flight as it is stored now');
  t.match(settled[3], { state: 'done', result: null, result_error: /award_amount/ });
  t.equal(outbox.stats().unreadable, 1, 'the unreadable answer counted');
  t.same(outbox.nextPending(10).map((r) => r.id), [pending.id]);
  t.same(outbox.settle([{ id: ok.id, ok: true, result: awardAnswer({ award_amount: 1 }) }]), [], 'a late duplicate: nothing to settle');
});

t.test('rows nextPending handed out are counted and settled through their seq (the rowid), others through their id: each update reaches its own row', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const [a, b, c, d] = [message(), message(), message(), message()];
  await new Outbox(db).appendAll([a, b, c, d]);
  const outbox = new Outbox(db); // nothing fresh: nextPending reads the rows from the file
  const sent = outbox.nextPending(2);
  t.same(sent.map((r) => r.id), [a.id, b.id]);
  // Which UPDATE statements ran, by their SQL: the prototype every statement of this connection shares.
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as { run: (...args: unknown[]) => unknown; get: (...args: unknown[]) => unknown };
  const { run, get } = proto;
  const updates: string[] = [];
  const spy = (original: (...args: unknown[]) => unknown) => function (this: { source: string }, ...args: unknown[]) {
    if (this.source.startsWith('UPDATE outbox')) updates.push(/WHERE (seq|id) = \?/.exec(this.source)?.[1] ?? this.source);
    return original.apply(this, args);
  };
  proto.run = spy(run);
  proto.get = spy(get);
  try {
    outbox.markAttempt([a.id, b.id, c.id]); // c was not handed out: through its id
    t.same(updates.splice(0), ['seq', 'seq', 'id'], 'attempt counts');
    const settled = outbox.settle([
      { id: a.id, ok: true, result: awardAnswer({ award_amount: 1 }) },
      { id: c.id, ok: true, result: awardAnswer({ award_amount: 3 }) },
      { id: d.id, ok: true, result: awardAnswer({ award_amount: 4 }) },
    ]);
    t.same(updates.splice(0).filter((u) => u === 'seq' || u === 'id'), ['seq', 'id', 'id'], 'ok answers');
    t.same(settled.map((r) => [r.id, r.state, r.attempts, (r.result as { award_amount: number }).award_amount]),
      [[a.id, 'done', 1, 1], [c.id, 'done', 1, 3], [d.id, 'done', 0, 4]]);
  } finally {
    proto.run = run;
    proto.get = get;
  }
  const stored = db.prepare('SELECT id, state, attempts, json_extract(result, \'$.award_amount\') AS award FROM outbox ORDER BY seq').all();
  t.same(stored, [
    { id: a.id, state: 'done', attempts: 1, award: 1 },
    { id: b.id, state: 'pending', attempts: 1, award: null },
    { id: c.id, state: 'done', attempts: 1, award: 3 },
    { id: d.id, state: 'done', attempts: 0, award: 4 },
  ], 'each row as its own updates left it');
});

t.test('the rows nextPending reads (packed by SQLite into one JSON array, and the payload) are the rows a read by id gives, keys in order', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const odd = 'q"uo\\te \u0001 é 😀 \u2028';
  const rows = [
    message(),
    message({ txn_id: null, customer_id: null, currency: null }),
    message({ op: 'spend', offline: true, amount: 300, txn_id: `t-${odd}`, fingerprint: odd, customer_id: odd }),
    message({ payload: { text: odd, list: [1, 2.5, null, true], nested: { a: {} } } }),
    message({ created_at: '2026-12-02T00:00:00.000Z' }),
  ];
  const first = new Outbox(db);
  await first.appendAll(rows);
  // A dead letter retried: pending again, with its error and settled_at.
  first.settle([{ id: rows[4]!.id, ok: false, error: { code: 'NOT_FOUND', message: `no ${odd}`, permanent: true } }]);
  t.equal(first.retry(rows[4]!.id), 1);
  const outbox = new Outbox(db); // nothing fresh: nextPending reads the rows from the file
  const read = outbox.nextPending(10);
  t.equal(read.length, rows.length);
  t.same(read.map((r) => JSON.stringify(r)), rows.map((m) => JSON.stringify(outbox.get(m.id))), 'as get() returns them, keys in order');
  t.match(read[4], { state: 'pending', error: { code: 'NOT_FOUND' }, settled_at: String });
  t.equal(read[2]!.offline, true);
  t.equal(typeof read[2]!.amount, 'number');
});

t.test("a batch's attempt counts are one UPDATE of its seq range, exactly its rows: a row made pending inside the range since is not counted", async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const [a, d, b, c] = [message(), message(), message(), message()];
  const first = new Outbox(db);
  await first.appendAll([a, d, b, c]);
  first.settle([{ id: d.id, ok: false, error: { code: 'NOT_FOUND', message: 'no', permanent: true } }]); // d dead
  const outbox = new Outbox(db);
  const sent = outbox.nextPending(2);
  t.same(sent.map((r) => r.id), [a.id, b.id], 'a batch around the dead d');
  t.equal(outbox.retry(d.id), 1, 'd pending again, inside the batch\'s seq range');
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as { run: (...args: unknown[]) => unknown };
  const { run } = proto;
  const updates: string[] = [];
  proto.run = function (this: { source: string }, ...args: unknown[]) {
    if (this.source.startsWith('UPDATE outbox SET attempts')) updates.push(/WHERE (seq >= \?|seq = \?|id = \?)/.exec(this.source)?.[1] ?? this.source);
    return run.apply(this, args);
  };
  try {
    outbox.markAttempt([a.id, b.id]);
    t.same(updates.splice(0), ['seq >= ?', 'seq = ?', 'seq = ?'], 'the range counted three rows: rolled back, then row by row');
    const again = outbox.nextPending(10);
    t.same(again.map((r) => r.id), [a.id, d.id, b.id, c.id], 'read again: every pending row');
    outbox.markAttempt(again.map((r) => r.id));
    t.same(updates.splice(0), ['seq >= ?'], 'a whole batch: its range, once');
    const attempts = db.prepare('SELECT id, attempts FROM outbox ORDER BY seq').all();
    t.same(attempts, [{ id: a.id, attempts: 2 }, { id: d.id, attempts: 1 }, { id: b.id, attempts: 2 }, { id: c.id, attempts: 1 }], 'each send counted once');
    outbox.markAttempt([a.id, d.id, b.id, c.id]); // sent again
    // The settle's rows carry the counts made in memory: what a read gives.
    const settled = outbox.settle(again.map((r) => ({ id: r.id, ok: true as const, result: awardAnswer({ award_amount: 1 }) })));
    t.same(settled.map((r) => r.attempts), [3, 2, 3, 2]);
    t.same(settled.map((r) => JSON.stringify(r)), again.map((r) => JSON.stringify(outbox.get(r.id))), 'as a read returns them');
  } finally {
    proto.run = run;
  }
});
