// The technician's device commands against a running system: a virtual scanner and card reader,
// a network printer behind a real TCP listener. scan, scan-test, print-test, receipt preview,
// ports and doctor, each as a real process.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { interpret } from '../../drivers/escpos-interpreter.ts';
import { freePort } from '../helpers/ports.ts';
import { printerServer } from '../helpers/printer-server.ts';
import { startProcess } from '../helpers/processes.ts';
import { cli } from '../helpers/cli.ts';
import { startSystem } from '../helpers/system.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';



const PAN = '4111111111111111';

t.test('scan, scan-test, print-test, receipt preview and doctor against a running agent', async (t) => {
  const printer = await printerServer(t, await freePort());
  const sys = await startSystem(t, {
    agent: {
      devices: [
        { name: 'scanner0', kind: 'barcode-scanner', transport: 'virtual' },
        { name: 'msr0', kind: 'card-reader', transport: 'virtual' },
        { name: 'printer0', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: printer.port, width: 42, code_page: 'cp858' },
      ],
      identify_on_scan: { pattern: '^600649\\d{10}$' },
    },
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('events.subscribe', { topics: ['scan', 'identified'] }), { ok: true });
  await waitFor(async () => {
    const r = await pos.request('devices.list');
    return r.ok && (r.result as { devices: Array<{ state: string }> }).devices.every((d) => d.state === 'ready');
  }, { what: 'all devices ready' });
  const config = sys.agentConfig;

  await t.test('scan: the POS gets the scan event, and identify_on_scan identifies', async (t) => {
    const r = await cli('scan', '6006490000000001', '--config', config);
    t.equal(r.code, 0, r.out);
    t.match(r.out, /scanned on scanner0/);
    t.match((await pos.waitForEvent('scan')).data, { device: 'scanner0', kind: 'barcode', data: '6006490000000001' });
    t.match((await pos.waitForEvent('identified')).data, { device: 'scanner0', customer: { id: 'alice' } });
    t.match(await cli('scan', 'X1', '--device', 'printer0', '--tcp', `127.0.0.1:${sys.agentPort}`), { code: 1, out: /NOT_FOUND: no virtual reader named printer0/ });
    const usage = await cli('scan', '--config', config);
    t.equal(usage.code, 2, `no DATA: usage error (output: ${usage.out})`);
  });

  await t.test('scan-test prints scans made meanwhile, payment cards masked, and stops after --seconds', async (t) => {
    const watcher = startProcess(t, ['scan-test', '--config', config, '--seconds', '3']);
    // A new process connecting and asking twice: seconds under a loaded CI machine (once it said
    // nothing for 10 s); what it printed and whether it still runs tell a hang from a slow start.
    const started = Date.now();
    await waitFor(() => watcher.output().includes('listening for scans'), {
      timeout: 30_000,
      what: () => `scan-test ready (after ${Date.now() - started} ms: exit ${watcher.child.exitCode ?? watcher.child.signalCode ?? 'not yet'}, its output so far: ${JSON.stringify(watcher.output())})`,
    });
    t.match(watcher.output(), /readers: scanner0 \(barcode-scanner, ready\), msr0 \(card-reader, ready\)/);
    t.match(await pos.request('devices.scan', { device: 'scanner0', data: '6006490000000002' }), { ok: true });
    t.match(await pos.request('devices.scan', { device: 'msr0', data: `%B${PAN}^DOE/JOHN^2512101000000000000?;${PAN}=25121010000000000000?` }), { ok: true });
    t.match(await pos.request('devices.scan', { device: 'msr0', data: '%B4111^garbage' }), { ok: true });
    // A card read by the barcode scanner (track data typed by a combined reader) is masked as well.
    t.match(await pos.request('devices.scan', { device: 'scanner0', data: `%B${PAN}^DOE/JOHN^2512101000000000000?` }), { ok: true });
    const exit = await watcher.exited;
    const out = watcher.output();
    t.equal(exit.code, 0, out);
    t.match(out, /scan\s+scanner0\s+barcode\s+6006490000000002/);
    t.match(out, /identified\s+scanner0\s+Bob Stone \(bob\), balance 3\.00 EUR/);
    t.match(out, /scan\s+msr0\s+payment card 411111\*{6}1111 \(masked/);
    t.match(out, /scan\s+scanner0\s+payment card 411111\*{6}1111 \(masked/);
    t.match(out, /scan_error\s+msr0\s+unreadable: \w+/);
    t.notOk(out.includes(PAN), 'the card number never appears');
    t.notOk(out.includes('DOE/JOHN'), 'nor the cardholder name');
  });

  await t.test('print-test prints code pages, rulers and a QR; paper out is an error with its reason', async (t) => {
    const before = printer.peers.length;
    const r = await cli('print-test', '--config', config, '--drawer');
    t.equal(r.code, 0, r.out);
    t.match(r.out, /✔ printed on printer0 \(job [^)]+\), drawer kicked/);
    const job = interpret(printer.peers.at(-1)!.jobBytes(), { columns: 42 });
    const lines = job.lines;
    t.ok(lines.some((l) => /^Euro sign: € +1\.00 EUR$/.test(l)), `€ in CP858:\n${lines.join('\n')}`);
    t.ok(lines.some((l) => l.startsWith('German: Grüße aus Zürich, Straße')), 'ü ß');
    t.ok(lines.some((l) => l.startsWith('2 x Spanish: Año, señor, niño')), 'ñ');
    t.ok(lines.some((l) => l.startsWith('French: café, élève, garçon')), 'é');
    t.ok(lines.includes('42:------1---------2---------3---------4-|'), 'the 42-column ruler fits on one line');
    t.notOk(lines.some((l) => l.startsWith('48:') && l.endsWith('|')), 'the 48-column ruler does not');
    t.ok(lines.some((l) => /^\[QR print-test-\d+\]$/.test(l)), 'a QR code');
    t.ok(job.blocks.some((b) => b.type === 'drawer'), 'drawer kicked');
    t.equal(printer.peers.length, before, 'through the agent\'s own connection');

    for (const p of printer.peers) p.condition = 'paper_out';
    const failed = await cli('print-test', '--tcp', `127.0.0.1:${sys.agentPort}`, '--printer', 'printer0');
    for (const p of printer.peers) p.condition = 'ok';
    t.equal(failed.code, 1, failed.out);
    t.match(failed.out, /✖ PRINTER_ERROR \(paper_out\): .*\n\s+hint: load a paper roll/);
    t.match(await cli('print-test', '--config', config, '--printer', 'nope'), { code: 1, out: /✖ NOT_FOUND: no printer named nope/ });
  });

  await t.test('receipt preview renders a sale with its loyalty section to PNG and text, read-only', async (t) => {
    const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', name: 'Kaffee Spezial', qty: 2, unit_price: 1000, amount: 2000 }] };
    t.match(await pos.request('award', { txn_id: 'sale-r1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded' } });
    const dir = await tempDir(t);
    const out = join(dir, 'sale.png');
    const r = await cli('receipt', 'preview', '--txn', 'sale-r1', '--config', config, '--out', out);
    t.equal(r.code, 0, r.out);
    t.match(r.out, new RegExp(`image  ${out}`));
    const png = await readFile(out);
    t.ok(png.length > 1000, 'a non-empty image');
    t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    const text = await readFile(join(dir, 'sale.txt'), 'utf8');
    t.match(text, /2 x Kaffee Spezial +20\.00 EUR/);
    t.match(text, /LOYALTY/);
    t.match(text, /Customer: Alice Martin/);
    t.match(text, /Awarded +2\.00 EUR/);
    t.match(text, /New balance +12\.00 EUR/);
    t.match(text, /\[QR sale-r1\]/);
    t.match(await cli('receipt', 'preview', '--txn', 'no-such-sale', '--config', config, '--out', join(dir, 'x.png')),
      { code: 1, out: /NOT_FOUND: no sale with txn_id "no-such-sale"/ });
    t.equal((await cli('receipt', 'preview', '--config', config)).code, 2, 'no --txn: usage error');
  });

  await t.test('doctor with the agent running: the TCP printer is checked through the agent, not beside it', async (t) => {
    const before = printer.peers.length;
    const r = await cli('doctor', '--config', config, '--timeout-ms', '3000');
    t.equal(r.code, 0, r.out);
    t.match(r.out, /✔ device printer0\s+127\.0\.0\.1:\d+: printer ready \(asked the running agent\)/);
    t.match(r.out, /✔ device scanner0\s+virtual/);
    t.equal(printer.peers.length, before, 'no second connection to the printer');
  });
});

t.test('ports --json: serial ports and USB printers as arrays, without an agent', async (t) => {
  const r = await cli('ports', '--json');
  t.equal(r.code, 0, r.out);
  const listed = JSON.parse(r.out) as { serial_ports: unknown[]; usb_printers: unknown[] };
  t.ok(Array.isArray(listed.serial_ports));
  t.ok(Array.isArray(listed.usb_printers));
  const human = await cli('ports');
  t.match(human.out, /^Serial ports:\n/);
  t.match(human.out, /\nUSB printers:\n/);
});
