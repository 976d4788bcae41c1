// Several spends per sale (version 2 `spend_id`) through the POS socket, a real agent, a real
// mosquitto and the reference host. Issue 8 item 1: a spend takes at most "basket total − instant −
// automatic − earlier spends of the same sale"; the CRM.COM guide (../shared/seeds/000_*.txt): "The
// due amount can be settled via any form of payment, such as cash, credit cards, spending awarded
// amount, or even a combination of these". Each spend is idempotent by its spend_id (across a
// restart and the outbox's resends); a void reverses all of the sale's spends.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { cli } from '../helpers/cli.ts';
import { connectPos, type PosClient } from '../helpers/pos-client.ts';
import type { Response } from '../../protocol/local.ts';
import { aliceBalance, outboxDrained } from '../helpers/pos-queries.ts';
import { startSystem } from '../helpers/system.ts';
import { tempDir } from '../helpers/tmp.ts';

const basket = (total: number) => ({ currency: 'EUR', total, items: [{ sku: 'COFFEE', qty: 1, unit_price: total, amount: total }] });
const award = (pos: PosClient, txn: string, total: number) => pos.request('award', { txn_id: txn, customer_id: 'alice', basket: basket(total) });
const spend = (pos: PosClient, txn: string, spendId: string | undefined, amount: number) =>
  pos.request('spend', { txn_id: txn, ...(spendId === undefined ? {} : { spend_id: spendId }), customer_id: 'alice', amount, currency: 'EUR' });
const resultOf = (r: Response) => (r.ok ? (r.result as Record<string, unknown>) : {});

t.test('version 2 online: several spends on one sale, each capped by what is left, idempotent by spend_id', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  t.equal(await aliceBalance(pos), 1000);

  t.match(await award(pos, 'multi', 600), { ok: true, result: { award_amount: 60, balance: { amount: 1060 } } });
  const a = await spend(pos, 'multi', 'a', 200);
  t.match(a, { ok: true, result: { status: 'spent', txn_id: 'multi', spend_id: 'a', spent_amount: 200, balance: { amount: 860 }, additional_spend_amount: 200, total_spend_amount: 200 } });
  // Today's code answered the first spend's outcome again (dedup by txn_id): a second spend is new.
  t.match(await spend(pos, 'multi', 'b', 300), { ok: true, result: { status: 'spent', spend_id: 'b', spent_amount: 300, balance: { amount: 560 }, additional_spend_amount: 500, total_spend_amount: 500 } });
  // The same spend_id again: the first outcome, applied once; made after b, its totals count b and
  // so does its balance (LOCAL.md "Several spends on one sale"; it said 8.60 next to a total of 5.00).
  const again = await spend(pos, 'multi', 'a', 200);
  t.match(again, { ok: true, result: { status: 'spent', spend_id: 'a', spent_amount: 200, additional_spend_amount: 500, balance: { amount: 560 } } });
  t.equal(await aliceBalance(pos), 560, 'the repeat spent nothing more');
  t.match(await spend(pos, 'multi', 'a', 201), { ok: false, error: { code: 'CONFLICT', message: /spend a of txn_id multi/ } });
  // A third spend takes at most what is left to pay: 600 − 200 − 300.
  t.match(await spend(pos, 'multi', 'c', 5000), { ok: true, result: { spent_amount: 100, balance: { amount: 460 }, additional_spend_amount: 600, total_spend_amount: 600 } });
  t.match(await spend(pos, 'multi', 'd', 50), { ok: true, result: { spent_amount: 0, total_spend_amount: 600 } }, 'nothing left to pay: 0, not an error');
  // The sale's unnamed spend (no spend_id) is one more spend of the same sale, under the same cap.
  t.match(await spend(pos, 'multi', undefined, 50), { ok: true, result: { spent_amount: 0, additional_spend_amount: 600 } });

  // The spendable balance (without this sale's award) is shared by the sale's spends too.
  t.match(await award(pos, 'two', 3000), { ok: true, result: { award_amount: 300, balance: { amount: 760 } } });
  t.match(await spend(pos, 'two', 'e', 400), { ok: true, result: { spent_amount: 400, balance: { amount: 360 } } });
  t.match(await spend(pos, 'two', 'f', 400), { ok: true, result: { spent_amount: 60, balance: { amount: 300 }, additional_spend_amount: 460 } }, '360 − the 300 this sale awarded');

  // The award repeated gives the whole redemption; the receipt prints the sum of the spends.
  t.match(await award(pos, 'multi', 600), { ok: true, result: { status: 'awarded', additional_spend_amount: 600, total_spend_amount: 600 } });
  const dir = await tempDir(t);
  const r = await cli('receipt', 'preview', '--txn', 'two', '--config', sys.agentConfig, '--out', join(dir, 'two.png'));
  t.equal(r.code, 0, r.out);
  const text = await readFile(join(dir, 'two.txt'), 'utf8');
  t.match(text, /Additional spend +-4\.60 EUR/);
  t.match(text, /Redemption total +-4\.60 EUR/);

  // A void reverses every spend of the sale: 60 awarded back out, 600 spent back in.
  t.match(await pos.request('void', { txn_id: 'multi' }), { ok: true, result: { status: 'voided', reversed_award_amount: 60, reversed_spend_amount: 600, balance: { amount: 840 } } });
  t.match(await spend(pos, 'multi', 'g', 100), { ok: false, error: { code: 'SALE_VOIDED' } });
  t.match(await spend(pos, 'multi', 'a', 200), { ok: true, result: { spent_amount: 200, spend_id: 'a' } }, 'a repeat after the void: its first outcome');
  t.equal(await aliceBalance(pos), 840);
  // A sale's only spend repeated after its void (a POS that repeats a timed-out spend after the cashier
  // voided the sale): its balance is the one after the void, which gave the spend back, not the first
  // answer's from before it.
  t.match(await award(pos, 'solo', 1000), { ok: true, result: { balance: { amount: 940 } } });
  t.match(await spend(pos, 'solo', 'a', 300), { ok: true, result: { spent_amount: 300, balance: { amount: 640 } } });
  t.match(await pos.request('void', { txn_id: 'solo' }), { ok: true, result: { status: 'voided', balance: { amount: 840 } } });
  t.match(await spend(pos, 'solo', 'a', 300), { ok: true, result: { spent_amount: 300, balance: { amount: 840 } } }, 'the balance after the void');

  // Bad spend_id: BAD_REQUEST naming it, nothing committed.
  for (const bad of ['', 'has space', 42, 'x'.repeat(129)]) {
    t.match(await pos.request('spend', { txn_id: 'two', spend_id: bad, customer_id: 'alice', amount: 1, currency: 'EUR' }), { ok: false, error: { code: 'BAD_REQUEST', message: /params\.spend_id/ } });
  }
  t.match(await pos.request('spend', { txn_id: 'two', spendid: 'h', customer_id: 'alice', amount: 1, currency: 'EUR' }), { ok: false, error: { code: 'BAD_REQUEST', message: /spendid/ } }, 'a misspelt key is an error in version 2');
  t.match(await pos.request('status'), { ok: true, result: { outbox: { dead: 0 } } });
  t.equal(await aliceBalance(pos), 840);
});

// A POS that names its spends but never said hello {protocol: 2}: spend_id was dropped, so its second
// spend of the same amount got the first one's answer ("spent 200"), applied once and deducted twice
// from the bill. Now refused, nothing committed; version 1 keeps its one unnamed spend per sale.
t.test('version 1: a spend naming a spend_id is refused (it needs protocol 2); one spend per sale as before', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await award(pos, 'v1', 600), { ok: true });
  for (const id of ['a', 'b']) {
    t.match(await spend(pos, 'v1', id, 200), { ok: false, error: { code: 'BAD_REQUEST', retryable: false, message: /^params\.spend_id: several spends on one sale need protocol 2: send \{"op":"hello","params":\{"protocol":2\}\} first/ } }, `spend_id ${id}`);
  }
  t.equal(await aliceBalance(pos), 1060, 'nothing spent');
  t.match(await pos.request('outbox.list', { state: 'pending' }), { ok: true, result: { pending: 0, dead: 0 } }, 'nothing committed');
  t.match(await spend(pos, 'v1', undefined, 200), { ok: true, result: { spent_amount: 200 } });
  t.notOk('spend_id' in resultOf(await spend(pos, 'v1', undefined, 200)), 'the repeat: its first outcome');
  t.match(await spend(pos, 'v1', undefined, 300), { ok: false, error: { code: 'CONFLICT' } }, 'the same txn_id with other content');
  t.equal(await aliceBalance(pos), 1060 - 200);
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  t.match(await spend(pos, 'v1', 'b', 100), { ok: true, result: { spend_id: 'b', spent_amount: 100 } }, 'after hello {protocol: 2}: a named spend of the same sale');
});

t.test('version 2 offline: the sale\'s spends share what is left to pay; repeats survive a restart', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  t.equal(await aliceBalance(pos), 1000);
  t.match(await award(pos, 'off', 600), { ok: true, result: { balance: { amount: 1060 } } });
  await sys.goOffline();
  // Floor limit 500 per spend; 600 left to pay on the sale.
  t.match(await spend(pos, 'off', 'a', 400), { ok: true, result: { status: 'queued', offline: true, spend_id: 'a', spent_amount: 400, total_spend_amount: 400 } });
  t.match(await spend(pos, 'off', 'b', 400), { ok: true, result: { status: 'queued', spend_id: 'b', spent_amount: 200, total_spend_amount: 600 } }, 'capped by what is left');
  t.match(await spend(pos, 'off', 'c', 100), { ok: false, error: { code: 'OFFLINE_SPEND_DECLINED', message: /nothing is left to pay/ } });

  // The agent restarts while still offline: the approved spends answer the same.
  await sys.agent.kill('SIGKILL');
  await sys.startAgent();
  const pos2 = await connectPos({ port: sys.agentPort });
  t.teardown(() => pos2.close());
  t.match(await pos2.request('hello', { protocol: 2 }), { ok: true });
  t.match(await spend(pos2, 'off', 'b', 400), { ok: true, result: { status: 'queued', spend_id: 'b', spent_amount: 200, total_spend_amount: 600 } });
  t.match(await spend(pos2, 'off', 'c', 100), { ok: false, error: { code: 'OFFLINE_SPEND_DECLINED' } });

  await sys.broker.restart();
  await outboxDrained(pos2);
  t.equal(await aliceBalance(pos2), 1060 - 600, 'each approved spend applied once');
  t.match(await spend(pos2, 'off', 'a', 400), { ok: true, result: { status: 'spent', spend_id: 'a', spent_amount: 400, total_spend_amount: 600 } });
  t.match(await spend(pos2, 'off', 'd', 100), { ok: true, result: { status: 'spent', spent_amount: 0 } }, 'online: nothing left, 0');
});

t.test('a named spend committed then resent until the host answers is applied once', async (t) => {
  const sys = await startSystem(t, { startHost: false, agent: { uplink: { request_timeout_ms: 300 } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  t.match(await award(pos, 'late', 600), { ok: true, result: { status: 'queued' } });
  t.match(await spend(pos, 'late', 'a', 250), { ok: false, error: { code: 'UPSTREAM_TIMEOUT' } });
  t.match(await spend(pos, 'late', 'a', 250), { ok: false, error: { code: 'UPSTREAM_TIMEOUT' } }, 'a repeat commits nothing new');
  await sys.startHost();
  await outboxDrained(pos);
  // A queued award took no instant or automatic spend: 1000 + 60 − 250.
  t.match(await spend(pos, 'late', 'a', 250), { ok: true, result: { status: 'spent', spend_id: 'a', spent_amount: 250, balance: { amount: 810 } } });
  t.match(await spend(pos, 'late', 'b', 1000), { ok: true, result: { status: 'spent', spend_id: 'b', spent_amount: 350, balance: { amount: 460 }, total_spend_amount: 600 } });
  t.equal(await aliceBalance(pos), 460);
});
