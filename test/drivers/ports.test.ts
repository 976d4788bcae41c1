// Port listing without udevadm, on a fake /sys and /dev tree (real symlinks in a temp dir), and
// USB printer listing through the fake usb module.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { listSerialPorts, listUsbPrinters } from '../../drivers/ports.ts';
import { hasKeys, listInputKeyboards } from '../../drivers/ports-input.ts';
import { tempDir } from '../helpers/tmp.ts';
import { FakeUsb, FakeUsbDevice } from '../helpers/usb-fake.ts';

async function fakeSystem(root: string) {
  const sys = join(root, 'sys');
  const dev = join(root, 'dev');
  const usbDev = join(sys, 'devices/pci0000:00/0000:00:14.0/usb1/1-2');
  const iface = join(usbDev, '1-2:1.0');
  await mkdir(join(iface, 'ttyUSB0'), { recursive: true });
  await mkdir(join(sys, 'bus/usb-serial/drivers/ftdi_sio'), { recursive: true });
  await symlink(join(sys, 'bus/usb-serial/drivers/ftdi_sio'), join(iface, 'ttyUSB0', 'driver'));
  for (const [file, value] of [['idVendor', '0403'], ['idProduct', '6001'], ['manufacturer', 'FTDI'], ['product', 'FT232R USB UART'], ['serial', 'A50285BI']] as const) {
    await writeFile(join(usbDev, file), `${value}\n`);
  }
  const platform = join(sys, 'devices/platform/serial8250');
  await mkdir(join(platform, 'tty/ttyS0'), { recursive: true });
  await mkdir(join(platform, 'tty/ttyS1'), { recursive: true });
  await mkdir(join(sys, 'class/tty/tty0'), { recursive: true }); // a console: no device
  for (const [name, target, type] of [['ttyUSB0', join(iface, 'ttyUSB0'), undefined], ['ttyS0', join(platform, 'tty/ttyS0'), '4'], ['ttyS1', join(platform, 'tty/ttyS1'), '0']] as const) {
    await mkdir(join(sys, 'class/tty', name), { recursive: true });
    await symlink(target, join(sys, 'class/tty', name, 'device'));
    if (type) await writeFile(join(sys, 'class/tty', name, 'type'), `${type}\n`);
  }
  await mkdir(join(dev, 'serial/by-id'), { recursive: true });
  await symlink('../../ttyUSB0', join(dev, 'serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0'));
  return { sys, dev };
}

t.test('serial ports from /sys/class/tty with stable by-id names and USB attributes', async (t) => {
  const root = await tempDir(t, 'till-ports-');
  const { sys, dev } = await fakeSystem(root);
  const ports = await listSerialPorts({ sys, dev });
  t.same(ports, [
    { path: join(dev, 'ttyS0') },
    {
      path: join(dev, 'ttyUSB0'),
      by_id: join(dev, 'serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0'),
      driver: 'ftdi_sio',
      vendor_id: '0403', product_id: '6001', manufacturer: 'FTDI', product: 'FT232R USB UART', serial_number: 'A50285BI',
    },
  ], 'ttyS1 (UART type 0) and the console are left out');
});

t.test('no /sys at all: an empty list, not an error', async (t) => {
  const root = await tempDir(t, 'till-ports-');
  t.same(await listSerialPorts({ sys: join(root, 'nope'), dev: join(root, 'nope') }), []);
});

t.test('this machine: listing works without udevadm', async (t) => {
  const ports = await listSerialPorts();
  t.ok(Array.isArray(ports));
});

t.test('USB printers are the devices with an interface of class 7', async (t) => {
  const usb = new FakeUsb();
  usb.plug(new FakeUsbDevice());
  usb.plug(new FakeUsbDevice({
    vendorId: 0x046d, productId: 0xc52b, product: 'Receiver',
    interfaces: [{ interfaceNumber: 0, alternate: { interfaceClass: 3, endpoints: [] } }],
  }));
  t.same(await listUsbPrinters(usb), [{ vendor_id: '04b8', product_id: '0e15', manufacturer: 'EPSON', product: 'TM-T20', serial_number: 'X1234' }]);
});

t.test('keyboards: evdev nodes that can type, with their by-id name and USB ids', async (t) => {
  const root = await tempDir(t, 'till-ports-');
  const sys = join(root, 'sys');
  const dev = join(root, 'dev');
  const usbDev = join(sys, 'devices/pci0000:00/0000:00:14.0/usb1/1-3');
  const input = join(usbDev, '1-3:1.0/0003:0C2E:0B61.0001/input/input7');
  await mkdir(input, { recursive: true });
  for (const [file, value] of [['idVendor', '0c2e'], ['idProduct', '0b61'], ['manufacturer', 'Honeywell'], ['product', '1900'], ['serial', '17262B1234']] as const) {
    await writeFile(join(usbDev, file), `${value}\n`);
  }
  // A full keyboard's key bitmap (KEY_ESC … KEY_Z and more), a power button, and a mouse.
  const keyboardBits = '1000000000007 ff9f207ac14057ff febeffdfffefffff fffffffffffffffe';
  const devices: Array<[string, string, string | undefined]> = [
    ['event10', 'Honeywell Imaging & Mobility 1900', keyboardBits],
    ['event2', 'Power Button', '10000000000000 0'],
    ['event4', 'USB Optical Mouse', undefined],
  ];
  for (const [event, name, bits] of devices) {
    const dir = event === 'event10' ? input : join(sys, 'devices/virtual/input', event);
    await mkdir(join(dir, 'capabilities'), { recursive: true });
    await writeFile(join(dir, 'name'), `${name}\n`);
    if (bits) await writeFile(join(dir, 'capabilities', 'key'), `${bits}\n`);
    await mkdir(join(sys, 'class/input', event), { recursive: true });
    await symlink(dir, join(sys, 'class/input', event, 'device'));
  }
  await mkdir(join(sys, 'class/input/input7'), { recursive: true }); // not an event node
  await mkdir(join(dev, 'input/by-id'), { recursive: true });
  await symlink('../event10', join(dev, 'input/by-id/usb-Honeywell_Imaging_1900_17262B1234-event-kbd'));
  t.same(await listInputKeyboards({ sys, dev }), [{
    path: join(dev, 'input/event10'),
    by_id: join(dev, 'input/by-id/usb-Honeywell_Imaging_1900_17262B1234-event-kbd'),
    name: 'Honeywell Imaging & Mobility 1900',
    vendor_id: '0c2e', product_id: '0b61', manufacturer: 'Honeywell', product: '1900', serial_number: '17262B1234',
  }], 'the power button and the mouse are not keyboards');
  t.same(await listInputKeyboards({ sys: join(root, 'nope'), dev: join(root, 'nope') }), []);
});

t.test('key bitmaps as the kernel prints them', async (t) => {
  t.ok(hasKeys('fffffffffffffffe', [30, 28]));
  t.notOk(hasKeys('10000000000000 0', [30, 28]));
  t.ok(hasKeys('50000000', [28, 30], 32), '32-bit words');
  t.notOk(hasKeys('zz', [1]));
});
