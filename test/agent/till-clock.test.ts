// Clock steps, simulated by injecting the wall and monotonic clocks into the real components on a
// real SQLite file: the trusted time, outbox pruning (a sale's rows kept while a repeat or a void
// needs them) and the customer cache (freshness, and balances that a clock stepped back must not
// freeze). test/e2e/clock-steps.test.ts does the same with the real process.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { CustomerCache } from '../../agent/customer-cache.ts';
import { openDb, type Db } from '../../agent/storage/db.ts';
import { createLogger } from '../../runtime/log.ts';
import { Outbox, type AppendInput } from '../../agent/upstream/outbox.ts';
import { TillClock } from '../../agent/till-clock.ts';
import { tempDir } from '../helpers/tmp.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-06-01T08:00:00Z');
const log = createLogger({ level: 'silent' });

/** A wall clock that can be stepped and a monotonic clock that cannot. */
function clocks(start = T0) {
  let wall = start;
  let mono = 1_000;
  return {
    wall: () => wall,
    monotonic: () => mono,
    pass(ms: number) { wall += ms; mono += ms; },
    step(ms: number) { wall += ms; },
  };
}

async function db(t: Test): Promise<{ file: string; db: Db }> {
  const file = join(await tempDir(t), 'till-agent.db');
  const handle = openDb(file);
  t.teardown(() => { if (handle.open) handle.close(); });
  return { file, db: handle };
}

const meta = (d: Db, key: string) => (d.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;

t.test('trusted time follows a sane wall clock', async (t) => {
  const { db: d } = await db(t);
  const c = clocks();
  const clock = new TillClock({ db: d, log, ...c });
  clock.start();
  t.teardown(() => clock.stop());
  t.equal(clock.now(), T0);
  c.pass(90_000);
  t.equal(clock.now(), T0 + 90_000);
  t.equal(clock.state, 'synced');
});

t.test('a step while running: trusted time keeps to the monotonic clock; the jump is recorded', async (t) => {
  const { db: d } = await db(t);
  const c = clocks();
  const clock = new TillClock({ db: d, log, ...c });
  clock.start();
  t.teardown(() => clock.stop());
  c.pass(60_000);
  c.step(40 * DAY);
  t.equal(clock.now(), T0 + 60_000, 'forward step ignored');
  t.equal(clock.state, 'jumped');
  t.match(JSON.parse(meta(d, 'clock_jump')!), { source: 'running', offset_ms: 40 * DAY });
  c.step(-41 * DAY);
  c.pass(1000);
  t.equal(clock.now(), T0 + 61_000, 'a step back does not move it back either');
  c.step(DAY);
  t.equal(clock.now(), T0 + 61_000, 'the wall clock agrees again');
  t.equal(clock.state, 'synced');
  t.equal(meta(d, 'clock_jump'), undefined, 'the mark is cleared');
});

t.test('restart with the wall clock 40 days ahead: trusted resumes from the saved time until the host answers', async (t) => {
  const { db: d } = await db(t);
  const c = clocks();
  const first = new TillClock({ db: d, log, ...c });
  first.start();
  c.pass(30_000);
  first.stop();
  c.step(40 * DAY);
  const clock = new TillClock({ db: d, log, ...c });
  clock.start();
  t.teardown(() => clock.stop());
  t.equal(clock.now(), T0 + 30_000);
  t.equal(clock.state, 'unconfirmed');
  clock.hostTime(T0 + 31_000);
  t.equal(clock.state, 'jumped', 'the host says the wall clock is wrong');
  t.equal(clock.now(), T0 + 31_000);
  t.match(JSON.parse(meta(d, 'clock_jump')!), { source: 'host', offset_ms: 40 * DAY - 1000 });
});

t.test('restart after days switched off: the host confirms the wall clock', async (t) => {
  const { db: d } = await db(t);
  const c = clocks();
  const first = new TillClock({ db: d, log, ...c });
  first.start();
  first.stop();
  c.pass(3 * DAY);
  const clock = new TillClock({ db: d, log, ...c });
  clock.start();
  t.teardown(() => clock.stop());
  t.equal(clock.now(), T0, 'not yet confirmed');
  clock.hostTime(c.wall() - 500);
  t.equal(clock.state, 'synced');
  t.equal(clock.now(), T0 + 3 * DAY);
});

t.test('restart with the wall clock behind the saved trusted time: a jump, time never goes back', async (t) => {
  const { db: d } = await db(t);
  const c = clocks();
  const first = new TillClock({ db: d, log, ...c });
  first.start();
  first.stop();
  c.step(-DAY);
  const clock = new TillClock({ db: d, log, ...c });
  clock.start();
  t.teardown(() => clock.stop());
  t.equal(clock.now(), T0);
  t.equal(clock.state, 'jumped');
  t.match(JSON.parse(meta(d, 'clock_jump')!), { source: 'start', offset_ms: -DAY });
});

function row(id: string, op: AppendInput['op'], txn: string, at: number): AppendInput {
  return { id, op, txn_id: txn, fingerprint: `f-${op}`, customer_id: 'alice', payload: {}, offline: false, amount: null, currency: 'EUR', created_at: new Date(at).toISOString() };
}

t.test('pruning goes by trusted time: a forward step at start prunes nothing', async (t) => {
  const { db: d } = await db(t);
  const c = clocks();
  const clock = new TillClock({ db: d, log, ...c });
  clock.start();
  const outbox = new Outbox(d, () => new Date(c.wall()), undefined, () => clock.date());
  await outbox.append(row('m1', 'award', 'sale-1', c.wall()));
  outbox.settle([{ id: 'm1', ok: true, result: {} }]);
  clock.stop();
  c.pass(60_000);
  c.step(40 * DAY);
  const restarted = new TillClock({ db: d, log, ...c });
  restarted.start();
  t.teardown(() => restarted.stop());
  t.equal(outbox.pruneDone(new Date(restarted.now() - 30 * DAY)), 0);
  t.ok(outbox.findByTxn('award', 'sale-1'), 'the void and a repeat still find the sale');
});

t.test('a sale is pruned only with all its rows, once all are delivered and old', async (t) => {
  const { db: d } = await db(t);
  let trusted = T0;
  const outbox = new Outbox(d, () => new Date(trusted), undefined, () => new Date(trusted));
  await outbox.append(row('a1', 'award', 'sale-1', trusted));
  outbox.settle([{ id: 'a1', ok: true, result: {} }]);
  await outbox.append(row('a2', 'award', 'sale-2', trusted));
  outbox.settle([{ id: 'a2', ok: true, result: {} }]);
  trusted += 25 * DAY;
  await outbox.append(row('v1', 'void', 'sale-1', trusted));
  outbox.settle([{ id: 'v1', ok: true, result: {} }]);
  await outbox.append(row('s2', 'spend', 'sale-2', trusted)); // pending: the host has not answered
  trusted += 10 * DAY;
  t.equal(outbox.pruneDone(new Date(trusted - 30 * DAY)), 0, 'sale-1 voided 10 days ago, sale-2 still has a pending spend');
  t.equal(outbox.forTxn('sale-1').length, 2);
  outbox.settle([{ id: 's2', ok: true, result: {} }]);
  trusted += 40 * DAY;
  t.equal(outbox.pruneDone(new Date(trusted - 30 * DAY)), 4, 'both sales, every row, once all are old');
});

t.test("a sale's named spends, refunds, redemptions and their reinstates are pruned with the sale, not apart", async (t) => {
  const { db: d } = await db(t);
  let trusted = T0;
  const outbox = new Outbox(d, () => new Date(trusted), undefined, () => new Date(trusted));
  const done = async (input: AppendInput) => {
    await outbox.append(input);
    outbox.settle([{ id: input.id, ok: true, result: {} }]);
  };
  await done(row('a1', 'award', 'sale-1', trusted));
  await done({ ...row('n1', 'spend', 'sp-named-1', trusted), payload: { sale_txn_id: 'sale-1', spend_id: 'a' } });
  await done({ ...row('r1', 'refund', 'ret-1', trusted), payload: { sale_txn_id: 'sale-1' } });
  await done(row('a2', 'award', 'sale-2', trusted));
  await done({ ...row('x2', 'redeem', 'redemption-2', trusted), payload: { txn_id: 'sale-2' } });
  await done(row('a3', 'award', 'sale-3', trusted));
  trusted += 25 * DAY;
  await done(row('v1', 'void', 'sale-1', trusted)); // sale-1 is voided late: all of it stays for now
  await done({ ...row('i2', 'reinstate', 'redemption-2', trusted), payload: {} }); // so does sale-2's
  trusted += 10 * DAY;
  t.equal(outbox.pruneDone(new Date(trusted - 30 * DAY)), 1, 'only sale-3, whose rows are all old');
  t.ok(outbox.get('n1') && outbox.get('r1'), "sale-1's named spend and refund stay with its award");
  t.ok(outbox.get('a2') && outbox.get('x2'), "sale-2's award and redemption stay with the redemption's reinstate");
  t.equal(outbox.get('a3'), undefined);
  trusted += 40 * DAY;
  t.equal(outbox.pruneDone(new Date(trusted - 30 * DAY)), 7, 'then every row of both sales');
});

t.test('cached customers: freshness and pruning in trusted time', async (t) => {
  const { db: d } = await db(t);
  const c = clocks();
  const clock = new TillClock({ db: d, log, ...c });
  clock.start();
  t.teardown(() => clock.stop());
  const cache = new CustomerCache(d, () => clock.date());
  cache.remember('card', '6006490000000001', { id: 'alice', name: 'Alice', balance: { amount: 1000, currency: 'EUR' } }, new Date(c.wall()).toISOString());
  c.pass(60_000);
  c.step(40 * DAY);
  cache.prune(30);
  t.match(cache.lookup('card', '6006490000000001', 30), { customer: { id: 'alice' } }, 'still fresh: 1 minute old, not 40 days');
});

t.test('a clock stepped back does not freeze the cached balance', async (t) => {
  const { db: d } = await db(t);
  const cache = new CustomerCache(d, () => new Date(T0));
  cache.remember('card', '6006490000000001', { id: 'alice', name: 'Alice', balance: { amount: 1000, currency: 'EUR' } }, new Date(T0).toISOString());
  // The host answers a spend of everything; the wall clock has just been stepped back a day.
  cache.updateBalance('alice', { amount: 0, currency: 'EUR' }, new Date(T0 - DAY).toISOString());
  t.equal(cache.get('alice')!.customer.balance.amount, 0, 'an offline spend now sees nothing left');
});

t.test('nor does it freeze the balances of a settled batch', async (t) => {
  const { db: d } = await db(t);
  const cache = new CustomerCache(d, () => new Date(T0));
  cache.remember('card', '6006490000000001', { id: 'alice', name: 'Alice', balance: { amount: 1000, currency: 'EUR' } }, new Date(T0).toISOString());
  cache.updateBalances([{ customerId: 'alice', balance: { amount: 0, currency: 'EUR' }, asOf: new Date(T0 - DAY).toISOString() }]);
  t.equal(cache.get('alice')!.customer.balance.amount, 0);
});
