// The till's wall clock stepped between two runs of the real agent process (real mosquitto, the
// reference host, real SQLite): TILL_AGENT_TEST_CLOCK_OFFSET_MS shifts the agent's wall clock
// (tests only; no faketime). Nothing a repeat or a void needs is pruned, a balance learned after a
// step back is not frozen, and doctor flags the jump the host's clock revealed.
import t from 'tap';
import { cli } from '../helpers/cli.ts';
import { startSystem, type System } from '../helpers/system.ts';

const DAY = 86_400_000;
const basket = (total: number) => ({ currency: 'EUR', total, items: [{ sku: 'COFFEE', qty: 1, unit_price: total, amount: total }] });

async function restartAgent(sys: System, offsetMs: number): Promise<void> {
  sys.agent.child.kill('SIGTERM');
  await sys.agent.exited;
  await sys.startAgent({ TILL_AGENT_TEST_CLOCK_OFFSET_MS: String(offsetMs) });
  await sys.waitOnline();
}

t.test('clock stepped 40 days forward: the sale is still there for a repeat and a void', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  let pos = await sys.pos();
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000001' }), { ok: true, result: { stale: false } });
  t.match(await pos.request('award', { txn_id: 'sale-A', customer_id: 'alice', basket: basket(2000) }), { ok: true, result: { status: 'awarded' } });
  t.match(await pos.request('status'), { ok: true, result: { clock: { state: 'synced', jump: null } } }, 'status: the clock agrees');

  await restartAgent(sys, 40 * DAY);
  pos = await sys.pos();
  t.match(await pos.request('award', { txn_id: 'sale-A', customer_id: 'alice', basket: basket(3000) }),
    { ok: false, error: { code: 'CONFLICT' } }, 'a changed repeat is still a conflict');
  t.match(await pos.request('award', { txn_id: 'sale-A', customer_id: 'alice', basket: basket(2000) }),
    { ok: true, result: { status: 'awarded', award_amount: 200 } }, 'the same repeat gets the first answer');
  t.match(await pos.request('void', { txn_id: 'sale-A' }), { ok: true, result: { status: 'voided', reversed_award_amount: 200 } });
  const clock = ((await pos.request('status')) as { result: { clock: { state: string; trusted: string; wall: string; jump: { source: string; offset_ms: number } } } }).result.clock;
  t.match(clock, { state: 'jumped', jump: { source: 'host' } }, 'status: the clock jumped, seen by the host');
  t.ok(clock.jump.offset_ms > 39 * DAY && clock.jump.offset_ms < 41 * DAY, `status: the wall clock is 40 days ahead (${clock.jump.offset_ms} ms)`);
  t.ok(Date.parse(clock.wall) - Date.parse(clock.trusted) > 39 * DAY, 'status: the wall clock is shown next to the trusted time');

  const doctor = await cli('doctor', '--config', sys.agentConfig, '--timeout-ms', '2000');
  t.match(doctor.out, /✖ clock\s+the clock jumped: the wall clock was 40\.0 days ahead of the host's clock \(seen by the host/);
  t.match(doctor.out, /hint: check NTP/);
  const status = await cli('status', '--config', sys.agentConfig);
  t.match(status.out, /clock +JUMPED: the wall clock is 40\.0 days ahead of the host's clock/, 'till-agent status shows the jump');

  await sys.goOffline();
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000001' }),
    { ok: true, result: { stale: true, customer: { id: 'alice' } } }, 'the cached customer was not pruned either');
});

t.test('clock stepped back a day: the balance the host reports after it is recorded; offline spend sees it', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  let pos = await sys.pos();
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000001' }), { ok: true, result: { customer: { balance: { amount: 1000 } } } });

  await restartAgent(sys, -DAY);
  pos = await sys.pos();
  t.match(await pos.request('spend', { txn_id: 'sale-B', customer_id: 'alice', amount: 1000, currency: 'EUR' }),
    { ok: true, result: { status: 'spent', spent_amount: 1000, balance: { amount: 0 } } });
  const doctor = await cli('doctor', '--config', sys.agentConfig, '--timeout-ms', '2000');
  t.match(doctor.out, /✖ clock\s+the clock jumped: the wall clock was 24\.0 hours behind/);

  await sys.goOffline();
  t.match(await pos.request('spend', { txn_id: 'sale-C', customer_id: 'alice', amount: 500, currency: 'EUR' }),
    { ok: false, error: { code: 'OFFLINE_SPEND_DECLINED', message: /no balance left/ } }, 'the wallet cannot go below zero');
});
