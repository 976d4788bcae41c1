// Keyboard-wedge readers (transport evdev) fed real 64-bit `struct input_event` records through a
// FIFO (mkfifo). Not uinput: this kernel has no CONFIG_INPUT_UINPUT and there is no /dev/uinput
// or /dev/input here, so no real evdev node can be created. A FIFO cannot be grabbed (EVIOCGRAB
// on it is ENOTTY): these readers run with `grab: false`, and the test asserts that `grab: true`
// on a FIFO is reported as a device error naming the cause. The grab itself is exercised in
// evdev-grab.test.ts against a real evdev node wherever one exists.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { createLogger } from '../../runtime/log.ts';
import { createCardReader } from '../../drivers/card-reader.ts';
import { DriverEvents } from '../../drivers/emitter.ts';
import { EV_SYN, SYN_DROPPED } from '../../drivers/evdev-events.ts';
import type { Layout } from '../../drivers/evdev-keymap.ts';
import type { Terminator } from '../../drivers/line-reader.ts';
import { createBarcodeScanner } from '../../drivers/scanner.ts';
import { evdevTransport } from '../../drivers/transports/evdev.ts';
import type { DeviceEvent, Reader, ScanErrorEvent, ScanEvent } from '../../drivers/types.ts';
import { records, typeText } from '../helpers/evdev-keyboard.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const mkfifo = (path: string) => promisify(execFile)('mkfifo', ['-m', '0600', path]);

interface Rig {
  reader: Reader;
  scans: ScanEvent[];
  errors: ScanErrorEvent[];
  device: DeviceEvent[];
  log: string[];
  /** Writes records into the FIFO (the "scanner"), opening the write end on first use. */
  type(text: string): Promise<void>;
  write(bytes: Buffer): Promise<void>;
  unplug(): Promise<void>;
  replug(): Promise<void>;
}

async function rig(t: { teardown(fn: () => unknown): void }, options: { kind?: 'scanner' | 'card'; layout?: Layout; grab?: boolean; terminator?: Terminator } = {}): Promise<Rig> {
  const dir = await tempDir(t, 'till-evdev-');
  const path = join(dir, 'usb-Honeywell_1900-event-kbd');
  await mkfifo(path);
  const layout = options.layout ?? 'us';
  const log: string[] = [];
  const logger = createLogger({ level: 'trace', name: 'test' }, { write: (line: string) => { log.push(line); } });
  const events = new DriverEvents(logger);
  const scans: ScanEvent[] = [];
  const errors: ScanErrorEvent[] = [];
  const device: DeviceEvent[] = [];
  events.on('scan', (e) => scans.push(e));
  events.on('scan_error', (e) => errors.push(e));
  events.on('device', (e) => device.push(e));
  const common = {
    name: 'wedge', transport: evdevTransport({ path, layout, grab: options.grab ?? false, watchMs: 50 }), emit: events.emit, log: logger,
    terminator: options.terminator ?? 'auto', idleFlushMs: 400, backoff: { initialMs: 20, maxMs: 100 },
  };
  const reader = options.kind === 'card' ? createCardReader(common) : createBarcodeScanner(common);
  let writer: FileHandle | undefined;
  t.teardown(async () => { await reader.stop(); await writer?.close(); });
  reader.start();
  const write = async (bytes: Buffer) => {
    // O_NONBLOCK: opening the write end fails (ENXIO) rather than hangs if the driver is not reading.
    writer ??= await open(path, constants.O_WRONLY | constants.O_NONBLOCK);
    await writer.write(bytes);
  };
  return {
    reader, scans, errors, device, log, write,
    type: (text) => write(records(typeText(layout, text))),
    async unplug() { await writer?.close(); writer = undefined; await rm(path); },
    async replug() { await mkfifo(path); },
  };
}

t.test('a wedge scanner in each layout: AIM identifiers, Enter terminator, partial records across writes', async (t) => {
  for (const layout of ['us', 'uk', 'de', 'fr'] as const) {
    const r = await rig(t, { layout });
    await waitFor(() => r.reader.state() === 'ready', { what: `${layout} ready` });
    await r.type(']E04006381333931\r]C0T1-2026/000_123\r');
    const bytes = records(typeText(layout, ']Q1https://example.com/c/42?x=1\r'));
    await r.write(bytes.subarray(0, 100)); // a record split between two writes
    await r.write(bytes.subarray(100));
    await waitFor(() => r.scans.length === 3, { what: `${layout}: three scans (${JSON.stringify(r.errors)})` });
    t.same(r.scans.map((s) => [s.data, s.symbology]), [
      ['4006381333931', 'ean13'], ['T1-2026/000_123', 'code128'], ['https://example.com/c/42?x=1', 'qr'],
    ], layout);
    t.match(r.scans[0], { device: 'wedge', kind: 'barcode' });
  }
});

t.test('Tab terminator', async (t) => {
  const r = await rig(t, { terminator: 'tab' });
  await waitFor(() => r.reader.state() === 'ready');
  await r.type('ABC-1\tXYZ\t');
  await waitFor(() => r.scans.length === 2);
  t.same(r.scans.map((s) => s.data), ['ABC-1', 'XYZ']);
});

t.test('payment cards typed by a wedge scanner or a keyboard-mode MSR leave the driver masked only', async (t) => {
  const PAN = '4111111111111111';
  for (const kind of ['scanner', 'card'] as const) {
    const r = await rig(t, { kind, layout: 'de' });
    await waitFor(() => r.reader.state() === 'ready');
    await r.type(`%B${PAN}^DOE/JOHN^2512101000000000000000123?;${PAN}=25121010000000000123?\r`);
    await r.type(`;${PAN}=2512101?\r`);
    await r.type(`;6006491234567890?\r`);
    await waitFor(() => r.scans.length === 3, { what: `${kind}: three scans (${JSON.stringify(r.errors)})` });
    t.match(r.scans, [
      { kind: 'payment_card', masked: '411111******1111' },
      { kind: 'payment_card', masked: '411111******1111' },
      kind === 'card' ? { kind: 'card', data: '6006491234567890' } : { kind: 'barcode', data: ';6006491234567890?' },
    ], kind);
    const everything = JSON.stringify([r.scans, r.errors]) + r.log.join('');
    for (const secret of [PAN, 'DOE/JOHN', '2512101']) t.notOk(everything.includes(secret), `${kind}: never in events or logs: ${secret.slice(0, 4)}…`);
  }
});

t.test('bad input: a scan without Enter, garbage bytes, dropped events', async (t) => {
  const r = await rig(t);
  await waitFor(() => r.reader.state() === 'ready');
  await r.type('12345');                                          // no terminator
  await waitFor(() => r.errors.length === 1, { what: 'incomplete_read' });
  t.equal(r.errors[0]?.reason, 'incomplete_read');
  // Junk records (a real evdev read always returns whole records): unknown types and codes.
  await r.write(Buffer.concat([Buffer.from('this is not an input_event stream: only junk!\n'.padEnd(48, '.')), randomBytes(24 * 8)]));
  await r.type('\r');                                             // ends whatever the junk typed
  await r.type('777\r');
  await waitFor(() => r.scans.some((s) => s.data === '777'), { what: `scans flow after garbage ${JSON.stringify([r.scans, r.errors, r.reader.state()])}` });
  const before = r.errors.length;
  await r.type('9876');
  await r.write(records([{ type: EV_SYN, code: SYN_DROPPED, value: 0 }]));
  await r.type('54\r');
  await waitFor(() => r.errors.length === before + 1, { what: 'input_overflow' });
  t.equal(r.errors.at(-1)?.reason, 'input_overflow', 'a line with lost key events is dropped, not emitted short');
  await r.type('888\r');
  await waitFor(() => r.scans.some((s) => s.data === '888'));
  t.notOk(r.scans.some((s) => s.data?.includes('54')), 'nothing of the damaged line came out');
  t.equal(r.reader.state(), 'ready');
});

t.test('unplug (node gone) → offline → replug → ready, scans flow again', async (t) => {
  const r = await rig(t);
  await waitFor(() => r.reader.state() === 'ready');
  await r.type('111\r');
  await waitFor(() => r.scans.length === 1);
  await r.unplug();
  await waitFor(() => r.reader.state() === 'offline', { what: 'offline after unplug' });
  t.match(r.device.at(-1), { state: 'offline', reason: /gone|ENOENT/ });
  await r.replug();
  await waitFor(() => r.reader.state() === 'ready', { what: 'ready after replug' });
  await r.type('333\r');
  await waitFor(() => r.scans.length === 2);
  t.same(r.scans.map((s) => s.data), ['111', '333']);
  t.same(r.device.map((e) => e.state), ['connecting', 'ready', 'offline', 'ready']);
});

t.test('grab: true on a FIFO is a device error naming the cause (ENOTTY: not an evdev device)', async (t) => {
  const r = await rig(t, { grab: true });
  await waitFor(() => r.reader.state() === 'offline', { what: 'offline: cannot grab' });
  t.match(r.reader.reason(), /cannot grab .*EVIOCGRAB failed: ENOTTY.*not an evdev input device/);
  t.match(r.device, [{ state: 'connecting' }, { state: 'offline', reason: /ENOTTY/ }]);
});

t.test('a path that is a regular file or missing is a device error, never a crash', async (t) => {
  const dir = await tempDir(t, 'till-evdev-');
  for (const [path, why] of [[join(dir, 'missing'), /ENOENT/], [join(dir, 'file'), /not a device/]] as const) {
    if (path.endsWith('file')) await (await open(path, 'w')).close();
    const events = new DriverEvents();
    const reader = createBarcodeScanner({ name: 'w', transport: evdevTransport({ path, layout: 'us', grab: false }), emit: events.emit, log: createLogger({ level: 'silent' }), backoff: { initialMs: 20, maxMs: 100 } });
    t.teardown(() => reader.stop());
    reader.start();
    await waitFor(() => reader.state() === 'offline');
    t.match(reader.reason(), why);
  }
});
