// Identifier values (card numbers, phones, emails) never reach the logs or the till's disk in clear.
import t from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSystem } from '../helpers/system.ts';

t.test('card numbers and phones are not in logs or in the SQLite files', async (t) => {
  const sys = await startSystem(t); // agent and host log at debug level
  await sys.waitOnline();
  const pos = await sys.pos();
  const card = '6006490000000001';
  const phone = '+35799000001';
  t.match(await pos.request('identify', { by: 'card', value: card }), { ok: true });
  t.match(await pos.request('identify', { by: 'phone', value: phone }), { ok: true });
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000999' }), { ok: false });
  sys.agent.child.kill('SIGTERM');
  await sys.agent.exited;

  for (const [who, output] of [['agent', sys.agent.output()], ['host', sys.host!.output()]] as const) {
    t.notOk(output.includes(card), `${who} log has no card number`);
    t.notOk(output.includes('6006490000000999'), `${who} log has no unknown card number`);
    t.notOk(output.includes(phone), `${who} log has no phone number`);
  }
  const dataDir = join(sys.dir, 'agent-data');
  for (const file of await readdir(dataDir)) {
    const bytes = await readFile(join(dataDir, file));
    t.notOk(bytes.includes(card), `${file} has no card number in clear`);
    t.notOk(bytes.includes(phone), `${file} has no phone number in clear`);
  }
});

// Issue 7 item 10: a payment card number typed into a free-text field (a SKU, a txn_id, a
// reason) is refused naming the field, and goes nowhere: not the outbox, not a log, not the host.
t.test('a card number typed into a POS field is refused and never stored or logged', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  const visa = '4111111111111111';
  const amex = '3782 822463 10005';
  const basket = (sku: string) => ({ currency: 'EUR', total: 500, items: [{ sku, qty: 1, unit_price: 500, amount: 500 }] });
  const attempts: Array<[string, unknown, string]> = [
    ['award', { txn_id: 'pan-1', customer_id: 'alice', basket: basket(visa) }, 'params.basket.items[0].sku'],
    ['award', { txn_id: visa, customer_id: 'alice', basket: basket('COFFEE') }, 'params.txn_id'],
    ['void', { txn_id: 'pan-1', reason: `customer card ${amex}` }, 'params.reason'],
    ['products.sync', { products: [{ sku: 'X1', name: amex }] }, 'params.products[0].name'],
  ];
  for (const [op, params, field] of attempts) {
    const r = await pos.request(op, params);
    t.match(r, { ok: false, error: { code: 'BAD_REQUEST', message: `${field}: must not contain a payment card number` } }, `${op}: ${field}`);
    t.notOk(JSON.stringify(r).replace(/[ -]/g, '').includes(visa) || JSON.stringify(r).replace(/[ -]/g, '').includes('378282246310005'), 'not echoed');
  }
  // A sale with a real EAN-13 (one that also passes Luhn) still goes through.
  t.match(await pos.request('award', { txn_id: 'ean-1', customer_id: 'alice', basket: basket('4006381333924') }), { ok: true, result: { status: 'awarded' } });
  const dead = await pos.request('outbox.list', { state: 'done' });
  t.match(dead, { ok: true, result: { messages: [{ txn_id: 'ean-1' }] } });
  t.equal((dead.ok ? (dead.result as { messages: unknown[] }).messages : []).length, 1, 'only the legitimate sale reached the outbox');
  sys.agent.child.kill('SIGTERM');
  await sys.agent.exited;

  const clean = (text: string) => text.replace(/[ -]/g, '');
  for (const [who, output] of [['agent', sys.agent.output()], ['host', sys.host!.output()]] as const) {
    t.notOk(clean(output).includes(visa), `${who} log has no Visa number`);
    t.notOk(clean(output).includes('378282246310005'), `${who} log has no Amex number`);
  }
  const dataDir = join(sys.dir, 'agent-data');
  for (const file of await readdir(dataDir)) {
    const bytes = (await readFile(join(dataDir, file))).toString('latin1');
    t.notOk(bytes.includes(visa) || bytes.includes('378282246310005') || bytes.includes(amex), `${file} has no card number`);
  }
});
