// A barcode scanner on a real pseudo-terminal pair (socat): the test writes scans on one end,
// the driver reads the other through the serial transport.
import t from 'tap';
import { createLogger } from '../../runtime/log.ts';
import { DriverEvents } from '../../drivers/emitter.ts';
import type { Terminator } from '../../drivers/line-reader.ts';
import { createBarcodeScanner } from '../../drivers/scanner.ts';
import { serialTransport } from '../../drivers/transports/serial.ts';
import type { DeviceEvent, ScanErrorEvent, ScanEvent } from '../../drivers/types.ts';
import { silentDriverLogger } from '../../drivers/types.ts';
import { startPty, type PtyPair } from '../helpers/pty.ts';
import { waitFor } from '../helpers/wait.ts';

function scanner(t: { teardown(fn: () => unknown): void }, pty: PtyPair, terminator: Terminator, extra: { prefix?: string; suffix?: string } = {},
  log = silentDriverLogger) {
  const events = new DriverEvents();
  const scans: ScanEvent[] = [];
  const errors: ScanErrorEvent[] = [];
  const device: DeviceEvent[] = [];
  events.on('scan', (e) => scans.push(e));
  events.on('scan_error', (e) => errors.push(e));
  events.on('device', (e) => device.push(e));
  const s = createBarcodeScanner({
    name: 'scanner-1', transport: serialTransport({ path: pty.device, baudRate: 9600 }), emit: events.emit, log,
    terminator, idleFlushMs: 300, backoff: { initialMs: 20, maxMs: 200 }, barcode: extra,
  });
  t.teardown(() => s.stop());
  s.start();
  return { s, scans, errors, device, data: () => scans.map((e) => [e.data, e.symbology ?? null]) };
}

t.test('CR, LF and CRLF terminators with AIM identifiers (auto terminator)', async (t) => {
  const pty = await startPty(t);
  const { s, data, scans } = scanner(t, pty, 'auto');
  await waitFor(() => s.state() === 'ready');
  const end = await pty.openPeer();
  await end.write(']E04006381333931\r');
  await end.write(']C0T1-2026-000123\n');
  await end.write(']Q1https://example.com/c/42\r\n');
  await end.write('98765');            // one scan split over two writes
  await end.write('4321\r\n\r\n');      // and empty lines are ignored
  await end.write(']E496385074\r]A0ABC-123\n');
  await waitFor(() => scans.length === 6, { what: 'scans' });
  t.same(data(), [
    ['4006381333931', 'ean13'],
    ['T1-2026-000123', 'code128'],
    ['https://example.com/c/42', 'qr'],
    ['987654321', null],
    ['96385074', 'ean8'],
    ['ABC-123', 'code39'],
  ]);
  t.match(scans[0], { device: 'scanner-1', kind: 'barcode', at: /^\d{4}-\d\d-\d\dT/ });
});

for (const [terminator, sep] of [['cr', '\r'], ['lf', '\n'], ['crlf', '\r\n']] as const) {
  t.test(`explicit ${terminator} terminator, prefix and suffix`, async (t) => {
    const pty = await startPty(t);
    const { s, data, scans } = scanner(t, pty, terminator, { prefix: '\x02', suffix: '#' });
    await waitFor(() => s.state() === 'ready');
    const end = await pty.openPeer();
    await end.write(`\x02]E04006381333931#${sep}\x02plain#${sep}`);
    await waitFor(() => scans.length === 2, { what: `2 scans with ${terminator}` });
    t.same(data(), [['4006381333931', 'ean13'], ['plain', null]]);
  });
}

t.test('a partial scan without terminator is dropped as scan_error after the idle time', async (t) => {
  const pty = await startPty(t);
  const { s, scans, errors } = scanner(t, pty, 'auto');
  await waitFor(() => s.state() === 'ready');
  const end = await pty.openPeer();
  await end.write('12345');
  await waitFor(() => errors.length === 1, { what: 'incomplete_read' });
  t.equal(errors[0]?.reason, 'incomplete_read');
  await end.write('777\r');
  await waitFor(() => scans.length === 1);
  t.equal(scans[0]?.data, '777', 'the dropped partial does not stick to the next scan');
});

t.test('a line longer than 4096 bytes is one too_long error: its tail is never a scan', async (t) => {
  const pty = await startPty(t);
  const log: string[] = [];
  const { s, data, scans, errors } = scanner(t, pty, 'auto', {}, createLogger({ level: 'debug', name: 'test' }, { write: (line: string) => { log.push(line); } }));
  await waitFor(() => s.state() === 'ready');
  const end = await pty.openPeer();
  // A scanner gone wild (or a noisy line): 20,000 bytes, then its terminator, then a real scan.
  await end.write(`${'7'.repeat(20_000)}\r`);
  await end.write('4006381333931\r');
  await waitFor(() => scans.length >= 1, { what: 'the real scan' });
  t.same(errors.map((e) => e.reason), ['too_long'], 'one error for the overlong line');
  t.same(data(), [['4006381333931', null]], 'the real scan only, not the tail of the overlong line');
  // Without a terminator the rest goes at the idle flush, silently too.
  await end.write('8'.repeat(9_000));
  await waitFor(() => log.some((l) => l.includes('rest of an overlong line dropped')), { what: 'the idle flush of the rest' });
  await end.write('96385074\r');
  await waitFor(() => scans.length >= 2, { what: 'the second real scan' });
  t.same(errors.map((e) => e.reason), ['too_long', 'too_long'], 'one error per overlong line, terminated or not');
  t.same(data(), [['4006381333931', null], ['96385074', null]], 'only the real scans');
});

t.test('bytes that are not UTF-8 (a wrong baud rate or parity) are scan_error garbled, and never alter the next scan', async (t) => {
  const pty = await startPty(t);
  const { s, data, scans, errors } = scanner(t, pty, 'auto');
  await waitFor(() => s.state() === 'ready');
  const end = await pty.openPeer();
  await end.write(Buffer.from([0xf8, 0x80, 0x9e, 0x66, 0xe6, 0x0d])); // "4006" at 9600 baud read at 19200, roughly
  await end.write(Buffer.from('Caf\xe9\r', 'latin1'));                     // ISO 8859-1 from a scanner not set to UTF-8
  await end.write('Café 4006381333931\r');                                // UTF-8, untouched by the broken bytes before it
  await waitFor(() => scans.length + errors.length === 3, { what: 'three results' });
  t.same(errors.map((e) => e.reason), ['garbled', 'garbled']);
  t.same(data(), [['Café 4006381333931', null]]);
});

t.test('unplug mid-stream → offline → replug → ready, scans flow again', async (t) => {
  const pty = await startPty(t);
  const { s, scans, device, data } = scanner(t, pty, 'auto');
  await waitFor(() => s.state() === 'ready');
  let end = await pty.openPeer();
  await end.write('111\r');
  await waitFor(() => scans.length === 1);
  await end.write('2222'); // half a scan on the wire when the cable goes
  await pty.kill();
  await waitFor(() => s.state() === 'offline', { what: 'offline after unplug' });
  t.ok(device.at(-1)?.reason, 'offline carries a reason');
  await pty.restart();
  await waitFor(() => s.state() === 'ready', { what: 'ready after replug' });
  end = await pty.openPeer();
  await end.write('333\r');
  await waitFor(() => scans.length === 2);
  t.same(data(), [['111', null], ['333', null]]);
  t.same(device.map((e) => e.state), ['connecting', 'ready', 'offline', 'ready']);
});

t.test('unplugged mid-scan: the partial read is a scan_error (never its bytes), not silence', async (t) => {
  const pty = await startPty(t);
  const log: string[] = [];
  const logger = createLogger({ level: 'trace', name: 'test' }, { write: (line: string) => { log.push(line); } });
  const events = new DriverEvents(logger);
  const scans: ScanEvent[] = [];
  const errors: ScanErrorEvent[] = [];
  const states: string[] = [];
  events.on('scan', (e) => scans.push(e));
  events.on('scan_error', (e) => errors.push(e));
  events.on('device', (e) => states.push(e.state));
  // An idle flush far beyond the test: only the unplug can account for the partial read.
  const s = createBarcodeScanner({
    name: 'scanner-1', transport: serialTransport({ path: pty.device, baudRate: 9600 }), emit: events.emit, log: logger,
    terminator: 'auto', idleFlushMs: 60_000, backoff: { initialMs: 20, maxMs: 200 },
  });
  t.teardown(() => s.stop());
  s.start();
  await waitFor(() => s.state() === 'ready');
  const end = await pty.openPeer();
  const PAN = '4111111111111111';
  // One write: a whole scan and half a card swipe. Once the scan is out, the half is read too.
  await end.write(`111\r%B${PAN}^DOE/JO`);
  await waitFor(() => scans.length === 1, { what: 'the whole scan' });
  await pty.kill();
  await waitFor(() => s.state() === 'offline', { what: 'offline after unplug' });
  await waitFor(() => errors.length === 1, { what: 'scan_error for the partial read' });
  t.match(errors, [{ device: 'scanner-1', reason: 'incomplete_read' }]);
  t.same(Object.keys(errors[0] ?? {}).sort(), ['at', 'device', 'reason'], 'no data in the event');
  t.same(scans.map((e) => e.data), ['111']);
  t.ok(log.some((l) => l.includes('partial read dropped') && l.includes('device gone mid-read')), 'logged with its cause');
  t.notOk(log.some((l) => l.includes(PAN) || l.includes('411111')), 'nothing of the card in the logs');
  t.same(states, ['connecting', 'ready', 'offline']);
});

t.test('a payment card read by a barcode scanner leaves the driver masked only, never in logs', async (t) => {
  const pty = await startPty(t);
  const log: string[] = [];
  const logger = createLogger({ level: 'trace', name: 'test' }, { write: (line: string) => { log.push(line); } });
  const events = new DriverEvents(logger);
  const emitted: unknown[] = [];
  const scans: ScanEvent[] = [];
  const errors: ScanErrorEvent[] = [];
  events.on('scan', (e) => { scans.push(e); emitted.push(e); });
  events.on('scan_error', (e) => { errors.push(e); emitted.push(e); });
  const s = createBarcodeScanner({
    name: 'scanner-1', transport: serialTransport({ path: pty.device, baudRate: 9600 }), emit: events.emit, log: logger,
    terminator: 'auto', idleFlushMs: 300, backoff: { initialMs: 20, maxMs: 200 },
  });
  t.teardown(() => s.stop());
  s.start();
  await waitFor(() => s.state() === 'ready');
  const end = await pty.openPeer();
  const PAN = '4111111111111111';
  await end.write(`%B${PAN}^DOE/JOHN^2512101000000000000000123?;${PAN}=25121010000000000123?\r`); // MSR track data
  await end.write(`;${PAN}=2512101?\r`);             // track 2 only
  await end.write(`${PAN}\r`);                        // a bare PAN (e.g. a card number printed as Code 128)
  await end.write(`]C04111 1111 1111 1111\r`);        // grouped, behind an AIM identifier
  await end.write('%B4111111111111112^DOE/JOHN^2512101?\r'); // a misread card: an error, not a barcode
  await end.write(']E04006381333924\r');              // an EAN-13 that is also Luhn-valid stays a product
  await end.write('6006491234567890\r');              // a loyalty number stays a barcode
  await waitFor(() => scans.length + errors.length === 7, { what: 'seven results' });
  t.match(emitted, [
    { kind: 'payment_card', masked: '411111******1111' },
    { kind: 'payment_card', masked: '411111******1111' },
    { kind: 'payment_card', masked: '411111******1111' },
    { kind: 'payment_card', masked: '411111******1111' },
    { reason: 'invalid_card' },
    { kind: 'barcode', data: '4006381333924', symbology: 'ean13' },
    { kind: 'barcode', data: '6006491234567890' },
  ]);
  for (const e of scans.slice(0, 4)) t.notOk('data' in e, 'no data field on a payment card');
  const everything = JSON.stringify(emitted) + log.join('');
  t.ok(log.length > 0, 'the scanner did log');
  for (const secret of [PAN, '4111 1111', '4111111111111112', 'DOE/JOHN', '2512101']) {
    t.notOk(everything.includes(secret), `never in events or logs: ${secret.slice(0, 4)}…`);
  }
});
