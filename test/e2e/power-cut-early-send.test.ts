// An online award is sent while its local fsync runs (agent/ops/outcome.ts, EARLY_OPS). A power
// cut in that window can take the row back after the host applied it: the POS was never answered
// and repeats the award. Simulated here on real processes: the agent is SIGKILLed and its outbox
// row deleted, sqlite_sequence included (the lost transaction), so the next row reuses its seq.
import t from 'tap';
import { join } from 'node:path';
import { connectPos } from '../helpers/pos-client.ts';
import { startSystem } from '../helpers/system.ts';

const basket = (total: number) => ({ currency: 'EUR', total, items: [{ sku: 'COFFEE', qty: 1, unit_price: total, amount: total }] });

t.test('a repeat after the local row was lost gets the host\'s stored answer; applied once; the chain goes on', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  const first = await pos.request('award', { txn_id: 'cut-1', customer_id: 'alice', basket: basket(2000) });
  t.match(first, { ok: true, result: { status: 'awarded', award_amount: 200, balance: { amount: 1200 } } });

  sys.agent.child.kill('SIGKILL');
  await sys.agent.exited;
  const Database = (await import('better-sqlite3')).default;
  const agentDb = new Database(join(sys.dir, 'agent-data', 'till-agent.db'));
  const lost = agentDb.prepare(`SELECT seq FROM outbox WHERE txn_id = 'cut-1'`).get() as { seq: number };
  agentDb.prepare(`DELETE FROM outbox WHERE txn_id = 'cut-1'`).run();
  agentDb.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox'`).run(lost.seq - 1);
  agentDb.close();

  await sys.startAgent();
  await sys.waitOnline();
  const again = await connectPos({ port: sys.agentPort });
  t.teardown(() => again.close());
  const retry = await again.request('award', { txn_id: 'cut-1', customer_id: 'alice', basket: basket(2000) });
  t.match(retry, { ok: true, result: { status: 'awarded', txn_id: 'cut-1', award_amount: 200, balance: { amount: 1200 } } },
    'the host answers the repeat from its (till, op, txn_id) dedup');
  const next = await again.request('award', { txn_id: 'cut-2', customer_id: 'alice', basket: basket(1000) });
  t.match(next, { ok: true, result: { status: 'awarded', award_amount: 100, balance: { amount: 1300 } } },
    'the next award, on a reused seq, is applied in order');

  const host = new Database(sys.hostDb, { readonly: true, fileMustExist: true });
  t.teardown(() => host.close());
  const applied = host.prepare(`SELECT txn_id, count(*) AS n FROM entries WHERE kind = 'award' AND terminal = 'M1/S1/T1' GROUP BY txn_id ORDER BY txn_id`).all();
  t.same(applied, [{ txn_id: 'cut-1', n: 1 }, { txn_id: 'cut-2', n: 1 }], 'each award applied once');
  const reused = new Database(join(sys.dir, 'agent-data', 'till-agent.db'), { readonly: true });
  t.teardown(() => reused.close());
  t.equal((reused.prepare(`SELECT seq FROM outbox WHERE txn_id = 'cut-1'`).get() as { seq: number }).seq, lost.seq, 'the repeat took the lost row\'s seq');
});
