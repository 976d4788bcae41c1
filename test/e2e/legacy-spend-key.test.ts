// A named spend (protocol 2 spend_id) committed by a till before 2026-12-03 sits in the outbox under
// its hex key (protocol/digest-key.ts). The POS repeating that spend after the upgrade must get its
// first outcome, not a second spend under the new key. Real agent process, SQLite file, mosquitto, host.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import t from 'tap';
import { legacySpendKey, spendKey } from '../../protocol/upstream.ts';
import { startSystem } from '../helpers/system.ts';

const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000 }] };

t.test('a named spend committed under the old hex key is found by the POS repeat after the upgrade', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  let pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  t.match(await pos.request('award', { txn_id: 'old-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded' } });
  const spend = { txn_id: 'old-1', spend_id: 'a', customer_id: 'alice', amount: 100, currency: 'EUR' };
  const first = await pos.request('spend', spend);
  t.match(first, { ok: true, result: { spent_amount: 100 } });

  // As an older till wrote it: the same row under the hex key.
  sys.agent.child.kill('SIGTERM');
  await sys.agent.exited;
  const db = new Database(join(sys.dir, 'agent-data', 'till-agent.db'));
  const moved = db.prepare("UPDATE outbox SET txn_id = ? WHERE op = 'spend' AND txn_id = ?").run(legacySpendKey('old-1', 'a'), spendKey('old-1', 'a')).changes;
  db.close();
  t.equal(moved, 1, 'the spend row now carries the legacy key');

  await sys.startAgent();
  await sys.waitOnline();
  pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  const again = await pos.request('spend', spend);
  t.same(again.ok && again.result, first.ok && first.result, 'the repeat gets the first answer');
  const check = new Database(join(sys.dir, 'agent-data', 'till-agent.db'), { readonly: true });
  t.teardown(() => check.close());
  t.equal(check.prepare("SELECT count(*) FROM outbox WHERE op = 'spend'").pluck().get(), 1, 'one spend committed, not two');
});
