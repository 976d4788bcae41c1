// Builds the Transport a config entry describes.
import type { DeviceConfig } from '../config.ts';
import type { Transport } from '../types.ts';
import { evdevTransport } from './evdev.ts';
import { fileTransport } from './file.ts';
import { serialTransport } from './serial.ts';
import { tcpTransport } from './tcp.ts';
import { usbTransport, type UsbApi } from './usb.ts';
import { virtualScale } from './virtual-scale.ts';
import { virtualDevice, type VirtualDevice } from './virtual.ts';

export interface TransportDeps {
  usb?: UsbApi | (() => Promise<UsbApi>);
  /** Virtual printers and displays: what to do with each write's bytes. */
  onVirtualJob?: (config: DeviceConfig, bytes: Buffer) => void | Promise<void>;
}

export interface BuiltTransport {
  transport: Transport;
  /** "/dev/ttyUSB0", "10.0.0.5:9100", "usb 04b8:0202": where the device is, for listings. */
  target: string;
  virtual?: VirtualDevice;
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export function buildTransport(config: DeviceConfig, deps: TransportDeps = {}): BuiltTransport {
  switch (config.transport) {
    case 'serial': {
      const path = config.path ?? '';
      return {
        target: path,
        transport: serialTransport({
          path, baudRate: config.baud, parity: config.parity, dataBits: config.data_bits, stopBits: config.stop_bits, rtscts: config.rtscts,
        }),
      };
    }
    case 'tcp':
      return {
        target: `${config.host}:${config.port}`,
        transport: tcpTransport({ host: config.host ?? '', port: config.port, liveness: { userTimeoutMs: config.ack_timeout_ms } }),
      };
    case 'file':
      return { target: config.path ?? '', transport: fileTransport({ path: config.path ?? '' }) };
    case 'usb': {
      const vendorId = config.vendor_id ?? 0;
      const productId = config.product_id ?? 0;
      return {
        target: `usb ${hex4(vendorId)}:${hex4(productId)}`,
        transport: usbTransport({
          vendorId, productId,
          ...(config.interface !== undefined ? { interfaceNumber: config.interface } : {}),
          ...(deps.usb ? { usb: deps.usb } : {}),
        }),
      };
    }
    case 'evdev': {
      const path = config.path ?? '';
      return { target: path, transport: evdevTransport({ path, layout: config.layout, grab: config.grab }) };
    }
    case 'virtual': {
      if (config.kind === 'scale') {
        const virtual = virtualScale(config.name);
        return { target: `virtual ${config.name}`, transport: virtual.transport, virtual };
      }
      const onJob = deps.onVirtualJob;
      const virtual = virtualDevice({
        name: config.name,
        // The demo's drawer opens on a kick and is "closed by the cashier" after drawer_open_ms.
        ...(config.kind === 'printer' ? { drawerOpenMs: config.drawer_open_ms } : {}),
        ...((config.kind === 'printer' || config.kind === 'display') && onJob ? { onWrite: (bytes: Buffer) => onJob(config, bytes) } : {}),
      });
      return { target: `virtual ${config.name}`, transport: virtual.transport, virtual };
    }
  }
}
