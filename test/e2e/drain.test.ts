// 10,000 awards queued while the uplink is down drain in order once it is back,
// read from disk a page at a time (the agent's memory stays bounded).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';
import type { PosClient } from '../helpers/pos-client.ts';

const N = 10_000;
const basket = { currency: 'EUR', total: 100, items: [{ sku: 'COFFEE', qty: 1, unit_price: 100, amount: 100 }] };

function rssKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function pending(pos: PosClient): Promise<number> {
  const r = await pos.request('status');
  return r.ok ? (r.result as { outbox: { pending: number } }).outbox.pending : -1;
}

t.test(`${N} queued awards drain with bounded memory`, async (t) => {
  const sys = await startSystem(t, { startHost: false, agent: { log_level: 'info' } });
  await sys.broker.kill();
  const pos = await sys.pos();
  await waitFor(async () => {
    const r = await pos.request('status');
    return r.ok && !(r.result as { uplink: { connected: boolean } }).uplink.connected;
  }, { what: 'uplink offline' });

  for (let start = 0; start < N; start += 500) {
    const wave = [];
    for (let i = start; i < start + 500; i++) {
      wave.push(pos.request('award', { txn_id: `bulk-${i}`, customer_id: 'alice', basket }, i));
    }
    const answers = await Promise.all(wave);
    if (!answers.every((a) => a.ok && (a.result as { status: string }).status === 'queued')) {
      t.fail(`award wave at ${start} was not all queued`);
      return;
    }
  }
  t.equal(await pending(pos), N, 'all queued on disk');

  const pid = sys.agent.child.pid!;
  const before = rssKiB(pid, 'VmRSS');
  let peak = before;
  await sys.broker.restart();
  await sys.startHost();
  await waitFor(async () => {
    peak = Math.max(peak, rssKiB(pid, 'VmRSS'));
    return (await pending(pos)) === 0;
  }, { what: 'backlog drained', timeout: 180_000, interval: 200 });
  t.comment(`agent RSS before drain ${before} KiB, peak during drain ${peak} KiB`);
  t.ok(peak - before < 96 * 1024, 'drain did not load the backlog into memory');

  const r = await pos.request('identify', { by: 'card', value: '6006490000000001' });
  t.match(r, { ok: true, result: { customer: { balance: { amount: 1000 + N * 10 } } } }, 'each applied exactly once');
});
