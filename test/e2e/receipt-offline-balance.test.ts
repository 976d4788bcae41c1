// The new balance a receipt prints while offline counts every spend the till approved offline for
// the customer up to that sale, on other sales too, as the spend's own answer did (LOCAL.md
// "Receipts"). Real agent, mosquitto, reference host and a network printer on a TCP listener.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { cli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { tillWithPrinter as startTill } from '../helpers/till-with-printer.ts';

type Ok = { ok: true; result: Record<string, unknown> };
const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };

/** Agent, host and a ready network printer; receipt(txn) prints the sale's receipt and returns its lines. */
async function tillWithPrinter(t: Test) {
  const till = await startTill(t);
  return { ...till, receipt: (txn: string) => till.receipt(txn, 1000) };
}

t.test('a receipt printed offline takes off the customer\'s offline spends on other sales approved before its own', async (t) => {
  const { sys, pos, receipt } = await tillWithPrinter(t);
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000001' }), { ok: true, result: { customer: { id: 'alice' } } });
  // Two sales awarded online (10 % back each: 1000 → 1100 → 1200), then the link goes.
  t.match(await pos.request('award', { txn_id: 'z-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded' } });
  t.match(await pos.request('award', { txn_id: 'a-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded', balance: { amount: 1200 } } });
  t.ok((await receipt('a-1')).some((l) => /^New balance +12\.00 EUR$/.test(l)), 'online: the host\'s balance');

  await sys.goOffline();
  // 2.00 spent offline on the first sale, then 1.00 on the second: the POS is told 9.00 is left.
  t.match(await pos.request('spend', { txn_id: 'z-1', customer_id: 'alice', amount: 200, currency: 'EUR' }), { ok: true, result: { status: 'queued', spent_amount: 200, balance: { amount: 1000 } } });
  const spend = await pos.request('spend', { txn_id: 'a-1', customer_id: 'alice', amount: 100, currency: 'EUR' }) as Ok;
  t.match(spend, { ok: true, result: { status: 'queued', spent_amount: 100, balance: { amount: 900 } } });
  const lines = await receipt('a-1');
  t.ok(lines.some((l) => /^New balance +9\.00 EUR$/.test(l)), `the receipt says what the spend answered: ${lines.join(' | ')}`);
  // The first sale's receipt: the balance its spend answered (the second sale's award counted, its
  // later spend not).
  const first = await receipt('z-1');
  t.ok(first.some((l) => /^New balance +10\.00 EUR$/.test(l)), `as its spend answered: ${first.join(' | ')}`);
  // The operator's preview reads the same from the till's database file.
  const dir = await tempDir(t);
  const r = await cli('receipt', 'preview', '--txn', 'a-1', '--config', sys.agentConfig, '--out', join(dir, 'a-1.png'));
  t.equal(r.code, 0, r.out);
  t.match(await readFile(join(dir, 'a-1.txt'), 'utf8'), /New balance +9\.00 EUR/);
});

t.test('a customer never identified on this till: the receipt printed offline says the balance the spend answered', async (t) => {
  const { sys, pos, receipt } = await tillWithPrinter(t);
  // No identify: the awards' answers are what the till knows of alice's balance (11.00, then 12.00).
  t.match(await pos.request('award', { txn_id: 'z-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded', balance: { amount: 1100 } } });
  t.match(await pos.request('award', { txn_id: 'a-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded', balance: { amount: 1200 } } });
  await sys.goOffline();
  t.match(await pos.request('spend', { txn_id: 'z-1', customer_id: 'alice', amount: 200, currency: 'EUR' }), { ok: true, result: { status: 'queued', spent_amount: 200, balance: { amount: 1000 } } });
  t.match(await pos.request('spend', { txn_id: 'a-1', customer_id: 'alice', amount: 100, currency: 'EUR' }), { ok: true, result: { status: 'queued', spent_amount: 100, balance: { amount: 900 } } });
  const lines = await receipt('a-1');
  t.ok(lines.some((l) => /^New balance +9\.00 EUR$/.test(l)), `as the spend answered (not 11.00: its own award's balance less its own spend): ${lines.join(' | ')}`);
  const first = await receipt('z-1');
  t.ok(first.some((l) => /^New balance +10\.00 EUR$/.test(l)), `as its spend answered: ${first.join(' | ')}`);
  const dir = await tempDir(t);
  const r = await cli('receipt', 'preview', '--txn', 'a-1', '--config', sys.agentConfig, '--out', join(dir, 'a-1.png'));
  t.equal(r.code, 0, r.out);
  t.match(await readFile(join(dir, 'a-1.txt'), 'utf8'), /New balance +9\.00 EUR/, 'the operator\'s preview too');
});
