// Run as another user (test/cli/doctor-usb-node.test.ts: root may open anything, so a permission
// check means something only as the service's user): doctor's check of one USB printer, found
// by the fake usb module on bus 1 at address 5, with its node under DEVROOT. Prints the Check.
import { checkDevice } from '../../cli/doctor/devices.ts';
import { deviceConfigSchema } from '../../drivers/config.ts';
import { FakeUsb, FakeUsbDevice } from './usb-fake.ts';

const devRoot = process.argv[2] ?? '';
const usb = new FakeUsb();
usb.plug(new FakeUsbDevice({ vendorId: 0x04b8, productId: 0x0e15, product: 'TM-T20II', bus: '1', address: 5 }));
const printer = deviceConfigSchema().parse({ name: 'usb0', kind: 'printer', transport: 'usb', vendor_id: '0x04b8', product_id: '0x0e15' });
process.stdout.write(`${JSON.stringify(await checkDevice(printer, { timeoutMs: 1000, agent: null, usb, devRoot }))}\n`);
