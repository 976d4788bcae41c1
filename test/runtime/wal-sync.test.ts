// runtime/wal-sync.ts against a real SQLite file in WAL mode: a WAL that cannot be opened again after
// it was replaced is an error handed to the waiters (syncNow's callback, durable()'s rejection), never
// an exception thrown into the caller's commit path, which would leave its POS requests unanswered.
import t from 'tap';
import Database from 'better-sqlite3';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { WalSync } from '../../runtime/wal-sync.ts';
import { tempDir } from '../helpers/tmp.ts';

async function walDb(t: Parameters<typeof tempDir>[0]) {
  const file = join(await tempDir(t, 'till-wal-sync-'), 'x.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE x (v INTEGER)');
  return { db, file };
}

t.test('syncNow syncs the live WAL and reports success', async (t) => {
  const { db } = await walDb(t);
  const wal = new WalSync(db);
  t.ok(wal.enabled);
  db.prepare('INSERT INTO x VALUES (1)').run();
  const error = await new Promise((resolve) => wal.syncNow(resolve));
  t.equal(error, null);
  await wal.durable();
  wal.close();
  db.close();
});

t.test('a WAL that cannot be opened again: syncNow calls back with the error instead of throwing', async (t) => {
  const { db, file } = await walDb(t);
  const calls: number[] = [];
  const wal = new WalSync(db, (fd, callback) => { calls.push(fd); callback(null); });
  // The WAL is replaced (nlink 0) and the connection is gone, so reopening it fails.
  unlinkSync(`${file}-wal`);
  db.close();
  let thrown: unknown;
  let reported: unknown = 'not called';
  try {
    wal.syncNow((error) => { reported = error; });
  } catch (error) {
    thrown = error;
  }
  t.equal(thrown, undefined, 'nothing thrown');
  t.type(reported, Error, 'the callback got the error');
  t.same(calls, [], 'no sync of a stale descriptor');
});

t.test('the same failure rejects durable(), and every later durable()', async (t) => {
  const { db, file } = await walDb(t);
  const wal = new WalSync(db, (_fd, callback) => callback(null));
  unlinkSync(`${file}-wal`);
  db.close();
  await t.rejects(wal.durable());
  await t.rejects(wal.durable(), 'failed for good: only a restart reads the WAL back');
  t.type(wal.failed, Error);
});

t.test('durableNow syncs on the caller\'s thread when no sync is in flight, and defers to one that is', async (t) => {
  const { db } = await walDb(t);
  const held: Array<(error: NodeJS.ErrnoException | null) => void> = [];
  const now: number[] = [];
  const wal = new WalSync(db, (_fd, callback) => { held.push(callback); }, (fd) => { now.push(fd); });
  db.prepare('INSERT INTO x VALUES (1)').run();
  t.equal(wal.durableNow(), true, 'synced here');
  t.equal(now.length, 1, 'one fdatasync on this thread');
  t.equal(held.length, 0, 'none on the thread pool');

  const durable = wal.durable();
  t.equal(held.length, 1, 'a durable() sync is in flight');
  t.equal(wal.durableNow(), false, 'durableNow leaves it to that group (the caller awaits durable())');
  t.equal(now.length, 1, 'and does not sync');
  held[0]!(null);
  await durable;
  t.equal(wal.durableNow(), true, 'idle again: synced here');
  t.equal(now.length, 2);
  wal.close();
  db.close();
});

t.test('a failed durableNow fails it and durable() for good', async (t) => {
  const { db } = await walDb(t);
  const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  let tries = 0;
  const wal = new WalSync(db, (_fd, callback) => callback(null), () => { tries++; throw eio; });
  t.throws(() => wal.durableNow(), eio);
  t.throws(() => wal.durableNow(), eio, 'again, without trying the disk: a later sync proves nothing');
  t.equal(tries, 1);
  await t.rejects(wal.durable(), eio);
  t.equal(wal.failed, eio);
  wal.close();
  db.close();
});
