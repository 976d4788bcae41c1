// Issue 8 items 1–4 through the POS socket, a real agent, a real mosquitto and the reference host.
// Each rule quotes the CRM.COM guide (../shared/seeds/000_*.txt) it implements:
// 1 "Spend is the awarded amount that will be deducted from the basket's total amount that the
//   customer should pay for." — a spend names its sale and takes at most what is left to pay.
// 2 "The amount that a customer can spend is the total amount that the customer was awarded from
//   previous purchases." — this sale's award is not spendable; preview says what spend will get.
// 3 a repeated award reports the sale as it is now (voided, current balance).
// 4 Step 5: "The total_spend_amount is also the sum of total_instant_spend_amount,
//   total_additional_spend_amount and total_automatic_spend_amount".
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { cli } from '../helpers/cli.ts';
import type { Response } from '../../protocol/local.ts';
import type { PosClient } from '../helpers/pos-client.ts';
import { aliceBalance, outboxDrained } from '../helpers/pos-queries.ts';
import { startSystem } from '../helpers/system.ts';
import { tempDir } from '../helpers/tmp.ts';

const basket = (total: number) => ({ currency: 'EUR', total, items: [{ sku: 'COFFEE', qty: 1, unit_price: total, amount: total }] });
const spend = (pos: PosClient, txn: string, amount: number, customer_id = 'alice') =>
  pos.request('spend', { txn_id: txn, customer_id, amount, currency: 'EUR' });
const award = (pos: PosClient, txn: string, total: number, customer_id = 'alice') =>
  pos.request('award', { txn_id: txn, customer_id, basket: basket(total) });
const resultOf = (r: Response) => (r.ok ? (r.result as Record<string, unknown>) : {});

t.test('version 2 online: spend tied to its sale, spendable, repeat after void, redemption total', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  await aliceBalance(pos); // alice in the till's cache

  // 1. A spend for a sale the till never awarded.
  t.match(await spend(pos, 'never-awarded', 100), { ok: false, error: { code: 'SALE_NOT_FOUND', retryable: false, message: /award the sale before spending/ } });
  t.equal(await aliceBalance(pos), 1000, 'nothing spent');

  // 1. A spend of 20.00 on a 4.70 sale: at most the 4.70 still to pay.
  t.match(await award(pos, 'small', 470), { ok: true, result: { status: 'awarded', award_amount: 47, balance: { amount: 1047 } } });
  // 4. The redemption total of the sale comes with the spend.
  t.match(await spend(pos, 'small', 2000), {
    ok: true,
    result: {
      status: 'spent', spent_amount: 470, balance: { amount: 577 },
      instant_spend_amount: 0, automatic_spend_amount: 0, additional_spend_amount: 470, total_spend_amount: 470,
    },
  });

  // 2. preview.spendable_amount is what a spend right after the award gets: not this sale's award.
  const preview = await pos.request('preview', { customer_id: 'alice', basket: basket(3000) });
  t.match(preview, { ok: true, result: { award_amount: 300, spendable_amount: 577 } });
  const spendable = resultOf(preview).spendable_amount as number;
  t.match(await award(pos, 'big', 3000), { ok: true, result: { status: 'awarded', balance: { amount: 877 }, total_spend_amount: 0, additional_spend_amount: 0 } });
  t.match(await spend(pos, 'big', 5000), { ok: true, result: { status: 'spent', spent_amount: spendable, balance: { amount: 300 }, total_spend_amount: spendable } });

  // 4. A repeated award gives the sale's redemption total, its spend included.
  t.match(await award(pos, 'big', 3000), { ok: true, result: { status: 'awarded', additional_spend_amount: 577, total_spend_amount: 577 } });

  // 3. An award repeated after its void: the sale's state now, and the balance now.
  t.match(await pos.request('void', { txn_id: 'big' }), { ok: true, result: { status: 'voided', reversed_award_amount: 300, reversed_spend_amount: 577, balance: { amount: 577 } } });
  const again = await award(pos, 'big', 3000);
  t.match(again, { ok: true, result: { status: 'voided', void_status: 'voided', txn_id: 'big', reversed_award_amount: 300, reversed_spend_amount: 577, balance: { amount: 577 } } });
  t.notOk(resultOf(again).award_amount, 'no longer reported as awarded');

  // 1. A voided sale, another customer's sale, another currency.
  t.match(await award(pos, 'gone', 1000), { ok: true });
  t.match(await pos.request('void', { txn_id: 'gone' }), { ok: true });
  t.match(await spend(pos, 'gone', 100), { ok: false, error: { code: 'SALE_VOIDED' } });
  t.match(await award(pos, 'bobs', 1000, 'bob'), { ok: true });
  t.match(await spend(pos, 'bobs', 100), { ok: false, error: { code: 'BAD_REQUEST', message: /^params\.customer_id: / } });
  t.match(await pos.request('spend', { txn_id: 'bobs', customer_id: 'bob', amount: 100, currency: 'USD' }), { ok: false, error: { code: 'BAD_REQUEST', message: /^params\.currency: / } });
  t.match(await pos.request('spend', { txn_id: 'bobs', customer_id: 'bob', amount: -1, currency: 'EUR' }), { ok: false, error: { code: 'BAD_REQUEST', message: /params\.amount/ } });
  t.equal(await aliceBalance(pos), 577, 'nothing spent by the refused spends');

  // 4. The receipt's loyalty section gives the same redemption total.
  const dir = await tempDir(t);
  const out = join(dir, 'small.png');
  const r = await cli('receipt', 'preview', '--txn', 'small', '--config', sys.agentConfig, '--out', out);
  t.equal(r.code, 0, r.out);
  const text = await readFile(join(dir, 'small.txt'), 'utf8');
  t.match(text, /Additional spend +-4\.70 EUR/);
  t.match(text, /Redemption total +-4\.70 EUR/);

  // Pipelined in one write, before the award's answer: the spend and the void find their sale
  // (the connection starts each once the one before it for the sale was answered).
  const frame = (id: string, op: string, params: unknown) => JSON.stringify({ id, op, params }) + '\n';
  pos.send(frame('p1', 'award', { txn_id: 'piped', customer_id: 'alice', basket: basket(1000) })
    + frame('p2', 'spend', { txn_id: 'piped', customer_id: 'alice', amount: 100, currency: 'EUR' })
    + frame('p3', 'void', { txn_id: 'piped' }));
  const piped = [await pos.nextFrame(), await pos.nextFrame(), await pos.nextFrame()];
  t.match(piped, [
    { id: 'p1', ok: true, result: { status: 'awarded', award_amount: 100 } },
    { id: 'p2', ok: true, result: { status: 'spent', spent_amount: 100 } },
    { id: 'p3', ok: true, result: { status: 'voided', reversed_award_amount: 100, reversed_spend_amount: 100 } },
  ], 'answered in the order sent, none SALE_NOT_FOUND or NOT_FOUND');
  t.equal(await aliceBalance(pos), 577, 'the sale awarded, spent and voided');
});

t.test('version 1 keeps its semantics where version 2 would break it', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello'), { ok: true, result: { protocol: 1 } });
  // A spend without an award is still accepted, capped by the balance (now without any sale's award).
  t.match(await spend(pos, 'no-award', 300), { ok: true, result: { status: 'spent', spent_amount: 300, balance: { amount: 700 } } });
  // Caps that only lower spent_amount apply to v1 too ("spent_amount may be less than asked").
  t.match(await award(pos, 'small', 470), { ok: true, result: { status: 'awarded', total_spend_amount: 0 } });
  t.match(await spend(pos, 'small', 2000), { ok: true, result: { spent_amount: 470, total_spend_amount: 470 } });
  const first = await award(pos, 'small', 470);
  t.match(first, { ok: true, result: { status: 'awarded', total_spend_amount: 0 } }, 'v1: the award\'s own redemption (instant + automatic)');
  t.notOk('additional_spend_amount' in resultOf(first));
  // An award repeated after its void: still "awarded" for a v1 POS, but flagged and with the balance now.
  t.match(await pos.request('void', { txn_id: 'small' }), { ok: true, result: { status: 'voided', balance: { amount: 700 } } });
  t.match(await award(pos, 'small', 470), { ok: true, result: { status: 'awarded', voided: true, balance: { amount: 700 } } });
});

t.test('version 2 offline: the same caps at the till', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  t.equal(await aliceBalance(pos), 1000);
  t.match(await award(pos, 'small', 470), { ok: true, result: { status: 'awarded', balance: { amount: 1047 } } });
  await sys.goOffline();

  // The floor limit is 5.00; the sale has 4.70 left to pay.
  t.match(await spend(pos, 'small', 500), { ok: true, result: { status: 'queued', offline: true, spent_amount: 470, total_spend_amount: 470 } });
  t.match(await spend(pos, 'never-awarded', 100), { ok: false, error: { code: 'SALE_NOT_FOUND' } });
  // A sale awarded while offline: its instant/automatic spends are not known yet, so nothing of them was deducted.
  t.match(await award(pos, 'queued-sale', 300), { ok: true, result: { status: 'queued' } });
  t.match(await spend(pos, 'queued-sale', 500), { ok: true, result: { status: 'queued', spent_amount: 300 } });

  await sys.broker.restart();
  await outboxDrained(pos);
  // 1000 + 47 − 470 + 30 − 300
  t.equal(await aliceBalance(pos), 307);
});

t.test('version 2 offline: this sale\'s award is not spendable at the till either', async (t) => {
  const sys = await startSystem(t, { agent: { offline: { spend_floor_limit: 5000 } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  t.equal(await aliceBalance(pos), 1000);
  t.match(await award(pos, 'big', 3000), { ok: true, result: { balance: { amount: 1300 } } });
  await sys.goOffline();
  t.match(await spend(pos, 'big', 5000), { ok: true, result: { status: 'queued', spent_amount: 1000 } }, 'the 3.00 awarded on this sale stays');
});
