// `till-agent ports`: the serial ports and USB printers on this machine, for filling in the
// `devices:` config. No agent and no udevadm needed (drivers/ports.ts reads /sys and /dev).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listSerialPorts, listUsbPrinters, type SerialPortInfo, type UsbPrinterInfo } from '../../drivers/ports.ts';
import { parseFlags } from './args.ts';
import { field, print, safeJson } from './output.ts';
import { listInputKeyboards, type InputKeyboardInfo } from '../../drivers/ports-input.ts';

const HELP = `till-agent ports [--json]

Lists the serial ports (path, stable /dev/serial/by-id name, USB vendor:product and
driver when known), the keyboards that could be keyboard-wedge scanners or card readers
(/dev/input/event* with their /dev/input/by-id/...-event-kbd name) and the USB printers
(vendor:product, bus/address, names) found on this machine. Works without a running agent
and without udevadm. In the config, use the by-id path (or /dev/till/... from the udev
rules) for serial devices and keyboards (transport: evdev), and vendor_id / product_id
for USB printers.
Exit status: 0 (an empty list is not an error), 2 on bad usage.
`;

export interface UsbAddress {
  vendor_id: string;
  product_id: string;
  serial_number?: string;
  bus: number;
  address: number;
}

const readTrimmed = (file: string) => readFile(file, 'utf8').then((s) => s.trim(), () => undefined);

/** Bus number and address of every USB device, from /sys/bus/usb/devices (interfaces have no idVendor). */
export async function usbAddresses(sys = '/sys'): Promise<UsbAddress[]> {
  const dir = join(sys, 'bus', 'usb', 'devices');
  const out: UsbAddress[] = [];
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    const [vendor, product, bus, address, serial] = await Promise.all(
      ['idVendor', 'idProduct', 'busnum', 'devnum', 'serial'].map((f) => readTrimmed(join(dir, name, f))),
    );
    if (!vendor || !product || !bus || !address) continue;
    out.push({ vendor_id: vendor, product_id: product, bus: Number(bus), address: Number(address), ...(serial ? { serial_number: serial } : {}) });
  }
  return out;
}

export type ListedUsbPrinter = UsbPrinterInfo & { bus?: number; address?: number };

/** Adds bus/address where exactly one USB device has the printer's ids (and serial, when known). */
export function withAddresses(printers: UsbPrinterInfo[], addresses: UsbAddress[]): ListedUsbPrinter[] {
  return printers.map((p) => {
    const same = addresses.filter((a) => a.vendor_id === p.vendor_id && a.product_id === p.product_id &&
      (!p.serial_number || !a.serial_number || a.serial_number === p.serial_number));
    return same.length === 1 ? { ...p, bus: same[0]!.bus, address: same[0]!.address } : p;
  });
}

export function formatPorts(serial: SerialPortInfo[], usb: ListedUsbPrinter[], usbError?: string, keyboards: InputKeyboardInfo[] = []): string {
  const lines = ['Serial ports:'];
  if (serial.length === 0) lines.push('  none found');
  for (const p of serial) {
    const ids = p.vendor_id ? `  usb ${p.vendor_id}:${p.product_id ?? '????'}` : '';
    const names = field([p.manufacturer, p.product].filter(Boolean).join(' '));
    lines.push(`  ${field(p.path)}${p.by_id ? `  by-id ${field(p.by_id)}` : ''}${field(ids)}${names ? `  ${names}` : ''}${p.driver ? `  (${field(p.driver)})` : ''}`);
  }
  lines.push('Keyboards (keyboard-wedge scanners, transport evdev):');
  if (keyboards.length === 0) lines.push('  none found');
  for (const k of keyboards) {
    const ids = k.vendor_id ? `  usb ${k.vendor_id}:${k.product_id ?? '????'}` : '';
    lines.push(`  ${field(k.path)}${k.by_id ? `  by-id ${field(k.by_id)}` : ''}${field(ids)}${k.name ? `  ${field(k.name)}` : ''}`);
  }
  lines.push('USB printers:');
  if (usb.length === 0) lines.push(`  none found${usbError ? ` (cannot list USB devices here: ${usbError})` : ''}`);
  for (const p of usb) {
    const where = p.bus !== undefined ? `  bus ${String(p.bus).padStart(3, '0')} address ${String(p.address).padStart(3, '0')}` : '';
    const names = field([p.manufacturer, p.product].filter(Boolean).join(' ')); // USB descriptors: whatever the device says
    lines.push(`  ${field(`${p.vendor_id}:${p.product_id}`)}${where}${names ? `  ${names}` : ''}${p.serial_number ? `  serial ${field(p.serial_number)}` : ''}`);
  }
  return lines.join('\n') + '\n';
}

export async function portsCommand(args: string[]): Promise<number> {
  const { values: options } = parseFlags(args, { json: { type: 'boolean' } });
  if (options.help) {
    print(HELP);
    return 0;
  }
  const serial = await listSerialPorts();
  const keyboards = await listInputKeyboards();
  let usb: ListedUsbPrinter[] = [];
  let usbError: string | undefined;
  try {
    usb = withAddresses(await listUsbPrinters(), await usbAddresses());
  } catch (error) {
    usbError = (error as Error).message; // no USB bus (containers) or no libusb access: still list serial ports
  }
  print(options.json
    ? safeJson({ serial_ports: serial, keyboards, usb_printers: usb, ...(usbError ? { usb_error: usbError } : {}) }, 2) + '\n'
    : formatPorts(serial, usb, usbError, keyboards));
  return 0;
}
