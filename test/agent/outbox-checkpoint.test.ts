// The outbox's own WAL checkpoint (checkpointIfDue): every CHECKPOINT_EVERY_COMMITS group commits,
// called by the forwarder once a request is on its way, so that SQLite's automatic checkpoint does
// not run inside the commit a POS is waiting for.
import t from 'tap';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { openDb, type Db } from '../../agent/storage/db.ts';
import { CHECKPOINT_EVERY_COMMITS, Outbox } from '../../agent/upstream/outbox.ts';
import { tempDir } from '../helpers/tmp.ts';
import { message } from './outbox-contract.ts';

t.test('checkpointIfDue copies the WAL into the database file every CHECKPOINT_EVERY_COMMITS group commits, and only then', async (t) => {
  const file = join(await tempDir(t), 'agent.db');
  const db = openDb(file);
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  t.teardown(() => outbox.close());
  const checkpoints: string[] = [];
  const pragma = db.pragma.bind(db);
  db.pragma = ((source: string, options?: Parameters<Db['pragma']>[1]) => {
    if (source.startsWith('wal_checkpoint')) checkpoints.push(source);
    return pragma(source, options);
  }) as Db['pragma'];
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

t.test('no checkpoint while a group commit\'s fsync is in flight', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  t.teardown(() => outbox.close());
  for (let i = 0; i < CHECKPOINT_EVERY_COMMITS; i++) await outbox.append(message());
  const checkpoints: string[] = [];
  const pragma = db.pragma.bind(db);
  db.pragma = ((source: string, options?: Parameters<Db['pragma']>[1]) => {
    if (source.startsWith('wal_checkpoint')) checkpoints.push(source);
    return pragma(source, options);
  }) as Db['pragma'];
  const appended = outbox.append(message());
  // Right after the commit (the outbox's setImmediate), before its fdatasync has called back.
  await new Promise((resolve) => setImmediate(resolve));
  outbox.checkpointIfDue();
  t.same(checkpoints, [], 'skipped during the fsync');
  await appended;
  outbox.checkpointIfDue();
  t.same(checkpoints, ['wal_checkpoint(PASSIVE)'], 'run once it is done');
});
