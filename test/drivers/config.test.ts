import t from 'tap';
import { deviceConfigSchema, devicesConfigSchema } from '../../drivers/config.ts';
import { parseWith } from '../../protocol/schema.ts';

const parse = (input: unknown) => parseWith(devicesConfigSchema, input, 'devices');

t.test('a full list with defaults', async (t) => {
  const result = parse([
    { name: 'scanner', kind: 'barcode-scanner', transport: 'serial', path: '/dev/serial/by-id/usb-Honeywell-if00', terminator: 'CRLF', aim: true },
    { name: 'msr', kind: 'card-reader', transport: 'serial', path: '/dev/ttyUSB1', baud: 19200, parity: 'Even', data_bits: 7 },
    { name: 'front', kind: 'printer', transport: 'usb', vendor_id: '0x04b8', product_id: '0e15', code_page: 'CP858', width: 48 },
    { name: 'kitchen', kind: 'printer', transport: 'tcp', host: '10.0.0.5' },
    { name: 'lp', kind: 'printer', transport: 'file', path: '/dev/usb/lp0', code_page: 'cp852', code_page_number: 46 },
    { name: 'demo', kind: 'printer', transport: 'virtual' },
    { name: 'wedge', kind: 'barcode-scanner', transport: 'evdev', path: '/dev/input/by-id/usb-Honeywell-event-kbd', layout: 'DE', terminator: 'tab' },
    { name: 'kbd-msr', kind: 'card-reader', transport: 'evdev', path: '/dev/input/event3', grab: false },
    { name: 'deli', kind: 'scale', transport: 'serial', path: '/dev/till/scale0', data_bits: 7, parity: 'even' },
    { name: 'produce', kind: 'scale', transport: 'serial', path: '/dev/ttyS1', protocol: 'CAS', unit: 'kg', settle_timeout_ms: 5000 },
  ]);
  if (!result.ok) return t.fail(result.errors.join('\n'));
  const [scanner, msr, front, kitchen, lp, , wedge, kbdMsr, deli, produce] = result.value;
  t.match(scanner, { terminator: 'crlf', aim: 'on', baud: 9600, parity: 'none', data_bits: 8, idle_flush_ms: 1000 });
  t.match(msr, { baud: 19200, parity: 'even', data_bits: 7 });
  t.match(front, { vendor_id: 0x04b8, product_id: 0x0e15, code_page: 'cp858', width: 48, queue_max_jobs: 20, queue_timeout_ms: 60_000 });
  t.match(kitchen, { port: 9100, width: 42, code_page: 'cp437' });
  t.match(lp, { code_page: 'cp852', code_page_number: 46 });
  t.match(wedge, { transport: 'evdev', layout: 'de', grab: true, terminator: 'tab' });
  t.match(kbdMsr, { layout: 'us', grab: false });
  t.match(deli, { kind: 'scale', protocol: 'toledo-8217', unit: 'auto', settle_timeout_ms: 3000, answer_timeout_ms: 1000, data_bits: 7, parity: 'even' });
  t.match(produce, { protocol: 'cas', unit: 'kg', settle_timeout_ms: 5000 });
});

t.test('all errors, each naming its key', async (t) => {
  const result = parse([
    { name: 'a', kind: 'barcode-scanner', transport: 'serial' },
    { name: 'b', kind: 'printer', transport: 'usb', vendor_id: 'xyz' },
    { name: 'c', kind: 'card-reader', transport: 'file', path: '/dev/usb/lp0' },
    { name: 'd', kind: 'fax', transport: 'tcp', host: 'h', port: 70000 },
    { name: 'e', kind: 'printer', transport: 'tcp', code_page: 'cp999', colour: true },
    { name: 'a', kind: 'barcode-scanner', transport: 'virtual', terminator: 'nul' },
    { name: 'f/g', kind: 'card-reader', transport: 'usb', vendor_id: 1, product_id: 2 },
  ]);
  t.notOk(result.ok);
  const errors = result.ok ? [] : result.errors;
  const expected = [
    /^devices\[0\]\.path: is required for transport serial/,
    /^devices\[1\]\.vendor_id: must be a 16-bit USB id/,
    /^devices\[2\]\.transport: file is write-only/,
    /^devices\[3\]\.kind: must be one of barcode-scanner, card-reader, printer, scale/,
    /^devices\[3\]\.port: must be at most 65535/,
    /^devices\[4\]\.code_page: must be one of cp437/,
    /^devices\[4\]: unknown key\(s\): colour/,
    /^devices\[5\]\.terminator: must be one of auto, cr, lf, crlf, tab/,
    /^devices\[6\]\.name: must be 1–64 letters/,
  ];
  for (const pattern of expected) t.ok(errors.some((e) => pattern.test(e)), String(pattern), { errors });
});

t.test('cross-field rules', async (t) => {
  const errorsOf = (input: unknown) => {
    const r = deviceConfigSchema().safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  t.match(errorsOf({ name: 'p', kind: 'printer', transport: 'usb' }), [/^vendor_id: is required/, /^product_id: is required/]);
  t.match(errorsOf({ name: 'p', kind: 'printer', transport: 'tcp' }), [/^host: is required/]);
  t.match(errorsOf({ name: 's', kind: 'barcode-scanner', transport: 'usb', vendor_id: 1, product_id: 1 }), [/^transport: usb is for printers/]);
  t.same(errorsOf({ name: 'p', kind: 'printer', transport: 'virtual' }), []);
  t.match(errorsOf({ name: 'w', kind: 'barcode-scanner', transport: 'evdev' }), [/^path: is required for transport evdev/]);
  t.match(errorsOf({ name: 'w', kind: 'printer', transport: 'evdev', path: '/dev/input/event0' }), [/^transport: evdev is for keyboard-wedge scanners and card readers/]);
  t.match(errorsOf({ name: 'w', kind: 'barcode-scanner', transport: 'evdev', path: '/dev/input/event0', layout: 'dvorak', grab: 'yes' }),
    [/^layout: must be one of us, uk, de, fr/, /^grab: must be true or false/]);
  t.match(errorsOf({ name: 'k', kind: 'scale', transport: 'evdev', path: '/dev/input/event0' }), [/^transport: evdev is for keyboard-wedge/]);
  t.match(errorsOf({ name: 'k', kind: 'scale', transport: 'serial', path: '/dev/ttyS0', protocol: 'dibal', unit: 'oz' }),
    [/^protocol: must be one of toledo-8217, cas/, /^unit: must be auto, kg, g or lb/]);
  // A drawer sensor is read with DLE EOT: not through a write-only device file, nor with status requests off.
  t.match(errorsOf({ name: 'lp', kind: 'printer', transport: 'file', path: '/dev/usb/lp0', drawer_sensor: 'high' }),
    [/^drawer_sensor: needs a printer link that answers status requests: transport file is write-only/]);
  t.match(errorsOf({ name: 'p', kind: 'printer', transport: 'tcp', host: 'h', status: false, drawer_sensor: 'low' }),
    [/^drawer_sensor: needs status requests, which status: false turns off/]);
  t.same(errorsOf({ name: 'lp', kind: 'printer', transport: 'file', path: '/dev/usb/lp0', drawer_sensor: 'off' }), []);
  t.same(errorsOf({ name: 'p', kind: 'printer', transport: 'serial', path: '/dev/ttyS0', drawer_sensor: 'high' }), []);
});

t.test('duplicate names', async (t) => {
  const result = parse([
    { name: 'x', kind: 'printer', transport: 'virtual' },
    { name: 'x', kind: 'barcode-scanner', transport: 'virtual' },
  ]);
  t.same(result.ok ? [] : result.errors, ['devices[1].name: duplicate device name "x"']);
});
