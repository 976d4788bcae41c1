// A txn_id names one sale (LOCAL.md "The sale flow", step 5): once the till voided a sale, an award
// with its txn_id is refused before anything is committed (CONFLICT), online and offline alike.
// Before, a sale voided without an award on this till (a version 1 spend alone, offer redemptions)
// took a later award for its txn_id: the host applied it, and the sale's void, already applied, was
// answered from the host's dedup for ever after: an award nothing could reverse. Real agent,
// mosquitto and reference host (test/fixtures/seed.yaml: alice 10.00, 10 % back).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { PosClient } from '../helpers/pos-client.ts';
import { aliceBalance, outboxDrained } from '../helpers/pos-queries.ts';
import { startSystem } from '../helpers/system.ts';

const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };
const award = (pos: PosClient, txn: string) => pos.request('award', { txn_id: txn, customer_id: 'alice', basket });
const v1Spend = (pos: PosClient, txn: string, amount: number) =>
  pos.request('spend', { txn_id: txn, customer_id: 'alice', amount, currency: 'EUR' });
const voided = { ok: false, error: { code: 'CONFLICT', retryable: false, message: /voided/ } };

/** The outbox's rows of one op for a txn_id (outbox.list of every state). */
async function rows(pos: PosClient, op: string, txn: string): Promise<unknown[]> {
  const all: unknown[] = [];
  for (const state of ['pending', 'done', 'dead']) {
    const r = await pos.request('outbox.list', { state, limit: 1000 });
    if (r.ok) all.push(...(r.result as { messages: Array<{ op: string; txn_id: string }> }).messages.filter((m) => m.op === op && m.txn_id === txn));
  }
  return all;
}

t.test('an award for a txn_id this till voided is CONFLICT, nothing committed, online and offline', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.equal(await aliceBalance(pos), 1000);

  // Version 1: a spend alone (no award on this till), voided; the award that follows is refused.
  t.match(await v1Spend(pos, 'v-1', 200), { ok: true, result: { status: 'spent', spent_amount: 200 } });
  t.match(await pos.request('void', { txn_id: 'v-1' }), { ok: true, result: { status: 'voided', reversed_spend_amount: 200 } });
  t.equal(await aliceBalance(pos), 1000);
  t.match(await award(pos, 'v-1'), voided, 'online: refused');
  t.same(await rows(pos, 'award', 'v-1'), [], 'nothing committed');
  t.equal(await aliceBalance(pos), 1000, 'nothing awarded');

  // Version 2: a sale of offer redemptions only, voided: the same.
  const v2 = await sys.pos();
  t.match(await v2.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  t.match(await v2.request('redeem', { redemption_id: 'r-1', txn_id: 'v-2', customer_id: 'alice', offer_id: 'UO-COFFEE2', basket }),
    { ok: true, result: { status: 'redeemed' } });
  t.match(await v2.request('void', { txn_id: 'v-2' }), { ok: true, result: { status: 'voided' } });
  t.match(await award(v2, 'v-2'), voided, 'version 2: refused');

  // An awarded sale's award repeated after its void is still answered (its own row, "voided"), not refused.
  t.match(await award(v2, 'v-3'), { ok: true, result: { status: 'awarded', award_amount: 100 } });
  t.match(await v2.request('void', { txn_id: 'v-3' }), { ok: true, result: { status: 'voided' } });
  t.match(await award(v2, 'v-3'), { ok: true, result: { status: 'voided', void_status: 'voided' } });

  // Offline: a void committed before (online) or while offline (queued) refuses the award too.
  t.match(await pos.request('identify', { by: 'token', value: 'tok-alice' }), { ok: true });
  await sys.goOffline();
  t.match(await award(pos, 'v-1'), voided, 'offline: refused after an online void');
  t.match(await v1Spend(pos, 'v-4', 100), { ok: true, result: { status: 'queued', offline: true, spent_amount: 100 } });
  t.match(await pos.request('void', { txn_id: 'v-4' }), { ok: true, result: { status: 'queued' } });
  t.match(await award(pos, 'v-4'), voided, 'offline: refused after a queued void');
  t.same(await rows(pos, 'award', 'v-4'), [], 'nothing committed');

  // Back online: the voids are applied, no award is, the balance is as it started.
  await sys.broker.restart();
  await sys.waitOnline();
  await outboxDrained(pos);
  t.equal(await aliceBalance(pos), 1000, 'no award for a voided sale reached the host');
  t.match(await pos.request('status'), { ok: true, result: { outbox: { dead: 0 } } });
  t.match(await award(pos, 'v-4'), voided, 'still refused once the void is delivered');
  // A new sale, with a new txn_id, is awarded as ever.
  t.match(await award(pos, 'v-5'), { ok: true, result: { status: 'awarded', award_amount: 100, balance: { amount: 1100 } } });
});

t.test('a till replaced mid-sale (its outbox gone): the host refuses the award for the voided sale, a dead letter with CONFLICT', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await v1Spend(pos, 'r-1', 200), { ok: true, result: { status: 'spent' } });
  t.match(await pos.request('void', { txn_id: 'r-1' }), { ok: true, result: { status: 'voided' } });
  pos.close();
  // The replacement till: same identity, a new disk.
  await sys.agent.kill('SIGTERM');
  await rm(join(sys.dir, 'agent-data'), { recursive: true, force: true });
  await sys.startAgent();
  await sys.waitOnline();
  const fresh = await sys.pos();
  t.match(await award(fresh, 'r-1'), { ok: false, error: { code: 'CONFLICT', retryable: false, message: /voided/ } });
  t.match(await fresh.request('outbox.list', { state: 'dead' }), { ok: true, result: { dead: 1, messages: [{ op: 'award', txn_id: 'r-1', error: { code: 'CONFLICT' } }] } });
  t.equal(await aliceBalance(fresh), 1000, 'nothing awarded');
});
