// USB printers through the `usb` module (v3: WebUSB-style API). The module is an injected
// dependency (`UsbApi`) so tests can hand in a fake; the real one is loaded on first use.
// Open: find by vendor/product id → open → detach the kernel driver (usblp) → claim the printer
// interface → bulk OUT for jobs, bulk IN (when present) polled for status bytes.
import type { Transport } from '../types.ts';
import { LinkBase } from './link-base.ts';

export interface UsbEndpointLike {
  endpointNumber: number;
  direction: 'in' | 'out';
  type: string; // 'bulk' | 'interrupt' | 'isochronous'
}

export interface UsbInterfaceLike {
  interfaceNumber: number;
  alternate: { interfaceClass: number; endpoints: UsbEndpointLike[] };
}

/** What the transport uses of a `usb` device; the real UsbDevice and the test fake both fit. */
export interface UsbDeviceLike {
  vendorId: number;
  productId: number;
  /** Bus number (as the `usb` module gives it: a decimal string) and device address: /dev/bus/usb/BBB/DDD. */
  readonly bus?: string;
  readonly address?: number;
  readonly manufacturerName?: string | null;
  readonly productName?: string | null;
  readonly serialNumber?: string | null;
  readonly configuration?: { interfaces: UsbInterfaceLike[] } | null;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Linux only; fails when no kernel driver is attached, which is fine. */
  detachKernelDriver(interfaceNumber: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  transferOut(endpointNumber: number, data: Uint8Array, timeout?: number): Promise<{ bytesWritten: number; status: string }>;
  transferIn(endpointNumber: number, length: number, timeout?: number): Promise<{ data?: DataView; status: string }>;
}

export interface UsbApi {
  getDevices(): Promise<UsbDeviceLike[]>;
  findDeviceByIds(vendorId: number, productId: number): Promise<UsbDeviceLike | undefined>;
}

export const USB_CLASS_PRINTER = 7;

let loaded: Promise<UsbApi> | undefined;
/** The real `usb` module. Its typings lean on DOM WebUSB globals we do not load, hence the cast. */
export const loadUsb = (): Promise<UsbApi> =>
  (loaded ??= import('usb').then((m) => m.usb as unknown as UsbApi));

export interface UsbOptions {
  vendorId: number;
  productId: number;
  /** Interface number; default: the first printer-class interface with a bulk OUT endpoint. */
  interfaceNumber?: number;
  writeTimeoutMs?: number;
  /** Timeout of one bulk IN poll. */
  readPollMs?: number;
  /** Injected `usb` module (tests pass a fake). */
  usb?: UsbApi | (() => Promise<UsbApi>);
}

const hex = (n: number) => n.toString(16).padStart(4, '0');
const isTimeout = (error: unknown) => /timed? ?out|cancel/i.test(String((error as Error)?.message ?? error));

function pickInterface(device: UsbDeviceLike, wanted?: number): { iface: UsbInterfaceLike; out: number; in?: number } {
  const interfaces = device.configuration?.interfaces ?? [];
  const bulk = (i: UsbInterfaceLike, dir: 'in' | 'out') =>
    i.alternate.endpoints.find((e) => e.direction === dir && e.type === 'bulk')?.endpointNumber;
  const candidates = wanted !== undefined
    ? interfaces.filter((i) => i.interfaceNumber === wanted)
    : [...interfaces].sort((a, b) =>
        Number(b.alternate.interfaceClass === USB_CLASS_PRINTER) - Number(a.alternate.interfaceClass === USB_CLASS_PRINTER));
  for (const iface of candidates) {
    const out = bulk(iface, 'out');
    if (out !== undefined) {
      const inEp = bulk(iface, 'in');
      return inEp === undefined ? { iface, out } : { iface, out, in: inEp };
    }
  }
  throw new Error(wanted !== undefined ? `interface ${wanted} has no bulk OUT endpoint` : 'no interface with a bulk OUT endpoint');
}

class UsbLink extends LinkBase {
  readonly canRead: boolean;

  constructor(
    readonly label: string,
    private readonly device: UsbDeviceLike,
    private readonly interfaceNumber: number,
    private readonly outEp: number,
    private readonly inEp: number | undefined,
    private readonly writeTimeoutMs: number,
    private readonly readPollMs: number,
  ) {
    super();
    this.canRead = inEp !== undefined;
    if (inEp !== undefined) void this.readLoop(inEp);
  }

  private async readLoop(ep: number): Promise<void> {
    while (!this.closed) {
      try {
        const result = await this.device.transferIn(ep, 64, this.readPollMs);
        const data = result.data;
        if (data && data.byteLength > 0) {
          this.emitData(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
        } else if (!this.closed) {
          // Nothing (or a stall): pace the poll instead of spinning.
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } catch (error) {
        if (this.closed) return;
        if (!isTimeout(error)) return this.disconnected((error as Error).message ?? String(error));
      }
    }
  }

  async write(data: Uint8Array): Promise<void> {
    this.assertOpen();
    let result: { bytesWritten: number; status: string };
    try {
      result = await this.device.transferOut(this.outEp, data, this.writeTimeoutMs);
    } catch (error) {
      // A timeout means the printer is not taking data (paper out, busy): the link stays.
      if (!isTimeout(error)) this.disconnected((error as Error).message ?? String(error));
      throw error;
    }
    if (result.status !== 'ok' || result.bytesWritten !== data.length) {
      throw new Error(`USB bulk OUT ${result.status}: ${result.bytesWritten}/${data.length} bytes`);
    }
  }

  protected async release(): Promise<void> {
    await this.device.releaseInterface(this.interfaceNumber).catch(() => undefined);
    await this.device.close().catch(() => undefined);
  }
}

export function usbTransport(options: UsbOptions): Transport {
  const label = `usb ${hex(options.vendorId)}:${hex(options.productId)}`;
  return async () => {
    const usb = typeof options.usb === 'function' ? await options.usb() : options.usb ?? await loadUsb();
    const device = await usb.findDeviceByIds(options.vendorId, options.productId);
    if (!device) throw new Error(`${label} not found`);
    await device.open();
    try {
      const picked = pickInterface(device, options.interfaceNumber);
      const n = picked.iface.interfaceNumber;
      // There is no "is a kernel driver active?" in the v3 API: try to detach, and keep the
      // reason for the message in case the claim then fails.
      let detachError = '';
      await device.detachKernelDriver(n).catch((error: Error) => { detachError = error.message; });
      try {
        await device.claimInterface(n);
      } catch (error) {
        const why = detachError ? ` (detaching the kernel driver failed: ${detachError})` : '';
        throw new Error(`claim interface ${n} failed: ${(error as Error).message}${why}`);
      }
      return new UsbLink(label, device, n, picked.out, picked.in, options.writeTimeoutMs ?? 10_000, options.readPollMs ?? 1000);
    } catch (error) {
      await device.close().catch(() => undefined);
      throw error;
    }
  };
}
