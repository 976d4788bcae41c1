// The ops the host's backend does not offer (agent/upstream/host-ops.ts): learnt from identify and
// preview answers, kept across restarts, replaced by each answer; a listed op is UNSUPPORTED before
// anything is committed.
import { join } from 'node:path';
import t from 'tap';
import { openDb } from '../../agent/storage/db.ts';
import { HostOps } from '../../agent/upstream/host-ops.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('learnt, kept across a restart, replaced by the next answer; knowing nothing refuses nothing', async (t) => {
  const file = join(await tempDir(t), 'agent.db');
  let db = openDb(file);
  const ops = new HostOps(db);
  ops.check('spend');
  ops.learn(['void', 'spend', 'refund']);
  t.throws(() => ops.check('spend'), { code: 'UNSUPPORTED', retryable: false, message: /spend is not offered.*nothing was committed/ });
  ops.check('award');
  db.close();
  db = openDb(file);
  t.teardown(() => db.close());
  const again = new HostOps(db);
  t.throws(() => again.check('spend'), { code: 'UNSUPPORTED' }, 'kept across a restart (the till may be offline then)');
  again.learn(undefined);
  again.check('spend');
  t.doesNotThrow(() => new HostOps(db).check('spend'), 'an answer without the list (the ledger backend) clears it, on disk too');
});
