// The SQLite store's checkpoint between requests (afterRequest, called by the consumer once a
// reply is on its way): every CHECKPOINT_EVERY_COMMITS commits, so that SQLite's automatic
// checkpoint does not run inside the commit of a request a till is waiting for.
import t from 'tap';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_EVERY_COMMITS, Ledger } from '../../host/ledger.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('afterRequest checkpoints every CHECKPOINT_EVERY_COMMITS commits, and only then', async (t) => {
  const file = join(await tempDir(t, 'till-host-'), 'ledger.db');
  const ledger = Ledger.open(file);
  t.teardown(() => ledger.close());
  const size = () => statSync(file).size;
  const commit = (i: number) => ledger.immediate(() =>
    ledger.recordProcessed({ message_id: `m-${i}`, terminal: 'M1/S1/T1', op: 'award', txn_id: `txn-${i}`, result: { n: i } }));

  ledger.afterRequest();
  for (let i = 1; i < CHECKPOINT_EVERY_COMMITS; i++) commit(i);
  const before = size();
  ledger.afterRequest();
  t.equal(size(), before, `${CHECKPOINT_EVERY_COMMITS - 1} commits: all still in the WAL`);
  commit(CHECKPOINT_EVERY_COMMITS);
  ledger.afterRequest();
  const after = size();
  t.ok(after > before, 'one more: copied into the database file');
  commit(CHECKPOINT_EVERY_COMMITS + 1);
  ledger.afterRequest();
  t.equal(size(), after, 'and the count starts again');
  t.same(ledger.processedFor('M1/S1/T1', `m-${CHECKPOINT_EVERY_COMMITS + 1}`, 'award', `txn-${CHECKPOINT_EVERY_COMMITS + 1}`)?.result,
    { n: CHECKPOINT_EVERY_COMMITS + 1 }, 'the ledger reads on as before');
});
