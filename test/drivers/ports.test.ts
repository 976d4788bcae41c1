// Port listing without udevadm, on a fake /sys and /dev tree (real symlinks in a temp dir), and
// USB printer listing through the fake usb module.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { listSerialPorts, listUsbPrinters } from '../../drivers/ports.ts';
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
