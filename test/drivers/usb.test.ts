// USB printer transport against a FAKE of the `usb` module: there is no USB hardware on this
// machine, so test/helpers/usb-fake.ts simulates the device, its interfaces and bulk endpoints
// (with the v3 WebUSB-style methods the transport uses) and a printer behind them.
import t from 'tap';
import { DriverEvents } from '../../drivers/emitter.ts';
import { EscPosPrinter } from '../../drivers/escpos-printer.ts';
import { interpret } from '../../drivers/escpos-interpreter.ts';
import { usbTransport } from '../../drivers/transports/usb.ts';
import { silentDriverLogger } from '../../drivers/types.ts';
import { FakeUsb, FakeUsbDevice, PRINTER_INTERFACE } from '../helpers/usb-fake.ts';
import { waitFor } from '../helpers/wait.ts';

function usbPrinter(t: { teardown(fn: () => unknown): void }, usb: FakeUsb, extra: { interfaceNumber?: number } = {}) {
  const events = new DriverEvents();
  const states: string[] = [];
  events.on('device', (e) => states.push(e.state));
  const printer = new EscPosPrinter({
    name: 'usb-front', emit: events.emit, log: silentDriverLogger, codePage: 'cp858', statusTimeoutMs: 300,
    transport: usbTransport({ vendorId: 0x04b8, productId: 0x0e15, usb, readPollMs: 100, ...extra }),
    backoff: { initialMs: 20, maxMs: 100 },
  });
  t.teardown(() => printer.stop());
  printer.start();
  return { printer, states };
}

t.test('open, detach the kernel driver, claim, print over bulk OUT with status over bulk IN', async (t) => {
  const usb = new FakeUsb();
  const device = usb.plug(new FakeUsbDevice());
  const { printer } = usbPrinter(t, usb);
  await waitFor(() => printer.state() === 'ready');
  t.same(device.calls, ['open', 'detach 0', 'claim 0']);
  await printer.print(printer.job().line('Straße 4,20 €').line('Año nuevo').cut().build());
  const doc = interpret(device.peer.bytes());
  t.same(doc.lines, ['Straße 4,20 €', 'Año nuevo']);
  t.same(doc.statusRequests, [1, 1, 2, 4, 1, 2, 4]);
  await printer.stop();
  t.same(device.calls.slice(-2), ['release 0', 'close']);
});

t.test('paper out reported on the IN endpoint fails the job', async (t) => {
  const usb = new FakeUsb();
  const device = usb.plug(new FakeUsbDevice());
  device.peer.condition = 'paper_out';
  const { printer } = usbPrinter(t, usb);
  await t.rejects(printer.print(Buffer.from('x\n')), { code: 'PRINTER_ERROR', reason: 'paper_out' });
  t.equal(device.peer.jobBytes().length, 0);
});

t.test('no kernel driver attached: the failed detach is fine', async (t) => {
  const usb = new FakeUsb();
  const device = usb.plug(new FakeUsbDevice({ kernelDriverAttached: false }));
  const { printer } = usbPrinter(t, usb);
  await waitFor(() => printer.state() === 'ready');
  t.same(device.calls, ['open', 'detach 0', 'claim 0']);
});

t.test('a claim that fails says why, with the detach failure, and closes the device', async (t) => {
  const usb = new FakeUsb();
  const device = usb.plug(new FakeUsbDevice({ kernelDriverAttached: false, claimError: 'LIBUSB_ERROR_ACCESS' }));
  const { printer } = usbPrinter(t, usb);
  await waitFor(() => printer.state() === 'offline');
  t.equal(printer.reason(), 'claim interface 0 failed: LIBUSB_ERROR_ACCESS (detaching the kernel driver failed: LIBUSB_ERROR_NOT_FOUND)');
  t.equal(device.calls[3], 'close');
});

t.test('not plugged in: offline "not found"; plugged in later: ready', async (t) => {
  const usb = new FakeUsb();
  const { printer, states } = usbPrinter(t, usb);
  await waitFor(() => printer.state() === 'offline');
  t.equal(printer.reason(), 'usb 04b8:0e15 not found');
  usb.plug(new FakeUsbDevice());
  await waitFor(() => printer.state() === 'ready');
  t.same(states, ['connecting', 'offline', 'ready']);
});

t.test('unplug: offline; a job waits; replug: ready and the job prints', async (t) => {
  const usb = new FakeUsb();
  const first = usb.plug(new FakeUsbDevice());
  const { printer, states } = usbPrinter(t, usb);
  await waitFor(() => printer.state() === 'ready');
  first.unplug();
  await waitFor(() => printer.state() === 'offline');
  const job = printer.submit(printer.job().line('kept').build());
  t.equal(job.queued, true);
  const second = usb.plug(new FakeUsbDevice());
  await job.done;
  t.same(interpret(second.peer.bytes()).lines, ['kept']);
  t.same(states, ['connecting', 'ready', 'offline', 'ready']);
});

t.test('no bulk IN endpoint: write-only, no status requests', async (t) => {
  const usb = new FakeUsb();
  const device = usb.plug(new FakeUsbDevice({
    interfaces: [{ interfaceNumber: 0, alternate: { interfaceClass: 7, endpoints: [{ endpointNumber: 3, direction: 'out', type: 'bulk' }] } }],
  }));
  const { printer } = usbPrinter(t, usb);
  await printer.print(Buffer.from('blind\n'));
  t.same(interpret(device.peer.bytes()).statusRequests, []);
  t.match(await printer.status(), { state: 'ready', checked: false });
});

t.test('picks the printer-class interface, or the configured one', async (t) => {
  const hid = { interfaceNumber: 0, alternate: { interfaceClass: 3, endpoints: [{ endpointNumber: 5, direction: 'out' as const, type: 'bulk' }] } };
  const printerIface = { ...PRINTER_INTERFACE, interfaceNumber: 1 };
  const usb = new FakeUsb();
  const device = usb.plug(new FakeUsbDevice({ interfaces: [hid, printerIface] }));
  const { printer } = usbPrinter(t, usb);
  await waitFor(() => printer.state() === 'ready');
  t.same(device.calls, ['open', 'detach 1', 'claim 1']);

  const usb2 = new FakeUsb();
  const device2 = usb2.plug(new FakeUsbDevice({ interfaces: [hid, printerIface], kernelDriverAttached: false }));
  const { printer: forced } = usbPrinter(t, usb2, { interfaceNumber: 0 });
  await forced.print(Buffer.from('via hid\n'));
  t.same(device2.calls.slice(0, 3), ['open', 'detach 0', 'claim 0']);
});
