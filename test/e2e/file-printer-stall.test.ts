// A device-file printer (transport: file, /dev/usb/lp0) that takes no bytes — usblp while the
// printer is stalled (paper out, powered off), or a named pipe nobody reads — must never stall
// the agent. Its open and writes run on libuv's threadpool, which the outbox's fsync (every
// money answer) and all fs calls share: a call blocked in the kernel holds a thread for good.
// The agent runs with UV_THREADPOOL_SIZE=1, so one such call stalls everything at once, as four
// do on a till. A FIFO plays the device: real pipe semantics, no kernel module needed.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { PosClient } from '../helpers/pos-client.ts';
import { startSystem, type System } from '../helpers/system.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const ONE_THREAD = { UV_THREADPOOL_SIZE: '1' };
// Awarded, or queued when the host is slow to answer (a loaded machine): either way the answer came,
// so the award's fsync did.
const ANSWERED = { ok: true, result: { status: /^(awarded|queued)$/ } };
const basket = { currency: 'EUR', total: 300, items: [{ sku: 'COFFEE', qty: 1, unit_price: 300, amount: 300 }] };

async function fifo(t: Test): Promise<string> {
  const path = join(await tempDir(t, 'till-lp-'), 'lp0');
  execFileSync('mkfifo', [path]);
  return path;
}

const printerState = async (pos: PosClient, name: string) => {
  const r = await pos.request('devices.list');
  if (!r.ok) return undefined;
  return (r.result as { devices: Array<{ name: string; state: string; reason?: string }> }).devices.find((d) => d.name === name);
};

async function stopsCleanly(t: Test, sys: System) {
  sys.agent.child.kill('SIGTERM');
  const exit = await Promise.race([sys.agent.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 8000))]);
  t.match(exit, { code: 0 }, 'SIGTERM: the agent exits 0 (no thread left blocked in the device)');
}

t.test('a device file that cannot be opened yet (a FIFO without a reader): offline, and the agent carries on', async (t) => {
  const lp = await fifo(t);
  const sys = await startSystem(t, {
    agentEnv: ONE_THREAD,
    agent: { devices: [{ name: 'lp0', kind: 'printer', transport: 'file', path: lp }] },
  });
  const pos = await sys.pos();
  const lp0 = await waitFor(async () => {
    const d = await printerState(pos, 'lp0');
    return d?.state === 'offline' ? d : undefined;
  }, { what: 'lp0 offline' });
  t.match(lp0.reason, /ENXIO/, 'the reason says the device is not there');
  t.match(await pos.request('award', { txn_id: 'fifo-1', customer_id: 'alice', basket }), ANSWERED,
    'a money request is answered (its fsync is not stuck behind the open)');
  await stopsCleanly(t, sys);
});

t.test('a device file that stops taking bytes mid-job: awards are answered, the agent stops', async (t) => {
  const lp = await fifo(t);
  // The printer's end, open but never read: once the pipe's 64 KiB are full, writes cannot go on.
  const reader = await open(lp, constants.O_RDONLY | constants.O_NONBLOCK);
  t.teardown(() => reader.close());
  const sys = await startSystem(t, {
    agentEnv: ONE_THREAD,
    agent: { devices: [{ name: 'lp0', kind: 'printer', transport: 'file', path: lp }] },
  });
  const pos = await sys.pos();
  await waitFor(async () => (await printerState(pos, 'lp0'))?.state === 'ready', { what: 'lp0 ready' });
  // ~50 KB of ESC/POS per receipt: the second one fills the pipe.
  const name = 'Long article name '.repeat(8);
  const document = { currency: 'EUR', items: Array.from({ length: 300 }, () => ({ name, amount: 1 })), total: 300 };
  t.match(await pos.request('receipt.print', { job_id: 'big-1', document }), { ok: true, result: { status: 'sent' } });
  const stalled = pos.request('receipt.print', { job_id: 'big-2', document });
  stalled.catch(() => undefined);
  // big-2 is being written (recorded `printing`: a repeat answers `queued`, duplicate) and cannot finish.
  const other = await sys.pos();
  await waitFor(async () => {
    const r = await other.request('receipt.print', { job_id: 'big-2', document });
    return r.ok && (r.result as { duplicate?: boolean; status: string }).duplicate && (r.result as { status: string }).status === 'queued';
  }, { what: 'big-2 on its way to the printer' });
  t.match(await pos.request('award', { txn_id: 'fifo-2', customer_id: 'alice', basket }), ANSWERED,
    'a money request is answered while the printer takes nothing');
  await stopsCleanly(t, sys);
});
