// Builds the devices of a validated `devices:` config, starts and stops them together, and
// exposes their events and state. One device failing (unplugged, wrong path) never affects
// another: each has its own runner with its own backoff.
import type { DeviceConfig } from './config.ts';
import { createCardReader } from './card-reader.ts';
import { DriverEvents } from './emitter.ts';
import { DisplayScreen } from './display-encoder.ts';
import { EscPosPrinter } from './escpos-printer.ts';
import { DELIMITERS } from './line-reader.ts';
import { LineDisplay } from './line-display.ts';
import { describeError } from './errors.ts';
import { SerialScale } from './scale.ts';
import { createBarcodeScanner } from './scanner.ts';
import { buildTransport, type TransportDeps } from './transports/index.ts';
import type { UsbApi } from './transports/usb.ts';
import type { VirtualDevice } from './transports/virtual.ts';
import type { Device, DeviceKind, DeviceState, DriverEventMap, DriverLogger, DriverTopic, Printer, Scale } from './types.ts';
import type { Backoff } from './reconnect.ts';

export interface DeviceInfo {
  name: string;
  kind: DeviceKind;
  transport: DeviceConfig['transport'];
  target: string;
  state: DeviceState;
  reason?: string;
  /** Printers: jobs waiting or printing. */
  queued?: number;
  /** Printers with drawer_sensor: the drawer as last read. */
  drawer?: 'open' | 'closed' | null;
  /** Displays: the two rows shown. */
  lines?: [string, string];
}

export interface DeviceManagerOptions {
  devices: readonly DeviceConfig[];
  log: DriverLogger;
  /** Where virtual printers without a `path` write their .txt/.png previews (the agent: data_dir/receipts). */
  previewDir?: string;
  usb?: UsbApi | (() => Promise<UsbApi>);
  /** Virtual displays: called with the rows after each frame (the demo draws them in the terminal). */
  onVirtualDisplay?: (name: string, lines: [string, string]) => void;
  /** Tuning for tests; production uses each entry's reconnect_max_ms. */
  backoff?: Partial<Backoff>;
  now?: () => Date;
}

interface Entry {
  config: DeviceConfig;
  device: Device;
  target: string;
  virtual?: VirtualDevice;
}

export class DeviceManager {
  readonly events: DriverEvents;
  private readonly entries: Entry[] = [];
  private previewSeq = 0;

  constructor(private readonly options: DeviceManagerOptions) {
    this.events = new DriverEvents(options.log);
    const screens = new Map<string, DisplayScreen>();
    const deps: TransportDeps = {
      ...(options.usb ? { usb: options.usb } : {}),
      onVirtualJob: (config, bytes) => {
        if (config.kind === 'printer') return this.preview(config, bytes);
        const screen = screens.get(config.name) ?? new DisplayScreen(config.columns, config.code_page);
        screens.set(config.name, screen);
        screen.feed(bytes);
        options.onVirtualDisplay?.(config.name, screen.lines());
      },
    };
    for (const config of options.devices) this.entries.push(this.build(config, deps));
  }

  on<K extends DriverTopic>(topic: K, listener: (event: DriverEventMap[K]) => void): () => void {
    return this.events.on(topic, listener);
  }

  /** Starts every device; returns at once (devices connect in the background). */
  start(): void {
    for (const { device } of this.entries) device.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.entries].reverse().map(({ device }) => device.stop()));
  }

  list(): DeviceInfo[] {
    return this.entries.map(({ config, device, target }) => {
      const reason = device.reason();
      return {
        name: config.name,
        kind: config.kind,
        transport: config.transport,
        target,
        state: device.state(),
        ...(reason ? { reason } : {}),
        ...(device.kind === 'printer' ? { queued: (device as Printer).queued() } : {}),
        ...(device.kind === 'printer' && (device as Printer).drawerSensor ? { drawer: (device as Printer).drawer() ?? null } : {}),
        ...(device instanceof LineDisplay ? { lines: device.lines() } : {}),
      };
    });
  }

  /** A printer by name, or the first configured printer. */
  printer(name?: string): Printer | undefined {
    const entry = this.entries.find((e) => e.device.kind === 'printer' && (name === undefined || e.config.name === name));
    return entry?.device as Printer | undefined;
  }

  /** A scale by name, or the first configured scale. */
  scale(name?: string): Scale | undefined {
    const entry = this.entries.find((e) => e.device.kind === 'scale' && (name === undefined || e.config.name === name));
    return entry?.device as Scale | undefined;
  }

  /** A display by name, or the first configured display. */
  display(name?: string): LineDisplay | undefined {
    const entry = this.entries.find((e) => e.device instanceof LineDisplay && (name === undefined || e.config.name === name));
    return entry?.device as LineDisplay | undefined;
  }

  /** Displays configured with follow_sale. */
  followers(): LineDisplay[] {
    return this.entries.filter((e) => e.device instanceof LineDisplay && e.config.follow_sale).map((e) => e.device as LineDisplay);
  }

  device(name: string): Device | undefined {
    return this.entries.find((e) => e.config.name === name)?.device;
  }

  /**
   * Feed a line to a virtual scanner/card reader, as if scanned (`till-agent scan …`, the demo's
   * stdin), or put a load on a virtual scale ("0.350", "unstable", …: transports/virtual-scale.ts).
   * The reader's terminator is added. False if there is no such connected virtual device.
   */
  inject(name: string, text: string): boolean {
    const entry = this.entries.find((e) => e.config.name === name && e.virtual && e.device.kind !== 'printer' && e.device.kind !== 'display');
    if (!entry?.virtual) return false;
    return entry.virtual.inject(text + DELIMITERS[entry.config.terminator]);
  }

  private build(config: DeviceConfig, deps: TransportDeps): Entry {
    const { transport, target, virtual } = buildTransport(config, deps);
    const common = {
      name: config.name,
      transport,
      emit: this.events.emit,
      log: this.options.log,
      backoff: { maxMs: config.reconnect_max_ms, ...this.options.backoff },
      ...(this.options.now ? { now: this.options.now } : {}),
    };
    let device: Device;
    if (config.kind === 'display') {
      device = new LineDisplay({
        ...common, columns: config.columns, codePage: config.code_page,
        ...(config.code_page_number !== undefined ? { codePageNumber: config.code_page_number } : {}),
      });
    } else if (config.kind === 'printer') {
      device = new EscPosPrinter({
        ...common,
        width: config.width,
        codePage: config.code_page,
        ...(config.code_page_number !== undefined ? { codePageNumber: config.code_page_number } : {}),
        maxJobs: config.queue_max_jobs,
        maxWaitMs: config.queue_timeout_ms,
        statusTimeoutMs: config.status_timeout_ms,
        ...(config.status !== undefined ? { checkStatus: config.status } : {}),
        confirm: config.confirm,
        confirmTimeoutMs: config.confirm_timeout_ms,
        pollMs: config.poll_ms,
        drawerSensor: config.drawer_sensor,
      });
    } else if (config.kind === 'scale') {
      device = new SerialScale({
        ...common,
        protocol: config.protocol,
        unit: config.unit,
        settleTimeoutMs: config.settle_timeout_ms,
        answerTimeoutMs: config.answer_timeout_ms,
      });
    } else {
      const reader = {
        ...common,
        terminator: config.terminator,
        idleFlushMs: config.idle_flush_ms,
      };
      device = config.kind === 'barcode-scanner'
        ? createBarcodeScanner({
            ...reader,
            barcode: { aim: config.aim, ...(config.prefix ? { prefix: config.prefix } : {}), ...(config.suffix ? { suffix: config.suffix } : {}) },
          })
        : createCardReader(reader);
    }
    return { config, device, target, ...(virtual ? { virtual } : {}) };
  }

  /** Virtual printer job → .txt/.png preview. A preview that cannot be written is logged, never fatal. */
  private async preview(config: DeviceConfig, bytes: Buffer): Promise<void> {
    const dir = config.path ?? (this.options.previewDir ? this.options.previewDir : undefined);
    if (!dir) return;
    const base = `${(this.options.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-')}-${config.name}-${String(++this.previewSeq).padStart(4, '0')}`;
    try {
      // The renderer (pngjs, bwip-js) is loaded with the first preview, not at start-up.
      const { writePreview } = await import('./receipt-preview.ts');
      const written = await writePreview(dir, base, bytes, {
        columns: config.width,
        ...(config.code_page_number !== undefined ? { codePageNumbers: { [config.code_page_number]: config.code_page } } : {}),
      });
      if (written) this.options.log.info({ device: config.name, ...written }, 'receipt preview written');
    } catch (error) {
      this.options.log.error({ device: config.name, reason: describeError(error) }, 'receipt preview failed');
    }
  }
}
