// The shop keeps selling while the uplink is down: queued awards and voids, offline
// spends within the floor limit, identify from the cache, then an exact replay.
import t from 'tap';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';
import type { PosClient } from '../helpers/pos-client.ts';

const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000 }] };
const spend = (pos: PosClient, txn: string, amount: number) =>
  pos.request('spend', { txn_id: txn, customer_id: 'alice', amount, currency: 'EUR' });

async function statusOf(pos: PosClient) {
  const r = await pos.request('status');
  if (!r.ok) throw new Error('status failed');
  return r.result as { uplink: { connected: boolean }; outbox: { pending: number; dead: number; oldest_age_s: number | null } };
}

t.test('offline: queue, floor limit, cache, then drain exactly once', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000001' }), { ok: true, result: { stale: false } });

  await sys.broker.kill();
  await waitFor(async () => !(await statusOf(pos)).uplink.connected, { what: 'uplink offline' });

  const cached = await pos.request('identify', { by: 'card', value: '6006490000000001' });
  t.match(cached, { ok: true, result: { customer: { id: 'alice', balance: { amount: 1000 } }, stale: true } });
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000002' }), { ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', retryable: true } });
  t.match(await pos.request('preview', { customer_id: 'alice', basket }), { ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', retryable: true } });

  t.match(await pos.request('award', { txn_id: 'sale-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'queued', txn_id: 'sale-1' } });
  t.match(await spend(pos, 'sale-1', 400), { ok: true, result: { status: 'queued', spent_amount: 400, offline: true, balance: { amount: 600 } } });
  t.match(await spend(pos, 'sale-2', 600), { ok: false, error: { code: 'OFFLINE_SPEND_DECLINED', message: /floor limit 500/ } });
  t.match(await spend(pos, 'sale-2', 500), { ok: true, result: { status: 'queued', spent_amount: 500 } });
  t.match(await spend(pos, 'sale-3', 500), { ok: true, result: { status: 'queued', spent_amount: 100 } }, 'only what is left of the known balance');
  t.match(await spend(pos, 'sale-4', 100), { ok: false, error: { code: 'OFFLINE_SPEND_DECLINED', message: /no balance left/ } });
  t.match(await spend(pos, 'sale-1', 400), { ok: true, result: { status: 'queued', spent_amount: 400 } }, 'replay gives the first outcome');
  t.match(await pos.request('void', { txn_id: 'sale-1' }), { ok: true, result: { status: 'queued' } });

  const offline = await statusOf(pos);
  t.equal(offline.outbox.pending, 5);
  t.type(offline.outbox.oldest_age_s, 'number');

  await sys.broker.restart();
  await waitFor(async () => (await statusOf(pos)).outbox.pending === 0, { what: 'outbox drained', timeout: 20_000 });
  // 1000 + 200 award - 400 - 500 - 100 offline spends, then the void gives back sale-1's 400 and takes its 200.
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000001' }), { ok: true, result: { customer: { balance: { amount: 400 } }, stale: false } });
  t.match(await pos.request('award', { txn_id: 'sale-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded', award_amount: 200 } }, 'replay after delivery: awarded');
  t.match(await spend(pos, 'sale-2', 500), { ok: true, result: { status: 'spent', spent_amount: 500, offline: true } });
});

t.test('floor limit 0 disables offline spend', async (t) => {
  const sys = await startSystem(t, { agent: { offline: { spend_floor_limit: 0 } }, startHost: false });
  await sys.broker.kill();
  const pos = await sys.pos();
  await waitFor(async () => !(await statusOf(pos)).uplink.connected, { what: 'uplink offline' });
  t.match(await spend(pos, 's', 1), { ok: false, error: { code: 'OFFLINE_SPEND_DECLINED', message: /disabled/ } });
});

t.test('host silent: award queued after request_timeout_ms, delivered when it comes back', async (t) => {
  const sys = await startSystem(t, { startHost: false, agent: { uplink: { request_timeout_ms: 300 } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('award', { txn_id: 'late-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'queued' } });
  await sys.startHost();
  await waitFor(async () => (await statusOf(pos)).outbox.pending === 0, { what: 'delivered', timeout: 20_000 });
  t.match(await pos.request('award', { txn_id: 'late-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded' } });
});
