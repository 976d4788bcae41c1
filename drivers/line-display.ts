// A customer-facing line display (2 rows × `columns`, Epson ESC/POS display commands) over any
// Transport. It shows the latest frame: there is no queue (an old "total" is worth nothing), a
// show() on a display that is not ready fails with DEVICE_UNAVAILABLE, and after a reconnect the
// display is initialised and the last frame is shown again by itself. A write that hangs (flow
// control held by a dead device) fails after writeTimeoutMs and drops the link.
import { displayPage, fitRow, frameBytes, initBytes, type DisplayPage } from './display-encoder.ts';
import { DriverError, describeError } from './errors.ts';
import { DeviceRunner, type Backoff } from './reconnect.ts';
import type { ByteLink, Device, DeviceState, DriverLogger, Emit, Transport } from './types.ts';

export interface LineDisplayOptions {
  name: string;
  transport: Transport;
  emit: Emit;
  log: DriverLogger;
  columns?: number;
  codePage?: string;
  codePageNumber?: number;
  writeTimeoutMs?: number;
  backoff?: Partial<Backoff>;
  now?: () => Date;
}

export class LineDisplay implements Device {
  readonly kind = 'display' as const;
  readonly name: string;
  readonly page: DisplayPage;
  private readonly runner: DeviceRunner;
  private shown: [string, string] = ['', ''];
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LineDisplayOptions) {
    this.name = options.name;
    this.page = displayPage(options.codePage ?? 'cp437', options.columns ?? 20, options.codePageNumber);
    this.runner = new DeviceRunner({
      name: options.name, kind: 'display', transport: options.transport, emit: options.emit, log: options.log,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.now ? { now: options.now } : {}),
      // A fresh link (first open, replug, display power-cycled): initialise and show the last frame.
      onLink: (link) => this.write(link, Buffer.concat([initBytes(this.page), frameBytes(this.shown, this.page)])),
    });
  }

  start(): void {
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  state(): DeviceState {
    return this.runner.state();
  }

  reason(): string | undefined {
    return this.runner.reason();
  }

  /** What the display shows (as fitted: code page fallback, cut to the columns). */
  lines(): [string, string] {
    return this.shown;
  }

  /** Shows two rows; resolves with them as fitted. Rejects with DEVICE_UNAVAILABLE when it cannot. */
  show(rows: readonly [string, string]): Promise<[string, string]> {
    const fitted: [string, string] = [fitRow(rows[0], this.page), fitRow(rows[1], this.page)];
    const run = this.chain.then(async () => {
      const link = this.runner.currentLink();
      if (!link) throw this.unavailable('not_ready', `display ${this.name} is ${this.runner.state()}${this.reason() ? `: ${this.reason()}` : ''}`);
      try {
        await this.write(link, frameBytes(fitted, this.page));
      } catch (error) {
        const why = describeError(error);
        this.runner.drop(why);
        throw this.unavailable('write_failed', `display ${this.name}: ${why}`);
      }
      this.shown = fitted;
      return fitted;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private unavailable(reason: 'not_ready' | 'write_failed', message: string): DriverError {
    return new DriverError('DEVICE_UNAVAILABLE', reason, this.name, message);
  }

  private async write(link: ByteLink, bytes: Buffer): Promise<void> {
    const timeoutMs = this.options.writeTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        link.write(bytes),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`write timed out after ${timeoutMs} ms`)), timeoutMs); }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
