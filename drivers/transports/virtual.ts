// In-memory devices for the demo and tests. A virtual reader is fed lines by `inject`; a
// virtual printer answers DLE EOT status requests like a healthy printer, hands every other
// write (one write = one job) to `onWrite` and then answers the job's closing GS r 1, as a
// printer does once it has printed. Its drawer (pin 3) reads open for `drawerOpenMs` after a
// drawer kick. Unplug/replug are simulated by `setPresent`.
import type { ByteLink, Transport } from '../types.ts';
import { LinkBase } from './link-base.ts';

class VirtualLink extends LinkBase {
  readonly canRead = true;

  constructor(readonly label: string, private readonly onWrite: (data: Buffer, link: VirtualLink) => Promise<void>) {
    super();
  }

  async write(data: Uint8Array): Promise<void> {
    this.assertOpen();
    await this.onWrite(Buffer.from(data), this);
  }

  feed(chunk: Buffer): void {
    this.emitData(chunk);
  }

  unplug(): void {
    this.disconnected('virtual device unplugged');
  }

  protected release(): Promise<void> {
    return Promise.resolve();
  }
}

export interface VirtualDevice {
  transport: Transport;
  /** Bytes from the device to the driver (a scan line, a status byte). Dropped when not connected. */
  inject(data: string | Buffer): boolean;
  /** Unplug (closes the open link, further opens fail) or plug back in. */
  setPresent(present: boolean): void;
  connected(): boolean;
}

export interface VirtualOptions {
  name: string;
  /** Everything the driver writes (except answered status requests). */
  onWrite?: (data: Buffer) => void | Promise<void>;
  /** Answer DLE EOT n with this byte; default: a healthy printer (0x12). Return undefined to stay silent. */
  status?: (n: number) => number | undefined;
  /** Answer to a job's closing GS r 1; default 0x00 (printed). Return undefined to stay silent. */
  processed?: () => number | undefined;
  /** A drawer kick (ESC p) makes DLE EOT 1 report the drawer open for this long. */
  drawerOpenMs?: number;
}

const DLE = 0x10;
const EOT = 0x04;
const GS_R_1 = Buffer.from([0x1d, 0x72, 0x01]);
const ESC_P = Buffer.from([0x1b, 0x70]);

export function virtualDevice(options: VirtualOptions): VirtualDevice {
  let present = true;
  let link: VirtualLink | undefined;
  let drawerOpenUntil = 0;
  const answer = options.status ?? ((n: number) => (n === 1 && Date.now() < drawerOpenUntil ? 0x16 : 0x12));
  const processed = options.processed ?? (() => 0x00);
  const onWrite = async (data: Buffer, self: VirtualLink) => {
    if (data.length === 3 && data[0] === DLE && data[1] === EOT) {
      const reply = answer(data[2] ?? 0);
      if (reply !== undefined) setImmediate(() => self.feed(Buffer.from([reply])));
      return;
    }
    if (options.drawerOpenMs && data.includes(ESC_P)) drawerOpenUntil = Date.now() + options.drawerOpenMs;
    await options.onWrite?.(data);
    if (data.subarray(-3).equals(GS_R_1)) {
      const reply = processed();
      if (reply !== undefined) setImmediate(() => self.feed(Buffer.from([reply])));
    }
  };
  const transport: Transport = async (): Promise<ByteLink> => {
    if (!present) throw new Error(`virtual device ${options.name} is unplugged`);
    link = new VirtualLink(`virtual ${options.name}`, onWrite);
    return link;
  };
  return {
    transport,
    inject(data) {
      if (!link || link.closed) return false;
      link.feed(Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8'));
      return true;
    },
    setPresent(value) {
      present = value;
      if (!value) link?.unplug();
    },
    connected: () => Boolean(link && !link.closed),
  };
}
