// The device manager built from validated config entries: virtual scanner, card reader and
// printer (previews written as .txt/.png), a real pty scanner, and a serial device that is
// not there — which must not disturb the others.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import t from 'tap';
import { devicesConfigSchema } from '../../drivers/config.ts';
import { DeviceManager } from '../../drivers/device-manager.ts';
import type { DeviceEvent, ScanErrorEvent, ScanEvent } from '../../drivers/types.ts';
import { silentDriverLogger } from '../../drivers/types.ts';
import { startPty } from '../helpers/pty.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('devices from config: events, list(), inject, previews, stop', async (t) => {
  const dir = await tempDir(t, 'till-devices-');
  const pty = await startPty(t);
  const devices = devicesConfigSchema.parse([
    { name: 'kbd-scanner', kind: 'barcode-scanner', transport: 'virtual' },
    { name: 'kbd-msr', kind: 'card-reader', transport: 'virtual', terminator: 'cr' },
    { name: 'scanner', kind: 'barcode-scanner', transport: 'serial', path: pty.device, terminator: 'crlf' },
    { name: 'gone', kind: 'barcode-scanner', transport: 'serial', path: join(dir, 'no-such-tty') },
    { name: 'demo-printer', kind: 'printer', transport: 'virtual', width: 32, code_page: 'cp858' },
  ]);
  const manager = new DeviceManager({ devices, log: silentDriverLogger, previewDir: join(dir, 'receipts'), backoff: { initialMs: 20, maxMs: 100 } });
  const scans: ScanEvent[] = [];
  const errors: ScanErrorEvent[] = [];
  const deviceEvents: DeviceEvent[] = [];
  manager.on('scan', (e) => scans.push(e));
  manager.on('scan_error', (e) => errors.push(e));
  manager.on('device', (e) => deviceEvents.push(e));
  manager.on('scan', () => { throw new Error('a broken listener'); }); // isolated: others still get events
  t.teardown(() => manager.stop());
  manager.start();

  await waitFor(() => manager.list().filter((d) => d.state === 'ready').length === 4, { what: 'four devices ready' });
  await waitFor(() => manager.list().find((d) => d.name === 'gone')?.state === 'offline');
  t.match(manager.list(), [
    { name: 'kbd-scanner', kind: 'barcode-scanner', transport: 'virtual', target: 'virtual kbd-scanner', state: 'ready' },
    { name: 'kbd-msr', kind: 'card-reader', state: 'ready' },
    { name: 'scanner', transport: 'serial', target: pty.device, state: 'ready' },
    { name: 'gone', state: 'offline', reason: /ENOENT|No such file/ },
    { name: 'demo-printer', kind: 'printer', state: 'ready', queued: 0 },
  ]);

  t.ok(manager.inject('kbd-scanner', ']E04006381333931'));
  t.ok(manager.inject('kbd-msr', ';6006491234567890?'));
  t.ok(manager.inject('kbd-msr', '%B4111111111111111^DOE/JOHN^2512101?'));
  t.notOk(manager.inject('demo-printer', 'x'), 'printers take no input');
  t.notOk(manager.inject('scanner', 'x'), 'only virtual readers can be fed');
  const end = await pty.openPeer();
  await end.write('T1-42\r\n');
  await waitFor(() => scans.length === 4, { what: 'four scans' });
  t.match(scans, [
    { device: 'kbd-scanner', kind: 'barcode', data: '4006381333931', symbology: 'ean13' },
    { device: 'kbd-msr', kind: 'card', data: '6006491234567890' },
    { device: 'kbd-msr', kind: 'payment_card', masked: '411111******1111' },
    { device: 'scanner', kind: 'barcode', data: 'T1-42' },
  ]);
  t.notOk(JSON.stringify(scans).includes('4111111111111111'));

  const printer = manager.printer();
  t.equal(printer?.name, 'demo-printer');
  t.equal(manager.printer('scanner'), undefined);
  if (!printer) return;
  t.equal(printer.width, 32);
  await printer.print(printer.job().align('center').bold().line('Crêperie').bold(false).line('Total 4,50 €').qr('T1-42').cut().build());
  await printer.openDrawer();
  const files = (await readdir(join(dir, 'receipts'))).sort();
  t.equal(files.length, 2, 'one .txt and one .png; the drawer kick prints nothing');
  const txt = files.find((f) => f.endsWith('.txt')) ?? '';
  t.match(txt, /demo-printer-0001\.txt$/);
  t.equal(await readFile(join(dir, 'receipts', txt), 'utf8'), '            Crêperie\n          Total 4,50 €\n           [QR T1-42]\n- - - - - - - - - - - - - - - -\n');
  const png = PNG.sync.read(await readFile(join(dir, 'receipts', txt.replace(/\.txt$/, '.png'))));
  t.equal(png.width, 32 * 12 + 32);

  await manager.stop();
  t.ok(manager.list().every((d) => d.state === 'stopped'));
  t.same(deviceEvents.filter((e) => e.device === 'gone').map((e) => e.state), ['connecting', 'offline', 'stopped']);
  t.same(errors, []);
});
