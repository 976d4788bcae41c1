// The till-wide offline policy through the POS socket, with a real mosquitto (stopped to go
// offline) and the reference host: besides the per-transaction floor limit, a total amount and
// a count of offline spends awaiting the host, and a maximum time without a connection — as
// payment terminals do (Square's offlineTotalStoredAmountLimit, Adyen's per-terminal count and
// amount limits, both declining offline payments after 24 h without a connection).
import t from 'tap';
import { startSystem, type System } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';
import type { PosClient } from '../helpers/pos-client.ts';

interface Offline {
  count: number;
  amounts: Array<{ amount: number; currency: string }>;
  since: string | null;
  link_confirmed_at: string | null;
  offline_age_s: number;
  limits: Record<string, number>;
}

const spend = (pos: PosClient, txn: string, customer: string, amount: number) =>
  pos.request('spend', { txn_id: txn, customer_id: customer, amount, currency: 'EUR' });

// Version 2: a spend is tied to its sale, so each sale is awarded (queued while offline) first.
const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };
async function sale(pos: PosClient, txn: string, customer: string) {
  t.match(await pos.request('award', { txn_id: txn, customer_id: customer, basket }), { ok: true }, `sale ${txn} awarded`);
}

async function status(pos: PosClient) {
  const r = await pos.request('status');
  if (!r.ok) throw new Error('status failed');
  return r.result as { uplink: { connected: boolean }; outbox: { pending: number }; offline: Offline };
}

/** A POS speaking protocol 2 (the specific decline codes); a v1 POS gets OFFLINE_SPEND_DECLINED. */
async function pos2(sys: System): Promise<PosClient> {
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  return pos;
}

async function identifyBoth(pos: PosClient) {
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000001' }), { ok: true }); // alice, 10.00
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000002' }), { ok: true }); // bob, 3.00
}

t.test('total amount and count of offline spends awaiting the host; status shows the exposure', async (t) => {
  const sys = await startSystem(t, { agent: { offline: { spend_floor_limit: 500, total_spend_limit: 1000, total_spend_count: 3 } } });
  await sys.waitOnline();
  const pos = await pos2(sys);
  const v1 = await sys.pos();
  await identifyBoth(pos);
  t.match((await status(pos)).offline, {
    count: 0, amounts: [], since: null, offline_age_s: 0, link_confirmed_at: /^\d{4}-/,
    limits: { spend_floor_limit: 500, total_spend_limit: 1000, total_spend_count: 3, max_age_s: 86_400 },
  }, 'online: no exposure, default max age 24 h');

  await sys.goOffline();
  for (const [txn, customer] of [['s1', 'alice'], ['s2', 'bob'], ['s3', 'alice'], ['s4', 'alice'], ['s5', 'alice']] as const) await sale(pos, txn, customer);
  t.match(await spend(pos, 's1', 'alice', 400), { ok: true, result: { status: 'queued', spent_amount: 400 } });
  t.match(await spend(pos, 's2', 'bob', 300), { ok: true, result: { status: 'queued', spent_amount: 300 } });
  // Within the floor limit and alice's balance, but 700 + 400 is above the till's total of 1000.
  t.match(await spend(pos, 's3', 'alice', 400), {
    ok: false, error: { code: 'OFFLINE_LIMIT_REACHED', retryable: true, message: /700 EUR spent offline .* offline\.total_spend_limit 1000/ },
  });
  t.match(await spend(v1, 's3', 'alice', 400), { ok: false, error: { code: 'OFFLINE_SPEND_DECLINED', retryable: false, message: /offline\.total_spend_limit 1000/ } },
    'a v1 POS gets the decline code it knows');
  t.match(await spend(pos, 's4', 'alice', 200), { ok: true, result: { spent_amount: 200 } }, '900: still within the total');
  t.match(await spend(pos, 's5', 'alice', 50), {
    ok: false, error: { code: 'OFFLINE_LIMIT_REACHED', message: /3 offline spends wait .*offline\.total_spend_count is 3/ },
  }, 'the fourth offline spend: above the count, though 950 is within the amount');
  t.match(await spend(pos, 's1', 'alice', 400), { ok: true, result: { status: 'queued', spent_amount: 400 } }, 'a repeat is not a new spend');
  const offline = (await status(pos)).offline;
  t.match(offline, { count: 3, amounts: [{ amount: 900, currency: 'EUR' }], since: /^\d{4}-/ });
  t.type(offline.offline_age_s, 'number');

  await sys.broker.restart();
  await waitFor(async () => (await status(pos)).outbox.pending === 0, { what: 'drained', timeout: 30_000 });
  t.match((await status(pos)).offline, { count: 0, amounts: [], since: null, offline_age_s: 0 }, 'confirmed by the host: no exposure');
  t.match(await spend(pos, 's5', 'alice', 50), { ok: true, result: { status: 'spent', offline: false } }, 'online again: the host decides');
});

t.test('offline spend is declined after offline.max_age_s without a connection, also after an agent restart', async (t) => {
  const sys = await startSystem(t, { agent: { offline: { spend_floor_limit: 500, max_age_s: 4 } } });
  await sys.waitOnline();
  let pos = await pos2(sys);
  await identifyBoth(pos);
  await sys.goOffline();
  for (const txn of ['a1', 'a2', 'a3']) await sale(pos, txn, 'alice');
  t.match(await spend(pos, 'a1', 'alice', 100), { ok: true, result: { status: 'queued', spent_amount: 100 } }, 'just offline: allowed');
  await waitFor(async () => (await status(pos)).offline.offline_age_s > 4, { what: 'offline longer than max_age_s', timeout: 20_000, interval: 200 });
  t.match(await spend(pos, 'a2', 'alice', 100), {
    ok: false, error: { code: 'OFFLINE_TOO_LONG', retryable: true, message: /no connection to the loyalty host for \d+ s \(offline\.max_age_s is 4\)/ },
  });
  t.match(await spend(pos, 'a1', 'alice', 100), { ok: true, result: { status: 'queued' } }, 'a repeat of an approved spend still answers');

  // A restart does not start the count again: the anchor is on disk, measured on the boot clock.
  await pos.close();
  await sys.agent.kill('SIGTERM');
  await sys.startAgent();
  pos = await pos2(sys);
  t.match(await spend(pos, 'a3', 'alice', 100), { ok: false, error: { code: 'OFFLINE_TOO_LONG' } }, 'still declined after the restart');
  t.match(await pos.request('award', { txn_id: 'a4', customer_id: 'alice', basket }), { ok: true, result: { status: 'queued' } }, 'awards are still queued');

  await sys.broker.restart();
  await waitFor(async () => (await status(pos)).outbox.pending === 0, { what: 'drained', timeout: 30_000 });
  t.equal((await status(pos)).offline.offline_age_s, 0);
  const online = await spend(pos, 'a3', 'alice', 100);
  t.match(online, { ok: true, result: { status: 'spent', offline: false } }, JSON.stringify(online));
});
