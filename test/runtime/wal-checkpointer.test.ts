// WAL checkpoints in a worker thread (runtime/wal-checkpointer.ts): the caller's connection never
// checkpoints, the WAL is still copied into the database file and restarted while commits flow,
// a failure is told once without failing anything, and close() leaves the caller's close last.
import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WalCheckpointer, type CheckpointResult } from '../../runtime/wal-checkpointer.ts';
import { walCheckpointTrace, type WalCheckpointTrace } from '../../runtime/trace.ts';
import { tempDir } from '../helpers/tmp.ts';

type Db = Database.Database;

async function walDb(t: Test, autocheckpoint = true): Promise<{ db: Db; file: string; commit: () => void }> {
  const file = join(await tempDir(t, 'till-ckpt-'), 'store.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  if (!autocheckpoint) db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  t.teardown(() => { if (db.open) db.close(); });
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  // ~3 pages a commit: a row bigger than a page, and the table's b-tree.
  return { db, file, commit: () => insert.run('x'.repeat(6000)) };
}

/** Checkpoints the caller's own connection ran (db.pragma spied on). */
function inlineCheckpoints(db: Db): string[] {
  const seen: string[] = [];
  const pragma = db.pragma.bind(db);
  db.pragma = ((source: string, options?: Parameters<Db['pragma']>[1]) => {
    if (source.includes('wal_checkpoint')) seen.push(source);
    return pragma(source, options);
  }) as Db['pragma'];
  return seen;
}

const results = () => {
  const seen: CheckpointResult[] = [];
  let wake: (() => void) | undefined;
  return {
    seen,
    onResult: (r: CheckpointResult) => { seen.push(r); wake?.(); },
    next: () => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no checkpoint result within 10 s')), 10_000);
      wake = () => { clearTimeout(timer); wake = undefined; resolve(); };
    }),
  };
};

t.test('the checkpoint runs in the worker: the caller\'s connection never checkpoints, the pages reach the database file', async (t) => {
  const { db, file, commit } = await walDb(t);
  const inline = inlineCheckpoints(db);
  const r = results();
  const checkpoints = new WalCheckpointer(db, { every: 8, onResult: r.onResult });
  t.teardown(() => checkpoints.close());
  t.ok(checkpoints.offThread);
  for (let i = 0; i < 7; i++) { commit(); checkpoints.committed(); }
  checkpoints.runIfDue();
  t.notOk(checkpoints.running, '7 commits: not due');
  const before = statSync(file).size;
  commit();
  checkpoints.committed();
  const done = r.next();
  checkpoints.runIfDue();
  t.ok(checkpoints.running, '8: handed to the worker');
  await done;
  t.same(inline, [], 'the caller\'s connection ran no checkpoint');
  t.equal(r.seen.length, 1);
  t.ok(r.seen[0]!.log > 0 && r.seen[0]!.checkpointed === r.seen[0]!.log, 'every frame copied');
  t.ok(statSync(file).size > before, 'the rows reached the database file');
  t.equal((db.prepare('SELECT count(*) FROM t').pluck().get() as number), 8, 'the caller reads on');
});

t.test('while requests flow, the WAL is still copied and restarted (SQLite\'s own checkpoint off)', async (t) => {
  const { db, file, commit } = await walDb(t, false);
  const inline = inlineCheckpoints(db);
  const r = results();
  const checkpoints = new WalCheckpointer(db, { every: 16, onResult: r.onResult });
  t.teardown(() => checkpoints.close());
  const wal = () => statSync(`${file}-wal`).size;
  let largest = 0;
  const REQUESTS = 400;
  for (let i = 0; i < REQUESTS; i++) {
    commit();
    checkpoints.committed();
    // Between requests (as the forwarder and the host's consumer call it), the next one a round trip away.
    checkpoints.runIfDue();
    largest = Math.max(largest, wal());
    // Requests keep coming while the worker copies (commits during its checkpoint), with gaps.
    if (i % 3 === 2) while (checkpoints.running) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  t.same(inline, []);
  t.ok(r.seen.length >= REQUESTS / 32, `the worker checkpointed along (${r.seen.length} times)`);
  // Restarted at each gap once the worker's passes copied every frame: at most the ~19 commits
  // (~3.5 pages each) since the last gap and checkpoint. A checkpoint of one pass, which leaves the
  // frames committed while it copied, let the WAL reach ~170 pages; no restart at all, ~1,400.
  const pages = largest / 4096;
  t.ok(pages < 120, `the WAL was restarted: at most ${pages.toFixed(0)} pages`);
  t.equal((db.prepare('SELECT count(*) FROM t').pluck().get() as number), REQUESTS);
});

t.test('a stream of commits with no gap: SQLite\'s own checkpoint keeps the WAL bounded, the worker copying most', async (t) => {
  const { db, file, commit } = await walDb(t);
  const r = results();
  const checkpoints = new WalCheckpointer(db, { every: 16, onResult: r.onResult });
  t.teardown(() => checkpoints.close());
  let largest = 0;
  for (let i = 0; i < 1500; i++) {
    commit();
    checkpoints.committed();
    checkpoints.runIfDue();
    largest = Math.max(largest, statSync(`${file}-wal`).size);
    if (i % 4 === 3) await new Promise((resolve) => setImmediate(resolve));
  }
  t.ok(r.seen.length >= 10, `the worker checkpointed along (${r.seen.length} times)`);
  t.ok(largest / 4096 < 1100, `at most ${(largest / 4096).toFixed(0)} pages (1,000 and a commit)`);
});

t.test('a failed checkpoint is thrown once by the next runIfDue, and checkpoints go on', async (t) => {
  const { db, file, commit } = await walDb(t);
  const r = results();
  const checkpoints = new WalCheckpointer(db, { every: 2, onResult: r.onResult });
  t.teardown(() => checkpoints.close());
  // The worker opens the file by name when first asked: gone, it cannot (the caller's connection works on).
  unlinkSync(file);
  commit(); commit();
  checkpoints.committed(); checkpoints.committed();
  checkpoints.runIfDue();
  while (checkpoints.running) await new Promise((resolve) => setTimeout(resolve, 5));
  t.ok(checkpoints.due, 'its failure is due to be told');
  t.throws(() => checkpoints.runIfDue(), { name: 'CheckpointError', code: 'SQLITE_CANTOPEN' }, 'told by the next runIfDue');
  t.doesNotThrow(() => checkpoints.runIfDue(), 'once');
  t.notOk(checkpoints.running, 'and the next one waits for its commits');
  commit();
  t.equal((db.prepare('SELECT count(*) FROM t').pluck().get() as number), 3, 'commits never fail for it');
});

t.test('without a second connection (exclusive locking) the checkpoint runs on the caller\'s thread', async (t) => {
  const file = join(await tempDir(t, 'till-ckpt-'), 'store.db');
  const db = new Database(file);
  t.teardown(() => db.close());
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (x)');
  const inline = inlineCheckpoints(db);
  const r = results();
  const checkpoints = new WalCheckpointer(db, { every: 1, onResult: r.onResult });
  t.notOk(checkpoints.offThread);
  db.exec('INSERT INTO t VALUES (1)');
  checkpoints.committed();
  checkpoints.runIfDue();
  t.same(inline, ['wal_checkpoint(PASSIVE)'], 'run at once, here');
  t.equal(r.seen.length, 1);
  checkpoints.close();
});

t.test('close() closes the worker\'s connection first: the caller\'s close is the last, and removes the WAL', async (t) => {
  const { db, file, commit } = await walDb(t);
  const r = results();
  const checkpoints = new WalCheckpointer(db, { every: 1, onResult: r.onResult });
  commit();
  checkpoints.committed();
  const done = r.next();
  checkpoints.runIfDue();
  await done;
  commit();
  checkpoints.committed();
  checkpoints.runIfDue(); // in hand while closing: close() waits for it
  checkpoints.close();
  t.notOk(checkpoints.offThread, 'no worker after close');
  db.close();
  t.notOk(existsSync(`${file}-wal`), 'the last connection to close checkpointed and removed the WAL');
  const again = new Database(file, { readonly: true });
  t.equal((again.prepare('SELECT count(*) FROM t').pluck().get() as number), 2);
  again.close();
});

t.test('a worker never keeps the process alive: one never closed lets it exit', async (t) => {
  const dir = await tempDir(t, 'till-ckpt-');
  const script = join(dir, 'left-open.ts');
  const module = fileURLToPath(new URL('../../runtime/wal-checkpointer.ts', import.meta.url));
  writeFileSync(script, `
    import Database from ${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))};
    import { WalCheckpointer } from ${JSON.stringify(module)};
    const db = new Database(${JSON.stringify(join(dir, 'store.db'))});
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x)');
    const checkpoints = new WalCheckpointer(db, { every: 1, onResult: (r) => console.log('checkpointed', r.settled) });
    db.exec('INSERT INTO t VALUES (1)');
    checkpoints.committed();
    checkpoints.runIfDue();
    setTimeout(() => console.log('done'), 300);
  `);
  const out = execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 20_000, encoding: 'utf8' });
  t.match(out, /checkpointed true[\s\S]*done/, 'the worker checkpointed, and the process exited by itself');
});

t.test('an idle worker stops (its memory back to the till), and the next checkpoint due starts another', async (t) => {
  const { db, commit } = await walDb(t);
  const inline = inlineCheckpoints(db);
  const r = results();
  const checkpoints = new WalCheckpointer(db, { every: 2, idleStopMs: 200, onResult: r.onResult });
  t.teardown(() => checkpoints.close());
  const checkpointOnce = async () => {
    commit(); checkpoints.committed();
    checkpoints.runIfDue(); // the first call after a commit starts the worker if there is none
    commit(); checkpoints.committed();
    const done = r.next();
    checkpoints.runIfDue();
    t.ok(checkpoints.running, 'handed to the worker');
    await done;
  };
  await checkpointOnce();
  t.ok(checkpoints.hasWorker, 'a worker after the first checkpoint');
  const stopped = Date.now();
  while (checkpoints.hasWorker && Date.now() - stopped < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
  t.notOk(checkpoints.hasWorker, 'stopped after 200 ms with nothing asked of it');
  t.ok(checkpoints.offThread, 'still checkpointing off the thread');
  await checkpointOnce();
  t.equal(r.seen.length, 2, 'the second checkpoint ran in a new worker');
  t.same(inline, [], 'the caller\'s connection never checkpointed');
  t.ok(checkpoints.hasWorker);
  checkpoints.close();
  t.notOk(checkpoints.hasWorker);
  db.close();
  t.pass('closed after the worker');
});

t.test('a tracer subscribed to runtime/trace.ts hears each worker checkpoint, on CLOCK_MONOTONIC; onResult gets the result as before', async (t) => {
  const { db, commit } = await walDb(t);
  const traced: WalCheckpointTrace[] = [];
  const listen = (m: unknown) => traced.push(m as WalCheckpointTrace);
  walCheckpointTrace.subscribe(listen);
  t.teardown(() => walCheckpointTrace.unsubscribe(listen));
  const r = results();
  const checkpoints = new WalCheckpointer(db, { every: 2, onResult: r.onResult });
  t.teardown(() => checkpoints.close());
  const mono = () => Number(process.hrtime.bigint()) / 1e6;
  const before = mono();
  for (let i = 0; i < 2; i++) { commit(); checkpoints.committed(); }
  const done = r.next();
  checkpoints.runIfDue();
  await done;
  const after = mono();
  t.equal(traced.length, 1, 'one checkpoint, one trace');
  const [trace] = traced;
  t.ok(before <= trace!.began && trace!.began <= trace!.ended && trace!.ended <= after, 'began and ended within the call, on the caller\'s monotonic clock');
  t.equal(trace!.log, r.seen[0]!.log);
  t.equal(trace!.checkpointed, r.seen[0]!.checkpointed);
  t.same(Object.keys(r.seen[0]!).sort(), ['busy', 'checkpointed', 'log', 'ok', 'settled'], 'onResult: no trace fields');
});
