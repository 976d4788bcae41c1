// Contracts of the device layer. Layers, bottom up:
//
//   Transport (factory)  serial | usb | tcp | file | virtual      transports/*.ts
//        │  () => Promise<ByteLink>
//   ByteLink             write / onData / onClose / close         one open connection
//        │
//   DeviceRunner         connecting → ready → offline → …         reconnect.ts (backoff, device events)
//        │
//   Reader | Printer     lines → barcode/msr parsers → scan events   scanner.ts, card-reader.ts
//                        jobs → status → bytes                      escpos-printer.ts
//        │
//   DeviceManager        config entries → devices, events, list()    device-manager.ts
//
// Drivers never import serialport, usb or net: they get a Transport.
import type { EscPos } from './escpos-encoder.ts';

/** Why a link closed: the device went away (`disconnected`) or we closed it ourselves (cancelled). */
export type LinkCloseReason = { disconnected: true; error: string } | { disconnected: false };

/** One open byte connection to a device. */
export interface ByteLink {
  /** For logs: "serial /dev/ttyUSB0", "tcp 10.0.0.5:9100". Never contains device data. */
  readonly label: string;
  /** Whether the device can answer (serial, TCP, USB with a bulk IN endpoint); a device file cannot. */
  readonly canRead: boolean;
  readonly closed: boolean;
  /** Resolves when the bytes were handed to the OS/device; rejects when the link broke. */
  write(data: Uint8Array): Promise<void>;
  /** Returns the function that removes the listener. */
  onData(listener: (chunk: Buffer) => void): () => void;
  /** Called exactly once; a listener added after the close is called on the next tick. */
  onClose(listener: (reason: LinkCloseReason) => void): () => void;
  /** Cancellation: listeners see `{disconnected: false}`. Idempotent. */
  close(): Promise<void>;
}

/** Opens a fresh link each time it is called (a transport is a factory, so tests can hand in fakes). */
export type Transport = () => Promise<ByteLink>;

export const DEVICE_KINDS = ['barcode-scanner', 'card-reader', 'printer', 'scale', 'display'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/**
 * `connecting`: first attempt after start; `ready`: link open; `offline`: link lost or never opened,
 * retrying with backoff (retries are silent: no event until `ready` again); `stopped`: by us.
 */
export type DeviceState = 'connecting' | 'ready' | 'offline' | 'stopped';

export interface DeviceEvent {
  device: string;
  kind: DeviceKind;
  state: DeviceState;
  /** Why the device is offline ("ENOENT …", "connection reset"); never device data. */
  reason?: string;
  at: string;
}

export interface ScanEvent {
  device: string;
  kind: 'barcode' | 'card' | 'payment_card';
  symbology?: string;
  /** Barcode content or loyalty card number. Absent for payment cards. */
  data?: string;
  /** Payment cards only: first 6 and last 4 digits, e.g. "411111******1111". */
  masked?: string;
  at: string;
}

/** A read that produced nothing usable. `reason` is a fixed code; it never contains the data read. */
export interface ScanErrorEvent {
  device: string;
  reason: string;
  at: string;
}

/** Cash drawer state as the printer's drawer kick-out connector (pin 3) reports it. */
export type DrawerState = 'open' | 'closed';

export interface DrawerEvent {
  device: string;
  state: DrawerState;
  at: string;
}

export interface DriverEventMap {
  scan: ScanEvent;
  scan_error: ScanErrorEvent;
  device: DeviceEvent;
  drawer: DrawerEvent;
}
export type DriverTopic = keyof DriverEventMap;
export type Emit = <K extends DriverTopic>(topic: K, event: DriverEventMap[K]) => void;

/** The subset of a pino logger the drivers use; pass the agent's logger. */
export interface DriverLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentDriverLogger: DriverLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** What every device has: lifecycle and state. */
export interface Device {
  readonly name: string;
  readonly kind: DeviceKind;
  start(): void;
  stop(): Promise<void>;
  state(): DeviceState;
  /** Why it is offline, when it is. */
  reason(): string | undefined;
}

/** A device that produces scan / scan_error events (barcode scanner, card reader). */
export interface Reader extends Device {
  readonly kind: 'barcode-scanner' | 'card-reader';
}

/** A stable weight, ready to sell by. `value` and `unit` are what the scale displayed. */
export interface StableWeight {
  grams: number;
  value: string;
  unit: 'kg' | 'g' | 'lb';
  net: boolean;
}

/**
 * A scale. `read` resolves with a stable, positive weight only; otherwise it rejects with a
 * DriverError: SCALE_UNSTABLE, SCALE_OVERLOAD, SCALE_NEGATIVE, SCALE_ZERO, SCALE_NO_ANSWER,
 * DEVICE_UNAVAILABLE. There is deliberately no "live weight" for selling.
 */
export interface Scale extends Device {
  readonly kind: 'scale';
  read(timeoutMs?: number): Promise<StableWeight>;
}

/** Decoded real-time status (DLE EOT). */
export interface PrinterStatus {
  online: boolean;
  cover_open: boolean;
  paper_out: boolean;
  paper_near_end: boolean;
  /** Drawer kick connector pin 3 level (see escpos-status.ts). */
  drawer_open?: boolean;
  /** Cutter or other (un)recoverable mechanical error. */
  error?: boolean;
}

export interface PrinterStatusReport {
  state: DeviceState;
  /** Whether `status` below was read from the printer just now (false: transport cannot read, or offline). */
  checked: boolean;
  status?: PrinterStatus;
  queued: number;
  reason?: string;
}

/**
 * What became of a job once its bytes went out (a job that fails before its first byte is a
 * DriverError instead: nothing was printed, so it is safe to print again):
 * - `printed`: the printer confirmed it after the last byte (GS r answer);
 * - `sent`: handed to a printer that cannot confirm (write-only link, status or confirm off);
 * - `uncertain`: interrupted after the first byte (see `reason`); it may be partly printed or not
 *   at all, and is never printed again by itself.
 */
export type PrintOutcome = 'printed' | 'sent' | 'uncertain';

/** Why a job is uncertain. */
export type UncertainReason =
  | 'link_lost' | 'write_timeout' | 'not_confirmed' | 'not_responding'
  | 'paper_out' | 'cover_open' | 'offline' | 'mechanical_error' | 'stopped';

export interface PrintResult {
  job_id: string;
  outcome: PrintOutcome;
  /** Only for `uncertain`. */
  reason?: UncertainReason;
  /** Status after the job, when the transport can read. */
  status?: PrinterStatus;
  /** Non-fatal conditions, e.g. "paper_near_end". */
  warnings: string[];
}

export interface SubmitOptions {
  kind?: 'receipt' | 'drawer';
  /** Called synchronously just before the first byte is written (to record "may be printing"). */
  onSending?: () => void;
  /** Called when the printer, ready at submit, is found gone before the first byte: the job waits for it. */
  onWaiting?: () => void;
}

export interface PrintJobHandle {
  job_id: string;
  /** True when the printer was not ready at submit time: the job waits in the queue. */
  queued: boolean;
  done: Promise<PrintResult>;
}

export interface Printer extends Device {
  readonly kind: 'printer';
  readonly width: number;
  readonly codePage: string;
  /** A job builder for this printer: its code page and ESC t number, starting with init. */
  job(): EscPos;
  /**
   * Queue raw ESC/POS bytes as one job. `done` rejects with a DriverError (PRINTER_ERROR,
   * PRINT_TIMEOUT, DEVICE_UNAVAILABLE) only when no byte was sent.
   */
  submit(job: Uint8Array, options?: SubmitOptions): PrintJobHandle;
  print(job: Uint8Array): Promise<PrintResult>;
  status(): Promise<PrinterStatusReport>;
  openDrawer(pin?: 0 | 1): Promise<PrintResult>;
  queued(): number;
  /** Whether this printer reports the drawer (drawer_sensor configured and a readable link). */
  readonly drawerSensor: boolean;
  /** The last drawer state read, undefined when not known (no sensor, offline, not read yet). */
  drawer(): DrawerState | undefined;
  /**
   * Resolves with the drawer state once it is `closed` after having been seen `open` (or seen
   * closed for `graceMs` without ever opening), or when timeoutMs runs out (then `open`).
   */
  waitDrawerClosed(timeoutMs: number, graceMs?: number): Promise<{ state: DrawerState | undefined; seen_open: boolean }>;
}
