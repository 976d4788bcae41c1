// Points and tiers (issue 8 item 11), through a real agent, mosquitto and the reference host.
// Seed 004 (SessionM economy rules): "Customer purchases large chicken burrito and transaction
// is sent to SessionM via POS and middleware / SessionM evaluates purchase against economy or
// campaign rules / Qualified customer is awarded loyalty outcome (points or offer)", with rules
// "available within a specific tier level". Seed: test/fixtures/seed-points.yaml.
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startSystem } from '../helpers/system.ts';

const SEED = fileURLToPath(new URL('../fixtures/seed-points.yaml', import.meta.url));
const basket = (currency = 'EUR') => ({
  currency, total: 1250,
  items: [{ sku: 'BURRITO-L', qty: 1, unit_price: 950, amount: 950 }, { sku: 'COLA', qty: 1, unit_price: 300, amount: 300 }],
});
type Ok = { ok: true; result: Record<string, unknown> };

t.test('points wallets, points offers and tier-conditioned offers', async (t) => {
  const sys = await startSystem(t, { hostConfig: { seed: SEED } });
  await sys.waitOnline();
  const pos = await sys.pos();

  // identify answers the tier and every wallet, money and points.
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000101' }), {
    ok: true,
    result: { customer: { id: 'gina', tier: 'gold', balance: { amount: 1000, currency: 'EUR' }, wallets: [{ amount: 1000, currency: 'EUR' }, { amount: 100, currency: 'PTS' }] } },
  });

  // Gold: 5% (62) + gold bonus 100 EUR cents; 12 whole euros: 12 points + 24 gold points + 50 burrito points.
  const preview = await pos.request('preview', { customer_id: 'gina', basket: basket() }) as Ok;
  t.match(preview, { ok: true, result: { award_amount: 162, points: [{ amount: 86, currency: 'PTS' }], balance: { amount: 1000, currency: 'EUR' } } });
  t.same((preview.result.offers as Array<{ id: string }>).map((o) => o.id).sort(), ['burrito', 'cashback', 'gold-bonus', 'gold-double', 'points-per-euro']);
  t.notOk('currencies' in preview.result, 'the host\'s accepted currencies are the agent\'s business, not the POS\'s');

  const award = await pos.request('award', { txn_id: 'g-1', customer_id: 'gina', basket: basket() }) as Ok;
  t.match(award, {
    ok: true,
    result: {
      status: 'awarded', award_amount: 162, points: [{ amount: 86, currency: 'PTS' }], balance: { amount: 1162, currency: 'EUR' },
      wallets: [{ amount: 1162, currency: 'EUR' }, { amount: 186, currency: 'PTS' }],
    },
  });
  t.match((award.result.offers as unknown[]), [{ id: 'burrito', award_amount: 0, points: { amount: 50, currency: 'PTS' } }]);

  // Silver: no gold offers; the points wallet starts at 0.
  const silver = await pos.request('award', { txn_id: 's-1', customer_id: 'sam', basket: basket() }) as Ok;
  t.match(silver, { ok: true, result: { award_amount: 62, points: [{ amount: 62, currency: 'PTS' }], wallets: [{ amount: 562, currency: 'EUR' }, { amount: 62, currency: 'PTS' }] } });
  t.notOk((silver.result.offers as Array<{ id: string }>).some((o) => o.id.startsWith('gold')), 'gold offers are for gold members only');

  // Points only: an EUR basket earns points, no cashback, nothing spent; the balance is in points.
  const pia = await pos.request('award', { txn_id: 'p-1', customer_id: 'pia', basket: basket() }) as Ok;
  t.match(pia, { ok: true, result: { award_amount: 0, total_spend_amount: 0, points: [{ amount: 62, currency: 'PTS' }], balance: { amount: 102, currency: 'PTS' } } });

  // A void takes the points back, reported apart from money.
  t.match(await pos.request('void', { txn_id: 'g-1' }), {
    ok: true,
    result: { status: 'voided', reversed_award_amount: 162, reversed_points: [{ amount: 86, currency: 'PTS' }], balance: { amount: 1000, currency: 'EUR' }, wallets: [{ amount: 1000 }, { amount: 100 }] },
  });
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000103' }), { ok: true, result: { customer: { balance: { amount: 102, currency: 'PTS' } } } });
});

t.test('a basket in a unit the host does not take is BAD_REQUEST at the till, not a dead letter', async (t) => {
  const sys = await startSystem(t, { hostConfig: { seed: SEED } });
  await sys.waitOnline();
  const pos = await sys.pos();

  // Points are never a basket's unit, whatever the agent knows.
  t.match(await pos.request('award', { txn_id: 'x-0', customer_id: 'gina', basket: basket('PTS') }),
    { ok: false, error: { code: 'BAD_REQUEST', message: /params\.basket\.currency: is a points unit/ } });
  t.match(await pos.request('spend', { txn_id: 'x-0', customer_id: 'pia', amount: 10, currency: 'PTS' }),
    { ok: false, error: { code: 'BAD_REQUEST', message: /params\.currency: PTS is a points unit/ } });

  // The agent learns the host's currencies from its answers (identify) and keeps them across restarts.
  await pos.request('identify', { by: 'card', value: '6006490000000102' });
  t.match(await pos.request('award', { txn_id: 'x-1', customer_id: 'sam', basket: basket('USD') }),
    { ok: false, error: { code: 'BAD_REQUEST', retryable: false, message: /params\.basket\.currency: USD is not a currency the loyalty host accepts \(EUR\)/ } });
  t.match(await pos.request('preview', { customer_id: 'sam', basket: basket('GBP') }), { ok: false, error: { code: 'BAD_REQUEST' } });
  await pos.close();
  await sys.agent.kill('SIGTERM');
  await sys.startAgent();
  // The uplink connects after ready (MQTT.js loads then): wait for it, or x-3 would be queued, not awarded.
  await sys.waitOnline();
  const again = await sys.pos();
  t.match(await again.request('award', { txn_id: 'x-2', customer_id: 'sam', basket: basket('USD') }), { ok: false, error: { code: 'BAD_REQUEST' } });
  t.match(await again.request('award', { txn_id: 'x-3', customer_id: 'sam', basket: basket() }), { ok: true, result: { status: 'awarded' } });
  const status = await again.request('status') as Ok;
  t.match(status.result, { outbox: { dead: 0 } }, 'nothing was dead-lettered');
  t.match(await again.request('outbox.list', { state: 'done' }), { ok: true, result: { messages: [{ txn_id: 'x-3' }] } }, 'only the good award was committed');
});

t.test('configured currencies: refused before the agent has heard from the host', async (t) => {
  const sys = await startSystem(t, { hostConfig: { seed: SEED }, agent: { currencies: ['EUR'] } });
  const pos = await sys.pos();
  t.match(await pos.request('award', { txn_id: 'c-1', customer_id: 'sam', basket: basket('USD') }),
    { ok: false, error: { code: 'BAD_REQUEST', message: /USD is not a currency the loyalty host accepts \(EUR\)/ } });
  // The host's own check stands behind the till's: a host that takes EUR only refuses USD for good.
  t.match(await pos.request('outbox.list', { state: 'pending' }), { ok: true, result: { messages: [] } });
});
