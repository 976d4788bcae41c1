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

t.test('the host currencies are kept the same way (agent/storage/meta-strings.ts); an unreadable value is relearnt', async (t) => {
  const { HostCurrencies } = await import('../../agent/upstream/host-currencies.ts');
  const file = join(await tempDir(t), 'agent.db');
  let db = openDb(file);
  const currencies = new HostCurrencies(db, []);
  t.equal(currencies.accepted(), undefined, 'knowing nothing');
  currencies.learn(['GBP', 'EUR', 'EUR']);
  db.close();
  db = openDb(file);
  t.teardown(() => db.close());
  t.same(new HostCurrencies(db, []).accepted(), ['EUR', 'GBP'], 'kept across a restart, sorted once');
  t.throws(() => new HostCurrencies(db, []).check('USD'), { code: 'BAD_REQUEST', message: /USD is not a currency the loyalty host accepts \(EUR, GBP\)/ });
  db.prepare("UPDATE meta SET value = '{not json' WHERE key = 'host_currencies'").run();
  db.prepare("INSERT INTO meta (key, value) VALUES ('host_unsupported_ops', '[1, 2]') ON CONFLICT (key) DO UPDATE SET value = excluded.value").run();
  t.equal(new HostCurrencies(db, []).accepted(), undefined, 'unreadable: relearnt from the next answer');
  t.doesNotThrow(() => new HostOps(db).check('spend'), 'not a list of strings: nothing refused');
});
