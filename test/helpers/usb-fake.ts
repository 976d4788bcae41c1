// A fake of the `usb` module (v3, WebUSB-style) with just what drivers/transports/usb.ts uses.
// There is no USB hardware on the test machine, so the device, its interfaces and endpoints
// are simulated here; the printer behind the endpoints is a PrinterPeer (answers DLE EOT on IN).
import type { UsbApi, UsbDeviceLike, UsbInterfaceLike } from '../../drivers/transports/usb.ts';
import { PrinterPeer } from './printer-peer.ts';

export interface FakeDeviceOptions {
  vendorId?: number;
  productId?: number;
  interfaces?: UsbInterfaceLike[];
  kernelDriverAttached?: boolean;
  claimError?: string;
  product?: string;
  /** Where the `usb` module says it is (/dev/bus/usb/BBB/DDD); unset: it does not say. */
  bus?: string;
  address?: number;
}

export const PRINTER_INTERFACE: UsbInterfaceLike = {
  interfaceNumber: 0,
  alternate: {
    interfaceClass: 7,
    endpoints: [{ endpointNumber: 1, direction: 'out', type: 'bulk' }, { endpointNumber: 2, direction: 'in', type: 'bulk' }],
  },
};

export class FakeUsbDevice implements UsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly manufacturerName = 'EPSON';
  readonly productName: string;
  readonly serialNumber = 'X1234';
  readonly bus: string | undefined;
  readonly address: number | undefined;
  readonly configuration: { interfaces: UsbInterfaceLike[] };
  readonly calls: string[] = [];
  readonly peer: PrinterPeer;
  kernelDriverAttached: boolean;
  present = true;
  private opened = false;
  private readonly claimed = new Set<number>();
  private readonly inQueue: Buffer[] = [];
  private readonly waiters = new Set<{ resolve(b: Buffer): void; reject(e: Error): void }>();

  constructor(private readonly options: FakeDeviceOptions = {}) {
    this.vendorId = options.vendorId ?? 0x04b8;
    this.productId = options.productId ?? 0x0e15;
    this.productName = options.product ?? 'TM-T20';
    this.bus = options.bus;
    this.address = options.address;
    this.configuration = { interfaces: options.interfaces ?? [PRINTER_INTERFACE] };
    this.kernelDriverAttached = options.kernelDriverAttached ?? true;
    this.peer = new PrinterPeer((reply) => this.deliver(reply));
  }

  private gone(): Error {
    return new Error('LIBUSB_ERROR_NO_DEVICE');
  }

  private endpoint(n: number, direction: 'in' | 'out'): void {
    const ok = this.configuration.interfaces.some((i) => this.claimed.has(i.interfaceNumber)
      && i.alternate.endpoints.some((e) => e.endpointNumber === n && e.direction === direction));
    if (!ok) throw new Error(`LIBUSB_ERROR_INVALID_PARAM: endpoint ${n} ${direction} not on a claimed interface`);
  }

  /** Bytes from the device on its bulk IN endpoint. */
  deliver(bytes: Buffer): void {
    const waiter = this.waiters.values().next().value;
    if (waiter) {
      this.waiters.delete(waiter);
      waiter.resolve(bytes);
    } else this.inQueue.push(bytes);
  }

  async open(): Promise<void> {
    this.calls.push('open');
    if (!this.present) throw this.gone();
    this.opened = true;
  }

  async close(): Promise<void> {
    this.calls.push('close');
    this.opened = false;
    this.claimed.clear();
  }

  async detachKernelDriver(n: number): Promise<void> {
    this.calls.push(`detach ${n}`);
    if (!this.kernelDriverAttached) throw new Error('LIBUSB_ERROR_NOT_FOUND');
    this.kernelDriverAttached = false;
  }

  async claimInterface(n: number): Promise<void> {
    this.calls.push(`claim ${n}`);
    if (!this.opened) throw new Error('device not open');
    if (this.options.claimError) throw new Error(this.options.claimError);
    if (this.kernelDriverAttached) throw new Error('LIBUSB_ERROR_BUSY');
    this.claimed.add(n);
  }

  async releaseInterface(n: number): Promise<void> {
    this.calls.push(`release ${n}`);
    this.claimed.delete(n);
  }

  async transferOut(n: number, data: Uint8Array): Promise<{ bytesWritten: number; status: string }> {
    if (!this.present) throw this.gone();
    this.endpoint(n, 'out');
    this.peer.feed(Buffer.from(data));
    return { bytesWritten: data.length, status: 'ok' };
  }

  transferIn(n: number, _length: number, timeout = 1000): Promise<{ data?: DataView; status: string }> {
    if (!this.present) return Promise.reject(this.gone());
    this.endpoint(n, 'in');
    const queued = this.inQueue.shift();
    const wrap = (b: Buffer) => ({ data: new DataView(b.buffer, b.byteOffset, b.byteLength), status: 'ok' });
    if (queued) return Promise.resolve(wrap(queued));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (b: Buffer) => { clearTimeout(timer); resolve(wrap(b)); },
        reject: (e: Error) => { clearTimeout(timer); reject(e); },
      };
      const timer = setTimeout(() => { this.waiters.delete(waiter); reject(new Error('Transfer timed out')); }, timeout);
      this.waiters.add(waiter);
    });
  }

  /** Pull the cable: pending and future transfers fail. */
  unplug(): void {
    this.present = false;
    for (const w of [...this.waiters]) w.reject(this.gone());
    this.waiters.clear();
  }
}

export class FakeUsb implements UsbApi {
  readonly devices: FakeUsbDevice[] = [];

  plug(device: FakeUsbDevice): FakeUsbDevice {
    this.devices.push(device);
    return device;
  }

  async getDevices(): Promise<UsbDeviceLike[]> {
    return this.devices.filter((d) => d.present);
  }

  async findDeviceByIds(vendorId: number, productId: number): Promise<UsbDeviceLike | undefined> {
    return this.devices.find((d) => d.present && d.vendorId === vendorId && d.productId === productId);
  }
}
