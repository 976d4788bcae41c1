// Port discovery for `till-agent ports`, without udevadm: serial ports from /sys/class/tty
// (only entries backed by a device; ttyS* whose UART type is 0 are absent ports) and their
// stable /dev/serial/by-id names; USB printers (interface class 7) from the `usb` module.
import { readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { USB_CLASS_PRINTER, loadUsb, type UsbApi } from './transports/usb.ts';

export interface SerialPortInfo {
  path: string;
  /** A stable name that survives replugging and reordering, when udev made one. */
  by_id?: string;
  driver?: string;
  vendor_id?: string;
  product_id?: string;
  manufacturer?: string;
  product?: string;
  serial_number?: string;
}

export interface UsbPrinterInfo {
  vendor_id: string;
  product_id: string;
  manufacturer?: string;
  product?: string;
  serial_number?: string;
}

const readTrimmed = (file: string) => readFile(file, 'utf8').then((s) => s.trim(), () => undefined);

/** Walk up from the tty's device to the USB device that carries idVendor/idProduct. */
export async function usbAttributes(deviceDir: string): Promise<Partial<SerialPortInfo>> {
  let dir = await realpath(deviceDir).catch(() => undefined);
  for (let depth = 0; dir && depth < 6; depth++, dir = dirname(dir)) {
    const vendor = await readTrimmed(join(dir, 'idVendor'));
    if (vendor) {
      const info: Partial<SerialPortInfo> = { vendor_id: vendor };
      const fields = [['product_id', 'idProduct'], ['manufacturer', 'manufacturer'], ['product', 'product'], ['serial_number', 'serial']] as const;
      for (const [key, file] of fields) {
        const value = await readTrimmed(join(dir, file));
        if (value) info[key] = value;
      }
      return info;
    }
  }
  return {};
}

export async function listSerialPorts(roots: { sys?: string; dev?: string } = {}): Promise<SerialPortInfo[]> {
  const sys = roots.sys ?? '/sys';
  const dev = roots.dev ?? '/dev';
  const byId = new Map<string, string>();
  const byIdDir = join(dev, 'serial', 'by-id');
  for (const name of await readdir(byIdDir).catch(() => [] as string[])) {
    const link = join(byIdDir, name);
    const target = await readlink(link).catch(() => undefined);
    if (target) byId.set(basename(resolve(byIdDir, target)), link);
  }

  const ports: SerialPortInfo[] = [];
  const ttyDir = join(sys, 'class', 'tty');
  for (const name of (await readdir(ttyDir).catch(() => [] as string[])).sort()) {
    const deviceDir = join(ttyDir, name, 'device');
    if (!(await stat(deviceDir).catch(() => undefined))) continue; // virtual consoles, ptys
    if (name.startsWith('ttyS') && (await readTrimmed(join(ttyDir, name, 'type'))) === '0') continue;
    const driverLink = await readlink(join(deviceDir, 'driver')).catch(() => undefined);
    const info: SerialPortInfo = { path: join(dev, name) };
    const stable = byId.get(name);
    if (stable) info.by_id = stable;
    if (driverLink) info.driver = basename(driverLink);
    ports.push({ ...info, ...(await usbAttributes(deviceDir)) });
  }
  return ports;
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/** USB devices with a printer-class interface. Throws when USB is not accessible here. */
export async function listUsbPrinters(usb?: UsbApi): Promise<UsbPrinterInfo[]> {
  const api = usb ?? await loadUsb();
  const printers: UsbPrinterInfo[] = [];
  for (const device of await api.getDevices()) {
    const interfaces = device.configuration?.interfaces ?? [];
    if (!interfaces.some((i) => i.alternate.interfaceClass === USB_CLASS_PRINTER)) continue;
    const info: UsbPrinterInfo = { vendor_id: hex4(device.vendorId), product_id: hex4(device.productId) };
    // String descriptors can fail on devices we may not open; they are optional.
    const text = (get: () => string | null | undefined) => { try { return get() ?? undefined; } catch { return undefined; } };
    const manufacturer = text(() => device.manufacturerName);
    const product = text(() => device.productName);
    const serial = text(() => device.serialNumber);
    if (manufacturer) info.manufacturer = manufacturer;
    if (product) info.product = product;
    if (serial) info.serial_number = serial;
    printers.push(info);
  }
  return printers;
}
