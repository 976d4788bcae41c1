// `till-agent ports`: bus/address from a fake /sys tree, matched to the USB printers listed.
import t from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPorts, usbAddresses, withAddresses } from '../../../cli/commands/ports.ts';
import { tempDir } from '../../helpers/tmp.ts';

async function usbDevice(sys: string, name: string, files: Record<string, string>): Promise<void> {
  const dir = join(sys, 'bus/usb/devices', name);
  await mkdir(dir, { recursive: true });
  for (const [file, value] of Object.entries(files)) await writeFile(join(dir, file), `${value}\n`);
}

t.test('bus and address from /sys/bus/usb/devices, only where the match is unambiguous', async (t) => {
  const sys = join(await tempDir(t), 'sys');
  await usbDevice(sys, '1-2', { idVendor: '04b8', idProduct: '0202', busnum: '1', devnum: '5', serial: 'X1' });
  await usbDevice(sys, '1-2:1.0', { bInterfaceClass: '07' }); // an interface, not a device
  await usbDevice(sys, '1-3', { idVendor: '0519', idProduct: '0001', busnum: '1', devnum: '7' });
  await usbDevice(sys, '2-1', { idVendor: '0519', idProduct: '0001', busnum: '2', devnum: '3' });
  const addresses = await usbAddresses(sys);
  t.same(addresses, [
    { vendor_id: '04b8', product_id: '0202', bus: 1, address: 5, serial_number: 'X1' },
    { vendor_id: '0519', product_id: '0001', bus: 1, address: 7 },
    { vendor_id: '0519', product_id: '0001', bus: 2, address: 3 },
  ]);
  t.same(withAddresses([
    { vendor_id: '04b8', product_id: '0202', product: 'TM-T20', serial_number: 'X1' },
    { vendor_id: '0519', product_id: '0001' },
  ], addresses), [
    { vendor_id: '04b8', product_id: '0202', product: 'TM-T20', serial_number: 'X1', bus: 1, address: 5 },
    { vendor_id: '0519', product_id: '0001' },
  ], 'two identical printers: no guess');
  t.same(await usbAddresses(join(sys, 'nope')), []);
});

t.test('human listing: every port on a line, "none found" when empty', async (t) => {
  t.equal(formatPorts([], [], 'no USB bus'), 'Serial ports:\n  none found\nKeyboards (keyboard-wedge scanners, transport evdev):\n  none found\n' +
    'USB printers:\n  none found (cannot list USB devices here: no USB bus)\n');
  t.equal(formatPorts(
    [{ path: '/dev/ttyUSB0', by_id: '/dev/serial/by-id/usb-FTDI-if00', vendor_id: '0403', product_id: '6001', manufacturer: 'FTDI', driver: 'ftdi_sio' }],
    [{ vendor_id: '04b8', product_id: '0202', manufacturer: 'EPSON', product: 'TM-T20', bus: 1, address: 5 }],
    undefined,
    [{ path: '/dev/input/event10', by_id: '/dev/input/by-id/usb-Honeywell_1900-event-kbd', vendor_id: '0c2e', product_id: '0b61', name: 'Honeywell 1900' }],
  ), 'Serial ports:\n  /dev/ttyUSB0  by-id /dev/serial/by-id/usb-FTDI-if00  usb 0403:6001  FTDI  (ftdi_sio)\n' +
    'Keyboards (keyboard-wedge scanners, transport evdev):\n  /dev/input/event10  by-id /dev/input/by-id/usb-Honeywell_1900-event-kbd  usb 0c2e:0b61  Honeywell 1900\n' +
    'USB printers:\n  04b8:0202  bus 001 address 005  EPSON TM-T20\n');
});
