// The whole chain against the CRM.COM simulator: POS socket → real agent process → real
// mosquitto → host process (backend: crmcom) → simulator (in this test process, so faults can
// be injected between steps).
import t from 'tap';
import { SIM_KEY, startCrmcomSim } from '../helpers/crmcom-sim.ts';
import { freePort } from '../helpers/ports.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000 }] };

t.test('identify → preview → award → spend → void through CRM.COM, exactly once across a lost answer', async (t) => {
  const sim = await startCrmcomSim(t);
  const metricsPort = await freePort();
  const sys = await startSystem(t, {
    hostConfig: {
      seed: undefined, backend: 'crmcom', timezone: 'Europe/Paris', metrics_listen: `127.0.0.1:${metricsPort}`,
      crmcom: { url: sim.server.url, api_key: SIM_KEY, performed_by_unit: 'U1', currency: 'EUR', timeout_ms: 1000, retries: 1, max_delay_ms: 50 },
    },
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  // Every op CRM.COM does not offer, so the POS hides their buttons (LOCAL.md, "Identifying a customer"):
  // the held-offer ops too, which were left out (only durable ops were listed).
  const id = await pos.request('identify', { by: 'card', value: '6006 4912 3456 7890' });
  t.match(id, { ok: true, result: { customer: { id: 'P1', name: 'Alice', balance: { amount: 1000, currency: 'EUR' } } } });
  t.same(id.ok && (id.result as { unsupported_ops?: unknown }).unsupported_ops, ['lock', 'offers', 'redeem', 'refund', 'reinstate', 'unlock', 'voucher.redeem']);
  t.match(await pos.request('preview', { customer_id: 'P1', basket }), { ok: true, result: { award_amount: 200, spendable_amount: 1000, reduction: 'front_end' } });

  // The purchase is applied but both answers are lost: the host retries with the same
  // reference, then the till resends; CRM.COM still holds one purchase.
  sim.server.inject({ kind: 'drop', when: 'after', endpoint: 'customer_events/purchases/create', count: 2 });
  const award = await pos.request('award', { txn_id: 'sale-1', customer_id: 'P1', basket });
  t.match(award, { ok: true });
  await waitFor(async () => {
    const s = await pos.request('status');
    return s.ok && (s.result as { outbox: { pending: number } }).outbox.pending === 0;
  }, { what: 'award delivered', timeout: 30_000 });
  t.equal(sim.purchases.size, 1, 'one purchase at CRM.COM');
  t.equal(sim.balance('P1'), 1200);

  t.match(await pos.request('spend', { txn_id: 'sale-1', customer_id: 'P1', amount: 500, currency: 'EUR' }), { ok: true, result: { spent_amount: 500, balance: { amount: 700 } } });
  t.match(await pos.request('void', { txn_id: 'sale-1' }), { ok: true, result: { status: 'voided', reversed_award_amount: 200, reversed_spend_amount: 500, balance: { amount: 1000 } } });
  t.equal(sim.balance('P1'), 1000);
  // The award repeated after its void (and the voided sale's receipt) gives the balance after the
  // void, not the spend's 7.00 from before it.
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  t.match(await pos.request('award', { txn_id: 'sale-1', customer_id: 'P1', basket }), { ok: true, result: { status: 'voided', void_status: 'voided', balance: { amount: 1000 } } });

  // CRM.COM holds no offers nor refund vouchers (the host lists redeem, reinstate and voucher.redeem
  // in unsupported_ops): refused before they are committed; they were committed, sent and dead-lettered.
  t.match(await pos.request('redeem', { redemption_id: 'r-1', txn_id: 'sale-2', customer_id: 'P1', offer_id: 'O1', basket }), { ok: false, error: { code: 'UNSUPPORTED', retryable: false, message: /redeem/ } });
  t.match(await pos.request('voucher.redeem', { txn_id: 'sale-2', code: 'RV-7K2M9Q4T8B3D', currency: 'EUR' }), { ok: false, error: { code: 'UNSUPPORTED', message: /voucher\.redeem/ } });
  t.match(await pos.request('outbox.list', { state: 'dead' }), { ok: true, result: { dead: 0 } }, 'nothing dead-lettered');
  t.match(await pos.request('products.sync', { products: [{ sku: 'COFFEE', name: 'Coffee', categories: ['hot'] }] }), { ok: true });
  await waitFor(() => sim.products.has('COFFEE'), { what: 'product synchronised' });
  // Every platform call counted, the lost answers as network failures.
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  t.match(metrics, /till_host_platform_calls_total\{platform="crmcom",endpoint="customer_events\/purchases\/create",outcome="network"\} 2/);
  t.match(metrics, /till_host_platform_calls_total\{platform="crmcom",endpoint="customer_events\/purchases\/create",outcome="ok"\} 1/);
  t.match(metrics, /till_host_platform_call_duration_seconds_count\{platform="crmcom",endpoint="rewards_participants\/show"\} \d+/);
  t.match(metrics, /^process_resident_memory_bytes [1-9]\d*$/m, "the host process's own figures too");
  t.match(metrics, /^nodejs_eventloop_lag_p99_seconds \d/m);
  const logs = sys.host?.output() ?? '';
  for (const secret of [SIM_KEY, '6006491234567890']) t.notOk(logs.includes(secret), 'host logs carry no key or card');
});

t.test('host SIGKILLed while CRM.COM applies a spend: restarted, the till resends, CRM.COM spent once', async (t) => {
  const sim = await startCrmcomSim(t);
  const sys = await startSystem(t, {
    hostConfig: {
      seed: undefined, backend: 'crmcom', timezone: 'Europe/Paris',
      crmcom: { url: sim.server.url, api_key: SIM_KEY, performed_by_unit: 'U1', currency: 'EUR', timeout_ms: 10_000, retries: 0, max_delay_ms: 50 },
    },
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('award', { txn_id: 'sale-k', customer_id: 'P1', basket }), { ok: true });
  // The window between the platform's apply and the host's record, made wide and
  // deterministic: CRM.COM holds the spend for 1.5 s before applying it; the host dies meanwhile.
  sim.server.inject({ kind: 'latency', ms: 1500, endpoint: 'customer_events/spend_requests/create' });
  const spending = pos.request('spend', { txn_id: 'sale-k', customer_id: 'P1', amount: 300, currency: 'EUR' });
  await waitFor(() => sim.server.callsTo('customer_events/spend_requests/create') === 1, { what: 'the spend reached CRM.COM' });
  await sys.host!.kill('SIGKILL');
  await waitFor(() => sim.spends.size === 1, { what: 'CRM.COM applied the spend of the dead host' });
  t.match(await spending, { ok: false, error: { code: 'UPSTREAM_TIMEOUT' } }, 'the POS was told to repeat');
  t.equal(sim.balance('P1'), 1200 - 300);

  await sys.startHost();
  await waitFor(async () => {
    const s = await pos.request('status');
    return s.ok && (s.result as { outbox: { pending: number } }).outbox.pending === 0;
  }, { what: 'the spend resent and answered', timeout: 30_000 });
  t.match(await pos.request('spend', { txn_id: 'sale-k', customer_id: 'P1', amount: 300, currency: 'EUR' }),
    { ok: true, result: { spent_amount: 300, balance: { amount: 900 } } }, 'the repeat learns the outcome');
  t.equal(sim.spends.size, 1, 'one spend request at CRM.COM');
  t.equal(sim.server.callsTo('customer_events/spend_requests/create'), 1, 'not sent again: the new host found the spend under its reference in the purchase\'s spend list');
  t.equal(sim.balance('P1'), 900, 'spent once');
});

t.test('an award queued at the till (host silent) takes no instant or automatic spend at CRM.COM', async (t) => {
  const sim = await startCrmcomSim(t);
  const sys = await startSystem(t, {
    startHost: false,
    agent: { uplink: { request_timeout_ms: 300 } },
    hostConfig: {
      seed: undefined, backend: 'crmcom', timezone: 'Europe/Paris',
      crmcom: { url: sim.server.url, api_key: SIM_KEY, performed_by_unit: 'U1', currency: 'EUR', timeout_ms: 2000, retries: 1, max_delay_ms: 50 },
    },
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  // P2 has automatic spend and 5.00; the croissant earns an instant 0.50 at CRM.COM.
  const croissant = { currency: 'EUR', total: 1000, items: [{ sku: 'CROISSANT', qty: 1, unit_price: 1000, amount: 1000 }] };
  t.match(await pos.request('award', { txn_id: 'late-1', customer_id: 'P2', basket: croissant }), { ok: true, result: { status: 'queued' } });
  await sys.startHost();
  await waitFor(async () => {
    const s = await pos.request('status');
    return s.ok && (s.result as { outbox: { pending: number } }).outbox.pending === 0;
  }, { what: 'award delivered', timeout: 30_000 });
  t.equal(sim.balance('P2'), 500 + 100, 'earned the award; paid for no reduction the POS never gave');
  t.same([...sim.spends.values()].map((s) => s.state), ['CANCELLED', 'CANCELLED'], 'CRM.COM\'s instant and automatic spend requests cancelled');
  t.match(await pos.request('award', { txn_id: 'late-1', customer_id: 'P2', basket: croissant }),
    { ok: true, result: { status: 'awarded', award_amount: 100, instant_spend_amount: 0, automatic_spend_amount: 0, total_spend_amount: 0, balance: { amount: 600 } } });
});
