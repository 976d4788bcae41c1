// Serial ports through `serialport` (loaded on first use, so a till without serial devices
// never loads the native binding). Stable names like /dev/serial/by-id/... work as paths.
//
// Unplug detection: usually the port closes with a DisconnectedError. But when the tty is hung
// up (USB-serial unplug, pty master gone) read() can return 0, and @serialport/bindings-cpp 13
// then re-reads in a tight loop and never reports it. So the link also watches the device node
// it opened: gone or replaced → disconnected, and closing the port ends that loop.
import type { SerialPort as SerialPortClass } from 'serialport';
import type { Transport } from '../types.ts';
import { LinkBase } from './link-base.ts';
import { identifyNode, watchNode, type NodeIdentity } from './node-watch.ts';

export type Parity = 'none' | 'even' | 'odd' | 'mark' | 'space';

export interface SerialOptions {
  path: string;
  baudRate: number;
  parity?: Parity;
  dataBits?: 5 | 6 | 7 | 8;
  stopBits?: 1 | 2;
  /** Hardware flow control (RTS/CTS), used by some printers. */
  rtscts?: boolean;
  /** How often to check that the device node still exists; 0 disables. */
  watchMs?: number;
}

type SerialPortCtor = typeof SerialPortClass;

// The binding reports a port that went away (USB-serial unplugged, device powered off) in errno's
// words, "bad file descriptor" or "Input/output error": what the technician reads in status and the
// device event says what happened first, the binding's words after it.
const GONE = /bad file descriptor|EBADF|EIO\b|input\/output error|disconnected/i;
export const portGoneReason = (message: string): string => (GONE.test(message) ? `port gone (unplugged or powered off): ${message}` : message);

let loaded: Promise<SerialPortCtor> | undefined;
const loadSerialPort = (): Promise<SerialPortCtor> =>
  (loaded ??= import('serialport').then((m) => m.SerialPort));

class SerialLink extends LinkBase {
  readonly canRead = true;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(readonly label: string, private readonly port: InstanceType<SerialPortCtor>, node: NodeIdentity | undefined, watchMs: number) {
    super();
    port.on('data', (chunk: Buffer) => this.emitData(chunk));
    // `close` carries a DisconnectedError when the device vanished (unplug, pty master gone).
    port.on('close', (error?: Error | null) => this.disconnected(error ? portGoneReason(error.message) : 'port closed'));
    port.on('error', (error: Error) => this.disconnected(portGoneReason(error.message)));
    if (node && watchMs > 0) this.timer = watchNode(node, watchMs, (reason) => this.disconnected(reason));
  }

  async write(data: Uint8Array): Promise<void> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(data), (error) => {
        if (error) return reject(error);
        // drain: the bytes left the OS buffer (tcdrain), so a job really was sent.
        this.port.drain((drainError) => (drainError ? reject(drainError) : resolve()));
      });
    });
  }

  protected release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    return new Promise((resolve) => {
      if (!this.port.isOpen) return resolve();
      this.port.close(() => resolve());
    });
  }
}

export function serialTransport(options: SerialOptions): Transport {
  return async () => {
    const SerialPort = await loadSerialPort();
    const port = new SerialPort({
      path: options.path,
      baudRate: options.baudRate,
      parity: options.parity ?? 'none',
      dataBits: options.dataBits ?? 8,
      stopBits: options.stopBits ?? 1,
      rtscts: options.rtscts ?? false,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    // The node behind a by-id link, as it is now: a later unplug removes or replaces it.
    const node = await identifyNode(options.path);
    return new SerialLink(`serial ${options.path}`, port, node, options.watchMs ?? 500);
  };
}
