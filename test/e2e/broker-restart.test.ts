// A broker SIGKILLed and restarted from its persistence file, with a host that keeps a
// persistent session (uplink.client_id set). mosquitto 2.0 restores the session but not its
// `$share/…` subscription, so both sides must subscribe again on every connect, whatever
// the broker's "session present" flag says.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PosClient } from '../helpers/pos-client.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const basket = (total: number) => ({ currency: 'EUR', total, items: [{ sku: 'COFFEE', qty: 1, unit_price: total, amount: total }] });
const AGENT_ID = 'till-M1-S1-T1';
const HOST_ID = 'host-restart-a';

async function pending(pos: PosClient): Promise<number> {
  const r = await pos.request('status');
  if (!r.ok) throw new Error('status failed');
  return (r.result as { outbox: { pending: number } }).outbox.pending;
}

t.test('broker SIGKILLed and restarted: a host with a persistent session serves requests again', async (t) => {
  const sys = await startSystem(t, {
    hostConfig: { uplink: { client_id: HOST_ID } },
    agent: { uplink: { request_timeout_ms: 1000 } },
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('award', { txn_id: 'before', customer_id: 'alice', basket: basket(1000) }),
    { ok: true, result: { status: 'awarded', balance: { amount: 1100 } } });

  // Both sessions must be in the persistence file, or the restart would not resume them.
  const db = join(sys.broker.dir, 'data', 'mosquitto.db');
  await waitFor(async () => {
    const bytes = await readFile(db).catch(() => Buffer.alloc(0));
    return bytes.includes(HOST_ID) && bytes.includes(AGENT_ID);
  }, { what: 'both sessions saved by mosquitto' });

  const host = sys.host!;
  const subscribedBefore = host.lines().filter((l) => l.msg === 'consumer subscribed').length;
  await sys.broker.kill();
  await sys.broker.restart();
  await host.waitForLog(() => host.lines().filter((l) => l.msg === 'consumer subscribed').length > subscribedBefore, 'host reconnected', 20_000);
  await sys.waitOnline();

  const after = await pos.request('award', { txn_id: 'after', customer_id: 'alice', basket: basket(1000) });
  t.match(after, { ok: true }, 'the award is accepted (awarded, or queued if the first send raced the reconnect)');
  await waitFor(async () => (await pending(pos)) === 0, { what: 'the award delivered and answered by the host', timeout: 20_000 });
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000001' }),
    { ok: true, result: { customer: { balance: { amount: 1200 } } } }, 'applied once by the host');

  // And again after a second restart, so the fix does not depend on the session being new.
  await sys.broker.kill();
  await sys.broker.restart();
  await sys.waitOnline();
  await pos.request('award', { txn_id: 'again', customer_id: 'alice', basket: basket(1000) });
  await waitFor(async () => (await pending(pos)) === 0, { what: 'the third award answered', timeout: 20_000 });
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000001' }),
    { ok: true, result: { customer: { balance: { amount: 1300 } } } });
});
