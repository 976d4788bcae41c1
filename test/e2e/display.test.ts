// The customer display through the agent: display.show with rows or an item and the total, and a
// display that follows the sale (last item and total at preview, points and balance after award,
// what a spend took and the balance after it, a void and the balance after it).
import t from 'tap';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const row = (l: string, r: string) => l + ' '.repeat(20 - l.length - r.length) + r;
type Listed = { devices: Array<{ name: string; state: string; lines?: [string, string] }> };

t.test('display.show and follow_sale', async (t) => {
  const sys = await startSystem(t, {
    agent: { devices: [{ name: 'display0', kind: 'display', transport: 'virtual', code_page: 'cp858', follow_sale: true }] },
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  const lines = async () => ((await pos.request('devices.list')) as { result: Listed }).result.devices[0]?.lines;
  await waitFor(async () => ((await pos.request('devices.list')) as { result: Listed }).result.devices[0]?.state === 'ready', { what: 'display ready' });

  t.match(await pos.request('display.show', { lines: ['Willkommen!', 'Grüße aus Zürich, Straße 1'] }),
    { ok: true, result: { display: 'display0', lines: ['Willkommen!', 'Grüße aus Zürich, St'] } });
  t.match(await pos.request('display.show', { item: { name: 'Extraordinarily long name', amount: 350 }, total: 1250, currency: 'EUR' }),
    { ok: true, result: { lines: ['Extraordina 3.50 EUR', row('TOTAL', '12.50 EUR')] } });
  t.match(await pos.request('display.show', { lines: ['x'], total: 1 }), { ok: false, error: { code: 'BAD_REQUEST' } });
  t.match(await pos.request('display.show', { display: 'nope', lines: ['x'] }), { ok: false, error: { code: 'NOT_FOUND' } });

  const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'TEA', qty: 1, unit_price: 500, amount: 500 }, { sku: 'COFFEE', name: 'Kaffee', qty: 3, unit_price: 500, amount: 1500 }] };
  t.match(await pos.request('preview', { customer_id: 'alice', basket }), { ok: true });
  await waitFor(async () => (await lines())?.[1] === row('TOTAL', '20.00 EUR'), { what: 'last item and total after preview' });
  t.same(await lines(), [row('Kaffee', '15.00 EUR'), row('TOTAL', '20.00 EUR')]);
  t.match(await pos.request('award', { txn_id: 'disp-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded' } });
  await waitFor(async () => (await lines())?.[0]?.startsWith('Points'), { what: 'points after award' });
  t.match(await lines(), [/^Points +\+\d+\.\d\d EUR$/, /^Balance +\d+\.\d\d EUR$/]);

  const balanceAfter = (answer: unknown) => {
    const b = (answer as { result: { balance: { amount: number } } }).result.balance.amount;
    return row('Balance', `${Math.floor(b / 100)}.${String(b % 100).padStart(2, '0')} EUR`);
  };
  // A spend after the award: the balance the award showed is no longer the customer's.
  const spent = await pos.request('spend', { txn_id: 'disp-1', customer_id: 'alice', amount: 150, currency: 'EUR' });
  t.match(spent, { ok: true, result: { status: 'spent', spent_amount: 150 } });
  await waitFor(async () => (await lines())?.[0]?.startsWith('Spent'), { what: 'what the spend took' });
  t.same(await lines(), [row('Spent', '-1.50 EUR'), balanceAfter(spent)]);
  const voided = await pos.request('void', { txn_id: 'disp-1' });
  t.match(voided, { ok: true, result: { status: 'voided' } });
  await waitFor(async () => (await lines())?.[0] === 'Sale voided', { what: 'the void' });
  t.same(await lines(), ['Sale voided', balanceAfter(voided)]);
});
