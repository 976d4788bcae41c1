// Serial ports through `serialport` (loaded on first use, so a till without serial devices
// never loads the native binding). Stable names like /dev/serial/by-id/... work as paths.
import type { SerialPort as SerialPortClass } from 'serialport';
import type { Transport } from '../types.ts';
import { LinkBase } from './link-base.ts';

export type Parity = 'none' | 'even' | 'odd' | 'mark' | 'space';

export interface SerialOptions {
  path: string;
  baudRate: number;
  parity?: Parity;
  dataBits?: 5 | 6 | 7 | 8;
  stopBits?: 1 | 2;
  /** Hardware flow control (RTS/CTS), used by some printers. */
  rtscts?: boolean;
}

type SerialPortCtor = typeof SerialPortClass;

let loaded: Promise<SerialPortCtor> | undefined;
const loadSerialPort = (): Promise<SerialPortCtor> =>
  (loaded ??= import('serialport').then((m) => m.SerialPort));

class SerialLink extends LinkBase {
  readonly canRead = true;

  constructor(readonly label: string, private readonly port: InstanceType<SerialPortCtor>) {
    super();
    port.on('data', (chunk: Buffer) => this.emitData(chunk));
    // `close` carries a DisconnectedError when the device vanished (unplug, pty master gone).
    port.on('close', (error?: Error | null) => this.disconnected(error?.message ?? 'port closed'));
    port.on('error', (error: Error) => this.disconnected(error.message));
  }

  write(data: Uint8Array): Promise<void> {
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
    return new SerialLink(`serial ${options.path}`, port);
  };
}
