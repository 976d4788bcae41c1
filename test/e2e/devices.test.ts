// The agent with real devices: scanner and card reader on socat pseudo-terminals, a receipt
// printer behind a real TCP listener that answers DLE EOT, all driven through the POS socket.
import t from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { interpret } from '../../drivers/escpos-interpreter.ts';
import { printerServer, type PrinterServer } from '../helpers/printer-server.ts';
import { freePort } from '../helpers/ports.ts';
import { startPty } from '../helpers/pty.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const printed = (s: PrinterServer) => interpret(Buffer.concat(s.peers.map((p) => p.jobBytes())), { columns: 42 }).lines;
const PAN = '4111111111111111';

t.test('scans, identify on scan, payment cards masked, receipts with the loyalty section', async (t) => {
  const scanner = await startPty(t);
  const msr = await startPty(t);
  const printer = await printerServer(t, await freePort());
  const sys = await startSystem(t, {
    agent: {
      devices: [
        { name: 'scanner0', kind: 'barcode-scanner', transport: 'serial', path: scanner.device, baud: 9600 },
        { name: 'msr0', kind: 'card-reader', transport: 'serial', path: msr.device },
        { name: 'printer0', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: printer.port, width: 42, code_page: 'cp858', queue_timeout_ms: 20000 },
      ],
      identify_on_scan: { pattern: '^600649\\d{10}$' },
    },
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('events.subscribe', { topics: ['scan', 'scan_error', 'identified', 'device', 'print'] }), { ok: true });
  await waitFor(async () => {
    const r = await pos.request('devices.list');
    return r.ok && (r.result as { devices: Array<{ state: string }> }).devices.every((d) => d.state === 'ready');
  }, { what: 'all devices ready' });

  // A loyalty card scanned as a barcode identifies the customer by itself.
  const scanEnd = await scanner.openPeer();
  await scanEnd.write('6006490000000001\r\n');
  t.match((await pos.waitForEvent('scan')).data, { device: 'scanner0', kind: 'barcode', data: '6006490000000001' });
  t.match((await pos.waitForEvent('identified')).data, { device: 'scanner0', customer: { id: 'alice', balance: { amount: 1000 } }, stale: false });

  // A payment card swiped on the card reader: only the masked number, anywhere.
  const msrEnd = await msr.openPeer();
  await msrEnd.write(`%B${PAN}^DOE/JOHN^2512101000000000000?;${PAN}=25121010000000000000?\r`);
  const masked = await pos.waitForEvent('scan', (d) => (d as { kind: string }).kind === 'payment_card');
  t.same(Object.keys(masked.data as object).sort(), ['at', 'device', 'kind', 'masked']);
  t.match(masked.data, { device: 'msr0', masked: '411111******1111' });
  await msrEnd.write(';6006490000000002?\r');
  t.match((await pos.waitForEvent('scan', (d) => (d as { kind: string }).kind === 'card')).data, { data: '6006490000000002' });
  await msrEnd.write('%B4111^garbage\r');
  t.match((await pos.waitForEvent('scan_error', undefined, 5000)).data, { device: 'msr0' });

  // A sale, then its receipt with the loyalty section, decoded back line by line.
  const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000 }] };
  t.match(await pos.request('award', { txn_id: 'sale-p1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded' } });
  const doc = { currency: 'EUR', header: ['Café Zürich'], items: [{ name: 'Kaffee', qty: 2, amount: 2000 }], total: 2000, payments: [{ method: 'Bar €', amount: 2000 }], footer: ['Danke, señor!'] };
  const print = await pos.request('receipt.print', { txn_id: 'sale-p1', document: doc, open_drawer: true });
  t.match(print, { ok: true, result: { status: 'printed', printer: 'printer0', loyalty: true } });
  const lines = printed(printer);
  t.ok(lines.includes('Café Zürich'), 'é and ü in CP858');
  t.ok(lines.some((l) => /^Bar € +20\.00 EUR$/.test(l)), '€ in CP858');
  t.ok(lines.some((l) => l.includes('Danke, señor!')), 'ñ');
  t.ok(lines.some((l) => /LOYALTY/.test(l)));
  t.ok(lines.some((l) => /^Customer: Alice Martin$/.test(l)));
  t.ok(lines.some((l) => /^Awarded +2\.00 EUR$/.test(l)));
  t.ok(lines.some((l) => /^New balance +12\.00 EUR$/.test(l)));
  t.ok(lines.includes('[QR sale-p1]'), 'QR code of the txn');
  t.ok(interpret(printer.peers.at(-1)!.jobBytes()).blocks.some((b) => b.type === 'drawer'), 'drawer kicked');

  // Printer status, then paper out: a job that cannot print fails with a reason.
  t.match(await pos.request('printer.status'), { ok: true, result: { printer: 'printer0', state: 'ready', status: { paper_out: false } } });
  for (const p of printer.peers) p.condition = 'paper_out';
  t.match(await pos.request('receipt.print', { document: doc }), { ok: false, error: { code: 'PRINTER_ERROR', message: /paper_out/ } });
  for (const p of printer.peers) p.condition = 'ok';

  // The printer is unplugged: the job is queued, the POS told so, and it prints on return.
  await printer.close();
  await pos.waitForEvent('device', (d) => (d as { device: string; state: string }).device === 'printer0' && (d as { state: string }).state === 'offline', 15_000);
  const queued = await pos.request('receipt.print', { document: { ...doc, header: ['Queued receipt'] } });
  t.match(queued, { ok: true, result: { status: 'queued', printer: 'printer0' } });
  // A job id the till made up, which the POS may send back (a reprint): no digit, never read as a card number.
  t.match((queued as { result: { job_id: string } }).result.job_id, /^[a-p-]+$/, 'the job_id holds no digit');
  await printer.listen();
  await pos.waitForEvent('print', (d) => (d as { status: string; job_id: string }).job_id === (queued as { result: { job_id: string } }).result.job_id, 30_000);
  t.ok(printed(printer).includes('Queued receipt'), 'the queued job printed after reconnect');

  // Never in the socket output, the logs or the till's SQLite files.
  sys.agent.child.kill('SIGTERM');
  await sys.agent.exited;
  t.notOk(JSON.stringify(pos.events).includes(PAN), 'no PAN on the socket');
  t.notOk(JSON.stringify(pos.events).includes('DOE/JOHN'), 'no cardholder name on the socket');
  t.notOk(sys.agent.output().includes(PAN), 'no PAN in the logs');
  t.notOk(sys.agent.output().includes('DOE/JOHN'), 'no cardholder name in the logs');
  const dataDir = join(sys.dir, 'agent-data');
  for (const file of await readdir(dataDir)) {
    if (file === 'receipts') continue;
    const bytes = await readFile(join(dataDir, file));
    t.notOk(bytes.includes(PAN), `no PAN in ${file}`);
  }
});
