// An agent and host (startSystem) with a ready network printer on a real TCP listener, and
// receipt(txn, total): the sale's receipt printed through the POS socket, read back as text lines.
import type { Test } from 'tap';
import { interpret } from '../../drivers/escpos-interpreter.ts';
import { freePort } from './ports.ts';
import { printerServer } from './printer-server.ts';
import { startSystem, type SystemOptions } from './system.ts';
import { waitFor } from './wait.ts';

export async function tillWithPrinter(t: Test, options: Pick<SystemOptions, 'hostConfig'> = {}) {
  const printer = await printerServer(t, await freePort());
  const sys = await startSystem(t, {
    ...options,
    agent: { devices: [{ name: 'printer0', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: printer.port, confirm_timeout_ms: 1000, poll_ms: 100 }] },
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  await waitFor(async () => {
    const r = await pos.request('devices.list');
    return r.ok && (r.result as { devices: Array<{ state: string }> }).devices.every((d) => d.state === 'ready');
  }, { what: 'printer ready' });
  /** Prints the receipt of sale `txn` (one item of `total` in EUR); the lines of this receipt only. */
  const receipt = async (txn: string, total: number) => {
    const before = printer.peers.length === 0 ? 0 : Buffer.concat(printer.peers.map((p) => p.jobBytes())).length;
    t.match(await pos.request('receipt.print', { txn_id: txn, document: { currency: 'EUR', items: [{ name: 'Coffee', amount: total }], total } }), { ok: true, result: { status: 'printed', loyalty: true } });
    return interpret(Buffer.concat(printer.peers.map((p) => p.jobBytes())).subarray(before), { columns: 42 }).lines;
  };
  return { sys, pos, printer, receipt };
}
