// Keyboard-wedge scanners and card readers for `till-agent ports` and doctor: the evdev nodes
// (/dev/input/event*) that can type (KEY_A and KEY_ENTER in their key bitmap, or udev's
// by-id "-event-kbd" link), with that stable name and the USB ids, read from /sys without udevadm.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { usbAttributes, type SerialPortInfo } from './ports.ts';

export interface InputKeyboardInfo extends Omit<SerialPortInfo, 'driver'> {
  /** The kernel's device name ("Honeywell Imaging & Mobility 1900"). */
  name?: string;
}

const LONG_BITS = ['ia32', 'arm'].includes(process.arch) ? 32 : 64;
const KEY_ENTER = 28;
const KEY_A = 30;

const readTrimmed = (file: string) => readFile(file, 'utf8').then((s) => s.trim(), () => undefined);

/** /sys capabilities/key: hex words, most significant first, each a kernel `long`. */
export function hasKeys(bitmap: string, codes: number[], wordBits = LONG_BITS): boolean {
  const words = bitmap.trim().split(/\s+/).reverse();
  return codes.every((code) => {
    const word = words[Math.floor(code / wordBits)];
    if (!word || !/^[0-9a-f]+$/i.test(word)) return false;
    return ((BigInt(`0x${word}`) >> BigInt(code % wordBits)) & 1n) === 1n;
  });
}

export async function listInputKeyboards(roots: { sys?: string; dev?: string } = {}): Promise<InputKeyboardInfo[]> {
  const sys = roots.sys ?? '/sys';
  const dev = roots.dev ?? '/dev';
  const byId = new Map<string, string>();
  const byIdDir = join(dev, 'input', 'by-id');
  for (const name of (await readdir(byIdDir).catch(() => [] as string[])).sort()) {
    if (!name.endsWith('-event-kbd')) continue;
    const target = await readlink(join(byIdDir, name)).catch(() => undefined);
    if (target) byId.set(basename(resolve(byIdDir, target)), join(byIdDir, name));
  }
  const classDir = join(sys, 'class', 'input');
  const events = (await readdir(classDir).catch(() => [] as string[]))
    .filter((n) => /^event\d+$/.test(n))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  const keyboards: InputKeyboardInfo[] = [];
  for (const event of events) {
    const device = join(classDir, event, 'device');
    const bits = await readTrimmed(join(device, 'capabilities', 'key'));
    const stable = byId.get(event);
    if (!stable && !(bits && hasKeys(bits, [KEY_A, KEY_ENTER]))) continue;
    const name = await readTrimmed(join(device, 'name'));
    keyboards.push({
      path: join(dev, 'input', event),
      ...(stable ? { by_id: stable } : {}),
      ...(name ? { name } : {}),
      ...(await usbAttributes(device)),
    });
  }
  return keyboards;
}
