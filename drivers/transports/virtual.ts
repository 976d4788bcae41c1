// In-memory devices for the demo and tests. A virtual reader is fed lines by `inject`; a
// virtual printer answers DLE EOT status requests like a healthy printer and hands every
// other write (one write = one job) to `onJob`. Unplug/replug are simulated by `setPresent`.
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
}

const DLE = 0x10;
const EOT = 0x04;

export function virtualDevice(options: VirtualOptions): VirtualDevice {
  let present = true;
  let link: VirtualLink | undefined;
  const answer = options.status ?? (() => 0x12);
  const onWrite = async (data: Buffer, self: VirtualLink) => {
    if (data.length === 3 && data[0] === DLE && data[1] === EOT) {
      const reply = answer(data[2] ?? 0);
      if (reply !== undefined) setImmediate(() => self.feed(Buffer.from([reply])));
      return;
    }
    await options.onWrite?.(data);
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
