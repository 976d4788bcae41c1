// WAL checkpoints in a worker thread (runtime/wal-checkpointer.ts): the caller's connection never
// checkpoints, the WAL is still copied into the database file and restarted while commits flow,
// a failure is told once without failing anything, and close() leaves the caller's close last.
import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

/**
 * The WAL as SQLite's WAL-index header in `<db>-shm` has it (https://www.sqlite.org/walformat.html,
 * 2.1: mxFrame at byte 16 and nBackfill at 96 in native byte order; salt-1 at 32, big-endian, one
 * more at each restart). Read between commits, it tells what the worker copied and when the WAL
 * restarted, whatever the worker's speed: a size reached under load would tell how busy the machine was.
 */
function walIndex(t: Test, file: string): () => { frames: number; copied: number; restarts: number } {
  const fd = openSync(`${file}-shm`, 'r');
  t.teardown(() => closeSync(fd));
  const header = Buffer.alloc(100);
  const le = endianness() === 'LE';
  return () => {
    readSync(fd, header, 0, header.length, 0);
    const u32 = (at: number) => (le ? header.readUInt32LE(at) : header.readUInt32BE(at));
    return { frames: u32(16), copied: u32(96), restarts: header.readUInt32BE(32) };
  };
}

t.test('while requests flow, the WAL is still copied and restarted (SQLite\'s own checkpoint off)', async (t) => {
  const { db, file, commit } = await walDb(t, false);
  const inline = inlineCheckpoints(db);
  const r = results();
  const checkpoints = new WalCheckpointer(db, { every: 16, onResult: r.onResult });
  t.teardown(() => checkpoints.close());
  const wal = walIndex(t, file);
  // Checked at each gap, once the worker answered: what it copied, and what the next commit does
  // with the WAL. Where the worker's passes fell among the commits depends on its speed (under load a
  // commit that began before the last pass copied and ended after it is left, the WAL then restarting
  // a checkpoint later); what follows from its answer does not.
  const left: string[] = [];          // frames committed before the worker was asked, not copied by it
  const notRestarted: string[] = [];  // the commit after a gap with every frame copied did not restart the WAL
  const notSettled: string[] = [];    // passes that copied every frame the WAL holds did not say so
  let copiedGaps = 0;
  let askedAtGap = 0;
  let restarts = 0;
  let largest = 0;
  let last = wal();
  /** Frames in the WAL when the worker was last asked (none after a restart: every one was copied). */
  let asked = 0;
  let restartDue = false;
  const REQUESTS = 400;
  for (let i = 0; i < REQUESTS; i++) {
    commit();
    checkpoints.committed();
    const now = wal();
    const restarted = now.restarts !== last.restarts;
    if (restarted) { restarts += 1; asked = 0; }
    if (restartDue && !(restarted && now.copied === 0)) {
      notRestarted.push(`commit ${i}: ${last.frames} frames all copied, then ${now.frames} (${now.copied} copied)`);
    }
    restartDue = false;
    last = now;
    largest = Math.max(largest, now.frames);
    const idle = !checkpoints.running;
    // Between requests (as the forwarder and the host's consumer call it), the next one a round trip away.
    checkpoints.runIfDue();
    const askedNow = idle && checkpoints.running;
    if (askedNow) asked = now.frames;
    // Requests keep coming while the worker copies (commits during its checkpoint), with gaps.
    if (i % 3 !== 2) continue;
    while (checkpoints.running) await sleep(1);
    const gap = wal();
    if (gap.copied < asked) left.push(`gap after commit ${i}: ${gap.copied} of the ${asked} frames there when asked`);
    if (askedNow) askedAtGap += 1;
    if (gap.frames > 0 && gap.copied === gap.frames) {
      copiedGaps += 1;
      restartDue = true;
      const answer = r.seen.at(-1)!;
      if (answer.log === gap.frames && !answer.settled) notSettled.push(`gap after commit ${i}: ${JSON.stringify(answer)}`);
    }
  }
  t.same(inline, []);
  t.ok(r.seen.length >= REQUESTS / 32, `the worker checkpointed along (${r.seen.length} times)`);
  t.same(left, [], 'each checkpoint copied every frame committed before it was asked');
  // At most 2 commits come while a checkpoint runs (the gap waits for its answer): of its passes
  // (up to 4) the last finds nothing new. A checkpoint of one pass never knows it copied all.
  t.same(notSettled, [], 'a checkpoint whose passes copied every frame the WAL holds says it settled');
  // Restarted at each gap once the worker's passes copied every frame: the worker holds nothing
  // (no read transaction) that keeps the writer from starting the WAL over.
  t.same(notRestarted, [], 'the first commit after a gap with every frame copied restarted the WAL');
  // A checkpoint asked at a gap (every 3rd: 16 commits apart, gaps 3) runs with no commit beside it.
  t.ok(askedAtGap > 0 && copiedGaps >= askedAtGap, `gaps with every frame copied: ${copiedGaps}, ${askedAtGap} of them after a checkpoint asked at the gap (the WAL at most ${largest} frames, restarted ${restarts} times)`);
  t.equal((db.prepare('SELECT count(*) FROM t').pluck().get() as number), REQUESTS);
});

t.test('a stream of commits with no gap: SQLite\'s own checkpoint keeps the WAL bounded, the worker copying most', async (t) => {
  const { db, file, commit } = await walDb(t);
  const r = results();
  const checkpoints = new WalCheckpointer(db, { every: 16, onResult: r.onResult });
  t.teardown(() => checkpoints.close());
  const wal = walIndex(t, file);
  // SQLite's own checkpoint (1,000 frames, in the commit that reaches them) copies what the worker
  // left and the next commit restarts the WAL, unless a worker checkpoint in hand holds the lock
  // either needs (under load the worker may be slow to finish one): checked at the commits with none.
  const notCopied: string[] = [];
  const notRestarted: string[] = [];
  let largest = 0;
  let atLimit = 0;
  let restartDue = false;
  let last = wal();
  const commitAndCheck = (i: number): void => {
    const idle = !checkpoints.running;
    commit();
    checkpoints.committed();
    const now = wal();
    if (restartDue && idle && now.restarts === last.restarts) notRestarted.push(`commit ${i}: ${last.frames} frames all copied, then ${now.frames}`);
    restartDue = false;
    if (idle && now.frames >= 1000) {
      atLimit += 1;
      if (now.copied !== now.frames) notCopied.push(`commit ${i}: ${now.copied} of ${now.frames} frames copied`);
      restartDue = true;
    }
    last = now;
    largest = Math.max(largest, now.frames);
  };
  for (let i = 0; i < 1500; i++) {
    commitAndCheck(i);
    checkpoints.runIfDue();
    if (i % 4 === 3) await new Promise((resolve) => setImmediate(resolve));
  }
  t.ok(r.seen.length >= 10, `the worker checkpointed along (${r.seen.length} times)`);
  // Whether the stream met 1,000 frames with no worker checkpoint in hand depends on the worker's
  // speed; then with the worker idle (no checkpoint asked of it) it does, within ~300 commits.
  while (checkpoints.running) await sleep(1);
  const stream = atLimit;
  for (let i = 1500; i < 1900 && !(restartDue === false && atLimit > stream); i++) commitAndCheck(i);
  t.same(notCopied, [], 'a commit reaching 1,000 frames with no worker checkpoint in hand copied them all');
  t.same(notRestarted, [], 'and the next commit restarted the WAL');
  t.ok(atLimit > stream, `the WAL reached 1,000 frames with the worker idle ${stream} times in the stream, ${atLimit - stream} after it (at most ${largest} frames)`);
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
  while (checkpoints.running) await sleep(5);
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
  const script = join(dir, 'left-open.mjs'); // JavaScript: only the module under test is TypeScript
  const module = fileURLToPath(new URL('../../runtime/wal-checkpointer.ts', import.meta.url));
  writeFileSync(script, `
    import Database from ${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))};
    import { WalCheckpointer } from ${JSON.stringify(module)};
    const db = new Database(${JSON.stringify(join(dir, 'store.db'))});
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x)');
    // Up until the checkpoint is heard, however slow the worker is to start: then nothing but the
    // worker is left, and the process exits by itself.
    const heard = setTimeout(() => console.log('no checkpoint heard'), 15_000);
    const checkpoints = new WalCheckpointer(db, { every: 1, onResult: (r) => { console.log('checkpointed', r.settled); clearTimeout(heard); } });
    process.on('exit', () => console.log('done'));
    db.exec('INSERT INTO t VALUES (1)');
    checkpoints.committed();
    checkpoints.runIfDue();
  `);
  const out = execFileSync(process.execPath, ['--import', fileURLToPath(new URL('../helpers/compiled-ts.mjs', import.meta.url)), script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 20_000, encoding: 'utf8' });
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
  // A wait, not a bound: the idle timer fires once 200 ms passed, however late a loaded machine runs it.
  while (checkpoints.hasWorker && Date.now() - stopped < 30_000) await sleep(20);
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
