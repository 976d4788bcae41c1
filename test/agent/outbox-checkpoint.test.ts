// The outbox's own WAL checkpoint (checkpointIfDue): every CHECKPOINT_EVERY_COMMITS group commits,
// called by the forwarder once a request is on its way, so that SQLite's automatic checkpoint does
// not run inside the commit a POS is waiting for; the checkpoint itself runs in a worker thread
// (runtime/wal-checkpointer.ts), not on the event loop the answers wait for.
import t from 'tap';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { openDb, type Db } from '../../agent/storage/db.ts';
import { CHECKPOINT_EVERY_COMMITS, Outbox } from '../../agent/upstream/outbox.ts';
import { tempDir } from '../helpers/tmp.ts';
import { message } from './outbox-contract.ts';
import { waitFor } from '../helpers/wait.ts';

/** Notes every checkpoint the outbox's own connection runs. */
function spyCheckpoints(db: Db): string[] {
  const checkpoints: string[] = [];
  const pragma = db.pragma.bind(db);
  db.pragma = ((source: string, options?: Parameters<Db['pragma']>[1]) => {
    if (source.startsWith('wal_checkpoint')) checkpoints.push(source);
    return pragma(source, options);
  }) as Db['pragma'];
  return checkpoints;
}

t.test('checkpointIfDue hands a checkpoint to the worker every CHECKPOINT_EVERY_COMMITS group commits: the rows reach the database file, the outbox\'s connection never checkpoints', async (t) => {
  const file = join(await tempDir(t), 'agent.db');
  const db = openDb(file);
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  t.teardown(() => outbox.close());
  const checkpoints = spyCheckpoints(db);
  const size = () => statSync(file).size;

  for (let i = 1; i < CHECKPOINT_EVERY_COMMITS; i++) await outbox.append(message());
  const before = size();
  outbox.checkpointIfDue();
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(size(), before, `${CHECKPOINT_EVERY_COMMITS - 1} commits: the rows are still only in the WAL`);

  const last = message();
  await outbox.append(last);
  outbox.checkpointIfDue();
  await waitFor(() => size() > before, { what: 'the rows in the database file' });
  t.same(checkpoints, [], 'copied by the worker: the outbox\'s own connection ran no checkpoint');
  outbox.settle([{ id: last.id, ok: true, result: { award_amount: 1 } }]);
  t.equal(outbox.get(last.id)?.state, 'done', 'the outbox works on beside it');
});

t.test('without the worker, checkpointIfDue copies the WAL into the database file every CHECKPOINT_EVERY_COMMITS group commits, and only then', async (t) => {
  const file = join(await tempDir(t), 'agent.db');
  const db = openDb(file);
  t.teardown(() => db.close());
  const outbox = new Outbox(db, undefined, undefined, undefined, undefined, false);
  t.teardown(() => outbox.close());
  const checkpoints = spyCheckpoints(db);
  const size = () => statSync(file).size;

  outbox.checkpointIfDue();
  for (let i = 1; i < CHECKPOINT_EVERY_COMMITS; i++) await outbox.append(message());
  const before = size();
  outbox.checkpointIfDue();
  t.same(checkpoints, [], `${CHECKPOINT_EVERY_COMMITS - 1} commits: not yet`);
  t.equal(size(), before, 'the rows are still only in the WAL');

  const last = message();
  await outbox.append(last);
  outbox.checkpointIfDue();
  t.same(checkpoints, ['wal_checkpoint(PASSIVE)'], 'the next one: a passive checkpoint');
  t.ok(size() > before, 'the rows reached the database file');
  outbox.checkpointIfDue();
  t.equal(checkpoints.length, 1, 'and the count starts again');

  // Settles and attempt counts are not group commits: they do not bring the next one closer.
  outbox.markAttempt([last.id]);
  outbox.settle([{ id: last.id, ok: true, result: { award_amount: 1 } }]);
  outbox.checkpointIfDue();
  t.equal(checkpoints.length, 1);
  t.equal(outbox.get(last.id)?.state, 'done', 'the outbox works on after its checkpoint');
});

t.test('without the worker, no checkpoint while a group commit\'s fsync is in flight', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db, undefined, undefined, undefined, undefined, false);
  t.teardown(() => outbox.close());
  for (let i = 0; i < CHECKPOINT_EVERY_COMMITS; i++) await outbox.append(message());
  const checkpoints = spyCheckpoints(db);
  const appended = outbox.append(message());
  // Right after the commit (the outbox's setImmediate), before its fdatasync has called back.
  await new Promise((resolve) => setImmediate(resolve));
  outbox.checkpointIfDue();
  t.same(checkpoints, [], 'skipped during the fsync');
  await appended;
  outbox.checkpointIfDue();
  t.same(checkpoints, ['wal_checkpoint(PASSIVE)'], 'run once it is done');
});
