// An award answered "queued" to the POS gave the customer no instant or automatic reduction at the
// till, so when the host applies it later the wallet must not pay for them (it still earns the
// award). Through the POS socket, a real agent, a real mosquitto and the reference host. Seed
// (CRM.COM guide, 000): "Spend is the awarded amount that will be deducted from the basket's total
// amount that the customer should pay for" — nothing was deducted, so nothing is spent.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { PosClient } from '../helpers/pos-client.ts';
import { outboxDrained } from '../helpers/pos-queries.ts';
import { startSystem } from '../helpers/system.ts';
import { tempDir } from '../helpers/tmp.ts';

// Each customer has automatic spend and 3.00; the croissant offer is instant.
const SEED = `
participants:
${['carol', 'dan', 'erin'].map((id) => `  - id: ${id}
    name: ${id}
    identifiers: { token: ["tok-${id}"] }
    balance: { amount: 300, currency: EUR }
    automatic_spend: true`).join('\n')}
offers:
  - id: croissant
    name: 0.50 off a croissant
    amount: 50
    currency: EUR
    instant: true
    conditions: { skus: [CROISSANT] }
products:
  - { sku: CROISSANT, name: Croissant, categories: [bakery] }
`;
// Online: award 50, instant spend 50, automatic spend min(300, 1000 − 50) = 300 → balance 0.
// Queued: award 50 and nothing spent → balance 350.
const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'CROISSANT', qty: 1, unit_price: 1000, amount: 1000 }] };
const award = (pos: PosClient, txn: string, customer_id: string) => pos.request('award', { txn_id: txn, customer_id, basket });

async function seedFile(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const file = join(await tempDir(t), 'seed.yaml');
  await writeFile(file, SEED);
  return file;
}

async function balanceOf(pos: PosClient, id: string): Promise<number> {
  const r = await pos.request('identify', { by: 'token', value: `tok-${id}` });
  if (!r.ok) throw new Error(`identify ${id} failed: ${JSON.stringify(r)}`);
  return (r.result as { customer: { balance: { amount: number } } }).customer.balance.amount;
}


t.test('broker down: a queued award takes no instant or automatic spend when the link returns', async (t) => {
  const sys = await startSystem(t, { hostConfig: { seed: await seedFile(t) } });
  await sys.waitOnline();
  const pos = await sys.pos();

  // Online, unchanged: the POS is told the reductions and deducts them; the wallet pays for them.
  t.match(await award(pos, 'online-1', 'dan'), {
    ok: true, result: { status: 'awarded', award_amount: 50, instant_spend_amount: 50, automatic_spend_amount: 300, total_spend_amount: 350, balance: { amount: 0 } },
  });
  t.equal(await balanceOf(pos, 'dan'), 0);
  t.equal(await balanceOf(pos, 'carol'), 300);

  await sys.goOffline();
  const queued = await award(pos, 'offline-1', 'carol');
  t.match(queued, { ok: true, result: { status: 'queued', txn_id: 'offline-1' } });
  t.notOk(queued.ok && 'instant_spend_amount' in (queued.result as object), 'no reduction for the POS to deduct');

  await sys.broker.restart();
  await sys.waitOnline();
  await outboxDrained(pos);
  t.equal(await balanceOf(pos, 'carol'), 350, 'earned the award; paid for no reduction it never got');
  t.match(await award(pos, 'offline-1', 'carol'), {
    ok: true, result: { status: 'awarded', award_amount: 50, instant_spend_amount: 0, automatic_spend_amount: 0, total_spend_amount: 0, balance: { amount: 350 } },
  }, 'the repeat reports what the host applied');
  t.equal(await balanceOf(pos, 'carol'), 350, 'applied once');
});

t.test('host silent: an award queued after request_timeout_ms takes no reductions when delivered', async (t) => {
  const sys = await startSystem(t, { startHost: false, hostConfig: { seed: await seedFile(t) }, agent: { uplink: { request_timeout_ms: 300 } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await award(pos, 'late-1', 'erin'), { ok: true, result: { status: 'queued' } });
  await sys.startHost();
  await outboxDrained(pos);
  t.equal(await balanceOf(pos, 'erin'), 350);
  t.match(await award(pos, 'late-1', 'erin'), { ok: true, result: { status: 'awarded', instant_spend_amount: 0, automatic_spend_amount: 0, balance: { amount: 350 } } });
});
