// A full disk, for real: the agent's data dir is a small tmpfs mounted on the test's own temp
// dir (needs root, as the suite runs in CI), filled to the last byte by a file. Real mosquitto,
// real host and agent processes. The agent must stay up, refuse money ops with STORAGE_FULL,
// keep serving identify/preview/status, say so once, and deliver everything once space is back.
import t from 'tap';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { cli } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import type { PosClient } from '../helpers/pos-client.ts';
import type { Proc } from '../helpers/processes.ts';
import { startSystem, type System } from '../helpers/system.ts';
import { fillDisk, freeDisk, mountTmpfs } from '../helpers/tmpfs.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const CARD = '6006490000000001';
const basket = (total: number) => ({ currency: 'EUR', total, items: [{ sku: 'COFFEE', qty: 1, unit_price: total, amount: total }] });

interface Status {
  uplink: { connected: boolean };
  outbox: { pending: number; dead: number };
  storage: { state: string; since: string | null; free_bytes: number | null; last_error: string | null };
}

async function statusOf(pos: PosClient): Promise<Status> {
  const r = await pos.request('status');
  if (!r.ok) throw new Error(`status failed: ${JSON.stringify(r.error)}`);
  return r.result as Status;
}

async function hostBalance(pos: PosClient): Promise<number> {
  const r = await pos.request('identify', { by: 'card', value: CARD });
  if (!r.ok) throw new Error(`identify failed: ${JSON.stringify(r.error)}`);
  return (r.result as { customer: { balance: { amount: number } } }).customer.balance.amount;
}

/** How many times the host applied each award txn. */
function appliedAwards(sys: System): Map<string, number> {
  const db = new Database(sys.hostDb, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(`SELECT txn_id, count(*) AS n FROM processed WHERE op = 'award' GROUP BY txn_id`).all() as Array<{ txn_id: string; n: number }>;
    return new Map(rows.map((r) => [r.txn_id, r.n]));
  } finally {
    db.close();
  }
}

function logCount(agent: Proc, msg: string): number {
  return agent.lines().filter((l) => l.msg === msg).length;
}

async function smallDataDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  // 4 MB: room for the database and its WAL; the filler takes the rest.
  return mountTmpfs(t, join(await tempDir(t), 'data'), '4m');
}

t.test('link up: the disk fills while selling; the agent stays up, serves, and recovers by itself', async (t) => {
  const data = await smallDataDir(t);
  const metricsPort = await freePort();
  const sys = await startSystem(t, { agent: { data_dir: data, metrics: { listen: `127.0.0.1:${metricsPort}` } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.equal(await hostBalance(pos), 1000);
  t.match(await pos.request('award', { txn_id: 'before', customer_id: 'alice', basket: basket(100) }), { ok: true, result: { status: 'awarded' } });
  t.equal((await statusOf(pos)).storage.state, 'ok');

  const fill = await fillDisk(data);
  // Some commits may still fit in space SQLite already holds; every one acknowledged counts.
  const acked = ['before'];
  let refused;
  for (let i = 0; i < 300 && !refused; i++) {
    const r = await pos.request('award', { txn_id: `full-${i}`, customer_id: 'alice', basket: basket(100) });
    if (r.ok) acked.push(`full-${i}`);
    else refused = r;
  }
  t.match(refused, { ok: false, error: { code: 'STORAGE_FULL', retryable: true } }, 'money ops get STORAGE_FULL');

  const full = await statusOf(pos);
  t.match(full.storage, { state: 'full', since: String, last_error: /full/i }, 'status shows the disk state');
  t.match(await pos.request('identify', { by: 'card', value: CARD }), { ok: true, result: { stale: false, customer: { id: 'alice' } } }, 'identify still works');
  t.match(await pos.request('preview', { customer_id: 'alice', basket: basket(100) }), { ok: true, result: { award_amount: 10 } }, 'preview still works');
  t.match(await pos.request('spend', { txn_id: 'spend-full', customer_id: 'alice', amount: 10, currency: 'EUR' }), { ok: false, error: { code: 'STORAGE_FULL' } });
  t.match(await pos.request('void', { txn_id: 'before' }), { ok: false, error: { code: 'STORAGE_FULL' } });
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  t.match(metrics, /till_storage_full 1/);
  t.match(await pos.request('award', { txn_id: 'before', customer_id: 'alice', basket: basket(100) }), { ok: true, result: { status: 'awarded' } },
    'a repeat of an award committed before still gets its outcome');
  const doctor = await cli('doctor', '--config', sys.agentConfig, '--timeout-ms', '2000');
  t.match(doctor.out, /✖ data dir\s+.*disk is full/, 'doctor: data dir ✖ (disk full)');
  t.equal(sys.agent.child.exitCode, null, 'the agent is still running');

  await freeDisk(fill);
  await waitFor(async () => {
    const s = await statusOf(pos);
    return s.storage.state === 'ok' && s.outbox.pending === 0;
  }, { what: 'storage ok and outbox drained', timeout: 30_000 });
  t.match(await pos.request('award', { txn_id: 'after', customer_id: 'alice', basket: basket(100) }), { ok: true, result: { status: 'awarded' } });
  acked.push('after');
  t.equal(await hostBalance(pos), 1000 + 10 * acked.length, 'every acknowledged award applied');
  const applied = appliedAwards(sys);
  t.same([...applied.keys()].sort(), [...acked].sort(), 'exactly the acknowledged awards reached the host');
  t.ok([...applied.values()].every((n) => n === 1), 'each once');
  t.equal(logCount(sys.agent, 'storage full: writes are failing'), 1, 'the full disk is logged once');
  t.equal(logCount(sys.agent, 'storage ok: writes succeed again'), 1, 'and its end once');
  t.match(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(), /till_storage_full 0/);
});

t.test('link down: restarted on a full disk, the agent starts, serves what it can, delivers once space is back', async (t) => {
  const data = await smallDataDir(t);
  const sys = await startSystem(t, { agent: { data_dir: data } });
  await sys.waitOnline();
  let pos = await sys.pos();
  t.equal(await hostBalance(pos), 1000, 'alice is in the till cache');
  await sys.broker.kill();
  await waitFor(async () => !(await statusOf(pos)).uplink.connected, { what: 'uplink offline' });
  for (const txn of ['off-1', 'off-2']) {
    t.match(await pos.request('award', { txn_id: txn, customer_id: 'alice', basket: basket(100) }), { ok: true, result: { status: 'queued' } });
  }
  // At most the 1.00 still to pay on the sale (LOCAL.md "Spend is tied to its sale").
  t.match(await pos.request('spend', { txn_id: 'off-1', customer_id: 'alice', amount: 300, currency: 'EUR' }), { ok: true, result: { status: 'queued', offline: true, spent_amount: 100 } });

  // A clean stop removes the WAL and its shared-memory file: reopening needs disk space.
  await pos.close();
  t.match(await sys.agent.kill('SIGTERM'), { code: 0 });
  const fill = await fillDisk(data);
  await sys.startAgent();
  pos = await sys.pos();
  const s = await statusOf(pos);
  t.match(s, { storage: { state: 'full' }, outbox: { pending: 3 }, uplink: { connected: false } });
  t.match(await pos.request('identify', { by: 'card', value: CARD }), { ok: true, result: { stale: true, customer: { balance: { amount: 1000 } } } }, 'identify from the cache');
  t.match(await pos.request('award', { txn_id: 'off-3', customer_id: 'alice', basket: basket(100) }), { ok: false, error: { code: 'STORAGE_FULL' } });
  t.match(await pos.request('outbox.list', { state: 'pending' }), { ok: true, result: { pending: 3 } });
  // doctor waits out SQLite's busy timeout on each read of the database the agent holds (about
  // 20 s in all): it runs while the link comes back, and is read before any space is freed.
  const doctorRun = cli('doctor', '--config', sys.agentConfig, '--timeout-ms', '1000');

  // The link comes back while the disk is still full: the host gets the messages, the till
  // cannot record the answers yet and keeps them pending.
  await sys.broker.restart();
  await sys.waitOnline();
  await waitFor(async () => (await hostBalance(pos)) === 1000 + 20 - 100, { what: 'host applied the queued messages', timeout: 20_000 });
  t.equal(sys.agent.child.exitCode, null, 'the agent is still running');
  const doctor = await doctorRun;
  t.match(doctor.out, /✖ data dir\s+.*disk is full/, 'doctor: data dir ✖ (disk full)');
  t.match(doctor.out, /✖ database\s+.*in use by the running agent/, 'doctor: database ✖ (held exclusively)');

  await freeDisk(fill);
  await waitFor(async () => {
    const st = await statusOf(pos);
    return st.storage.state === 'ok' && st.outbox.pending === 0;
  }, { what: 'storage ok and outbox drained', timeout: 30_000 });
  t.equal(await hostBalance(pos), 1000 + 20 - 100, 'applied once');
  t.same(Object.fromEntries(appliedAwards(sys)), { 'off-1': 1, 'off-2': 1 });
  t.match(await pos.request('award', { txn_id: 'off-3', customer_id: 'alice', basket: basket(100) }), { ok: true, result: { status: 'awarded' } }, 'money ops work again');
});

t.test('link up, messages waiting for a silent host: resending on a full disk never stops the agent', async (t) => {
  const data = await smallDataDir(t);
  const sys = await startSystem(t, { startHost: false, agent: { data_dir: data, uplink: { request_timeout_ms: 300 } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  for (const txn of ['wait-1', 'wait-2']) {
    t.match(await pos.request('award', { txn_id: txn, customer_id: 'alice', basket: basket(100) }), { ok: true, result: { status: 'queued' } });
  }
  // The forwarder keeps resending; each attempt is counted on disk (today: SQLITE_FULL, outside its try).
  const fill = await fillDisk(data);
  await waitFor(() => {
    const lines = sys.agent.lines();
    const full = lines.findIndex((l) => l.msg === 'storage full: writes are failing');
    return full >= 0 && lines.slice(full + 1).some((l) => l.msg === 'outbox delivery failed; will resend');
  }, { what: 'storage full logged, then a resend', timeout: 15_000 });
  t.equal(sys.agent.child.exitCode, null, 'the agent is still running');
  t.match(await statusOf(pos), { storage: { state: 'full' }, outbox: { pending: 2 } });

  await sys.startHost();
  await waitFor(async () => (await hostBalance(pos)) === 1020, { what: 'host applied both awards', timeout: 20_000 });
  await freeDisk(fill);
  await waitFor(async () => (await statusOf(pos)).outbox.pending === 0, { what: 'outbox drained', timeout: 30_000 });
  t.same(Object.fromEntries(appliedAwards(sys)), { 'wait-1': 1, 'wait-2': 1 }, 'applied once each');
  t.equal(await hostBalance(pos), 1020);
});
