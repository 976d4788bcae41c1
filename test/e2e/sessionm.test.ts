// The whole chain against the SessionM simulator: POS socket → real agent process → real
// mosquitto → host process (backend: sessionm) → simulator in this test process.
import t from 'tap';
import { SM_KEY, SM_SECRET, startSessionmSim } from '../helpers/sessionm-sim.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000 }] };

t.test('identify → preview → award through SessionM; a spend is a dead letter UNSUPPORTED', async (t) => {
  const sim = await startSessionmSim(t);
  const sys = await startSystem(t, {
    hostConfig: {
      seed: undefined, backend: 'sessionm',
      sessionm: { url: sim.server.url, key: SM_KEY, secret: SM_SECRET, client_id: 'C1', currency: 'EUR', timeout_ms: 1000, retries: 1, max_delay_ms: 50 },
    },
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('identify', { by: 'card', value: '6006 4912 3456 7890' }), { ok: true, result: { customer: { id: 'U1', name: 'Alice Martin', balance: { amount: 120 } } } });
  t.match(await pos.request('preview', { customer_id: 'U1', basket }), { ok: true, result: { offers: [{ id: 'O2', award_amount: 100 }] } });
  sim.server.inject({ kind: 'status', status: 503, endpoint: 'api/2.0/send_transaction', count: 3 });
  t.match(await pos.request('award', { txn_id: 'sale-1', customer_id: 'U1', basket }), { ok: true });
  await waitFor(() => sim.points('U1') === 140, { what: 'transaction at SessionM', timeout: 30_000 });
  t.equal(sim.transactions.size, 1);

  t.match(await pos.request('spend', { txn_id: 'sale-1', customer_id: 'U1', amount: 100, currency: 'EUR' }), { ok: false });
  await waitFor(async () => {
    const r = await pos.request('outbox.list');
    return r.ok && (r.result as { dead: number }).dead === 1 ? r : undefined;
  }, { what: 'spend dead-lettered' });
  const dead = await pos.request('outbox.list');
  t.match(JSON.stringify(dead), /UNSUPPORTED/);
  const logs = sys.host?.output() ?? '';
  for (const secret of [SM_SECRET, '6006491234567890']) t.notOk(logs.includes(secret), 'host logs carry no secret or card');
});
