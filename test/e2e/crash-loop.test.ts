// The crash loop (issue 7, "Proof"): a real agent process SIGKILLed at random points while
// several POS connections pipeline awards, restarted, again and again. Afterwards every
// acknowledged award is in the till's outbox and was applied exactly once by the host;
// nothing was applied twice, acknowledged or not. Reproduce a run with CRASH_LOOP_SEED;
// CRASH_LOOP_ITERATIONS sets the number of kills (default 10, the CI minimum).
import t from 'tap';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { connectPos, type PosClient } from '../helpers/pos-client.ts';
import { seeded } from '../helpers/random.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const ITERATIONS = Number(process.env.CRASH_LOOP_ITERATIONS ?? 10);
const CONNECTIONS = 3;
const WINDOW = 8; // requests in flight per connection
const SEED = Number(process.env.CRASH_LOOP_SEED ?? Math.floor(Math.random() * 2 ** 31));
const AMOUNT = 100; // 10% back: 10 per award

const awardParams = (txn_id: string) => ({ txn_id, customer_id: 'alice', basket: { currency: 'EUR', total: AMOUNT, items: [{ sku: 'COFFEE', qty: 1, unit_price: AMOUNT, amount: AMOUNT }] } });
const ACCEPTED = new Set(['awarded', 'queued']);

t.test(`SIGKILL at random points under pipelined load, ${ITERATIONS} times: nothing acknowledged lost, nothing applied twice`, async (t) => {
  t.comment(`CRASH_LOOP_SEED=${SEED}`);
  const rand = seeded(SEED);
  const sys = await startSystem(t, { agent: { log_level: 'info', uplink: { request_timeout_ms: 300 } } });
  await sys.waitOnline();
  const acked = new Set<string>();
  let everSent = 0;

  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    const killAfter = Math.floor(rand() * 60); // acknowledgements before the kill: 0 kills mid-first-batch
    const clients: PosClient[] = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectPos({ port: sys.agentPort })));
    const unacked = new Set<string>();
    let acks = 0;
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      sys.agent.child.kill('SIGKILL');
    };
    // Each connection keeps WINDOW awards in flight until the agent dies under it.
    const load = clients.map(async (pos, c) => {
      let n = 0;
      const next = async (): Promise<void> => {
        while (!killed && !pos.isClosed) {
          const txn = `L${iteration}-${c}-${n++}`;
          unacked.add(txn);
          everSent++;
          const r = await pos.request('award', awardParams(txn)).catch(() => null);
          if (r === null) return; // the connection died with the agent
          if (!(r.ok && ACCEPTED.has((r.result as { status: string }).status))) t.fail(`${txn}: ${JSON.stringify(r)}`);
          unacked.delete(txn);
          acked.add(txn);
          if (++acks >= killAfter) kill();
        }
      };
      await Promise.all(Array.from({ length: WINDOW }, next));
    });
    if (killAfter === 0) setImmediate(kill);
    await Promise.all(load);
    const exit = await sys.agent.exited;
    t.equal(exit.signal, 'SIGKILL', `iteration ${iteration}: killed after ${acks} acks (${unacked.size} in flight)`);
    await Promise.all(clients.map((c) => c.close()));

    const restart = Date.now();
    await sys.startAgent();
    t.comment(`restart took ${Date.now() - restart} ms`);
    // What got no answer, the POS repeats: it is accepted once, whether it was committed or not.
    const pos = await sys.pos();
    const repeats = await Promise.all([...unacked].map((txn) => pos.request('award', awardParams(txn)).then((r) => [txn, r] as const)));
    for (const [txn, r] of repeats) {
      if (!(r.ok && ACCEPTED.has((r.result as { status: string }).status))) t.fail(`repeat of ${txn}: ${JSON.stringify(r)}`);
      acked.add(txn);
    }
    await pos.close();
  }

  const pos = await sys.pos();
  await waitFor(async () => {
    const r = await pos.request('status');
    return r.ok && (r.result as { outbox: { pending: number } }).outbox.pending === 0;
  }, { what: 'the outbox drained', timeout: 60_000 });
  t.ok(acked.size >= ITERATIONS, `${acked.size} awards acknowledged of ${everSent} sent`);

  const till = new Database(join(sys.dir, 'agent-data', 'till-agent.db'), { readonly: true, fileMustExist: true });
  const host = new Database(sys.hostDb, { readonly: true, fileMustExist: true });
  t.teardown(() => { till.close(); host.close(); });
  const tillRows = till.prepare("SELECT txn_id, state, count(*) AS n FROM outbox WHERE op = 'award' GROUP BY txn_id").all() as Array<{ txn_id: string; state: string; n: number }>;
  const applied = host.prepare("SELECT txn_id, count(*) AS n FROM entries WHERE kind = 'award' AND terminal = 'M1/S1/T1' GROUP BY txn_id").all() as Array<{ txn_id: string; n: number }>;
  const inTill = new Map(tillRows.map((r) => [r.txn_id, r]));
  const atHost = new Map(applied.map((r) => [r.txn_id, r.n]));

  const missing = [...acked].filter((txn) => !inTill.has(txn));
  t.same(missing, [], 'every acknowledged award is in the outbox after the restarts');
  t.same(tillRows.filter((r) => r.n !== 1 || r.state !== 'done').map((r) => r.txn_id), [], 'one row each, all delivered');
  const notApplied = [...acked].filter((txn) => atHost.get(txn) !== 1);
  t.same(notApplied, [], 'every acknowledged award applied exactly once by the host');
  t.same(applied.filter((r) => r.n > 1).map((r) => r.txn_id), [], 'nothing applied twice');
  t.same(applied.filter((r) => !inTill.has(r.txn_id)).map((r) => r.txn_id), [], 'the host applied nothing the till does not know');
  const balance = (host.prepare("SELECT balance FROM wallets WHERE participant_id = 'alice'").get() as { balance: number }).balance;
  t.equal(balance, 1000 + (AMOUNT / 10) * applied.length, 'the wallet matches the awards applied');
});
