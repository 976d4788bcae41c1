// doctor and a raw USB printer's device node (/dev/bus/usb/BBB/DDD), which libusb opens
// read-write: found by the fake usb module (no USB hardware here), the node a real file whose
// mode the test sets, and the check run as nobody (root may open anything).
import t from 'tap';
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDevice } from '../../cli/doctor/devices.ts';
import { usbNodePath } from '../../cli/doctor/usb-node.ts';
import { deviceConfigSchema } from '../../drivers/config.ts';
import { FakeUsb, FakeUsbDevice } from '../helpers/usb-fake.ts';
import { tempDir } from '../helpers/tmp.ts';

const HELPER = fileURLToPath(new URL('../helpers/doctor-usb-node.ts', import.meta.url));
const HOOKS = fileURLToPath(new URL('../helpers/compiled-ts.mjs', import.meta.url));

function asNobody(devRoot: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [`--import=${HOOKS}`, HELPER, devRoot], { uid: 65534, gid: 65534, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

t.test('the node path from the usb module\'s bus and address', async (t) => {
  t.equal(usbNodePath({ bus: '1', address: 5 }), '/dev/bus/usb/001/005');
  t.equal(usbNodePath({ bus: '003', address: 112 }, '/tmp/x'), '/tmp/x/bus/usb/003/112');
  t.equal(usbNodePath({}), undefined, 'a module that does not say: not checked');
});

t.test('a USB printer whose node this user may not open: ✖ naming the udev rule and group lp',
  { skip: process.getuid?.() === 0 ? false : 'needs root, to run the check as another user (CI runs as root)' }, async (t) => {
  const devRoot = await tempDir(t);
  await chmod(devRoot, 0o755);
  const dir = join(devRoot, 'bus', 'usb', '001');
  await mkdir(dir, { recursive: true });
  const node = join(dir, '005');
  await writeFile(node, '');
  await chmod(node, 0o664); // as the kernel leaves it without the udev rule: root's
  t.match(await asNobody(devRoot), {
    ok: false,
    detail: `usb 04b8:0e15: found, but ${node} is not readable and writable by this user`,
    hint: /60-till-agent\.rules, usb section\) give USB printers to group lp .* 04b8:0e15 in \/etc\/udev\/rules\.d\/61-till-agent-local\.rules.*sudo -u till-agent/,
  });
  await chmod(node, 0o666);
  t.match(await asNobody(devRoot), { ok: true, detail: 'usb 04b8:0e15: found (EPSON TM-T20II)' });
});

t.test('the node missing (no /dev/bus/usb, as in a container): ✖; held by the running agent: its view instead', async (t) => {
  const devRoot = await tempDir(t);
  const usb = new FakeUsb();
  usb.plug(new FakeUsbDevice({ vendorId: 0x04b8, productId: 0x0e15, product: 'TM-T20II', bus: '1', address: 5 }));
  const printer = deviceConfigSchema().parse({ name: 'usb0', kind: 'printer', transport: 'usb', vendor_id: '0x04b8', product_id: '0x0e15' });
  t.match(await checkDevice(printer, { timeoutMs: 1000, agent: null, usb, devRoot }),
    { ok: false, detail: /found, but its device node .*\/bus\/usb\/001\/005 is missing \(ENOENT\)/, hint: /\/dev\/bus\/usb/ });
  const agent = {
    devices: [{ name: 'usb0', kind: 'printer' as const, transport: 'usb' as const, target: 'usb 04b8:0e15', state: 'offline' as const, reason: 'LIBUSB_ERROR_ACCESS' }],
    printerStatus: async () => ({ state: 'offline' as const, queued: 0, checked: false, reason: 'LIBUSB_ERROR_ACCESS' }),
  };
  t.match(await checkDevice(printer, { timeoutMs: 1000, agent, usb, devRoot }), { ok: false, detail: /the agent has it offline: LIBUSB_ERROR_ACCESS/ });
});
