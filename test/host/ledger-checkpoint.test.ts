// The SQLite store's checkpoint between requests (afterRequest, called by the consumer once a
// reply is on its way): every CHECKPOINT_EVERY_COMMITS commits, so that SQLite's automatic
// checkpoint does not run inside the commit of a request a till is waiting for; the checkpoint
// itself runs in a worker thread (runtime/wal-checkpointer.ts), not on the event loop the next
// request waits for.
import t from 'tap';
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_EVERY_COMMITS, Ledger } from '../../host/ledger.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('afterRequest hands a checkpoint to the worker every CHECKPOINT_EVERY_COMMITS commits: the ledger\'s connection never checkpoints', async (t) => {
  const file = join(await tempDir(t, 'till-host-'), 'ledger.db');
  const ledger = Ledger.open(file);
  t.teardown(() => ledger.close());
  // Every checkpoint run on this thread (the worker's connection lives in its own thread).
  const inline: string[] = [];
  const pragma = Database.prototype.pragma;
  Database.prototype.pragma = function (this: Database.Database, source: string, options?: Parameters<Database.Database['pragma']>[1]) {
    if (source.includes('wal_checkpoint')) inline.push(source);
    return pragma.call(this, source, options);
  } as Database.Database['pragma'];
  t.teardown(() => { Database.prototype.pragma = pragma; });
  const size = () => statSync(file).size;
  const commit = (i: number) => ledger.immediate(() =>
    ledger.recordProcessed({ message_id: `m-${i}`, terminal: 'M1/S1/T1', op: 'award', txn_id: `txn-${i}`, result: { n: i } }));

  ledger.afterRequest();
  for (let i = 1; i < CHECKPOINT_EVERY_COMMITS; i++) commit(i);
  const before = size();
  ledger.afterRequest();
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(size(), before, `${CHECKPOINT_EVERY_COMMITS - 1} commits: all still in the WAL`);
  commit(CHECKPOINT_EVERY_COMMITS);
  ledger.afterRequest();
  await waitFor(() => size() > before, { what: 'the commits in the database file' });
  t.same(inline, [], 'copied by the worker: no checkpoint on the ledger\'s connection');
  commit(CHECKPOINT_EVERY_COMMITS + 1);
  t.same(ledger.processedFor('M1/S1/T1', `m-${CHECKPOINT_EVERY_COMMITS + 1}`, 'award', `txn-${CHECKPOINT_EVERY_COMMITS + 1}`)?.result,
    { n: CHECKPOINT_EVERY_COMMITS + 1 }, 'the ledger reads on as before');
});

t.test('close() with a checkpoint in hand: the ledger\'s close is the last and removes the WAL', async (t) => {
  const file = join(await tempDir(t, 'till-host-'), 'ledger.db');
  const ledger = Ledger.open(file);
  for (let i = 1; i <= CHECKPOINT_EVERY_COMMITS; i++) {
    ledger.immediate(() => ledger.recordProcessed({ message_id: `m-${i}`, terminal: 'M1/S1/T1', op: 'award', txn_id: `txn-${i}`, result: { n: i } }));
  }
  ledger.afterRequest();
  ledger.close();
  t.throws(() => statSync(`${file}-wal`), { code: 'ENOENT' }, 'no WAL left: the worker\'s connection closed first');
  const again = Ledger.open(file);
  t.ok(again.processedFor('M1/S1/T1', `m-${CHECKPOINT_EVERY_COMMITS}`, 'award', `txn-${CHECKPOINT_EVERY_COMMITS}`), 'every commit kept');
  again.close();
});
