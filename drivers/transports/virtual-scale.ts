// A virtual scale for the demo and tests: it speaks toledo-8217 (answers "W") like a real one.
// What lies on it is set through `inject` (the `devices.scan` op, `till-agent scan --device`):
//   "0.350" (kg) or "350g" or "0.77lb"  a stable weight      "unstable"  in motion
//   "overload"  over capacity             "negative"  under zero          "0" or "empty"  nothing
import { virtualDevice, type VirtualDevice } from './virtual.ts';

const STX = '\x02';
const CR = '\r';
// Status byte: bit 6 always 1; bit 0 motion, 1 over capacity, 2 under zero, 4 centre of zero.
const status = (bits: number) => `${STX}?${String.fromCharCode(0x40 | bits)}${CR}`;

type Load = { kind: 'grams'; grams: number } | { kind: 'status'; bits: number };

export function parseLoad(text: string): Load | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'unstable' || t === 'motion') return { kind: 'status', bits: 0x01 };
  if (t === 'overload') return { kind: 'status', bits: 0x02 };
  if (t === 'negative') return { kind: 'status', bits: 0x04 };
  if (t === 'empty') return { kind: 'status', bits: 0x10 };
  const m = /^(\d{1,5}(?:\.\d{1,3})?)\s*(kg|g|lb)?$/.exec(t);
  if (!m) return undefined;
  const value = Number(m[1]);
  const grams = Math.round(m[2] === 'g' ? value : m[2] === 'lb' ? value * 453.59237 : value * 1000);
  return grams === 0 ? { kind: 'status', bits: 0x10 } : { kind: 'grams', grams };
}

/** The 8217 answer to "W" for what lies on the scale (kilograms, "WW.WWW"). */
export function answerFor(load: Load): string {
  if (load.kind === 'status') return status(load.bits);
  if (load.grams > 99_999) return status(0x02);
  const kg = `${Math.floor(load.grams / 1000)}`.padStart(2, '0') + '.' + `${load.grams % 1000}`.padStart(3, '0');
  return `${STX}${kg}${CR}`;
}

export function virtualScale(name: string): VirtualDevice {
  let load: Load = { kind: 'status', bits: 0x10 };
  const device: VirtualDevice = virtualDevice({
    name,
    onWrite: (bytes) => {
      if (bytes.includes(0x57 /* W */)) setImmediate(() => device.inject(answerFor(load)));
    },
  });
  return {
    ...device,
    inject(data) {
      const parsed = parseLoad(Buffer.isBuffer(data) ? data.toString('utf8') : data);
      if (!parsed) return false;
      load = parsed;
      return device.connected();
    },
  };
}
