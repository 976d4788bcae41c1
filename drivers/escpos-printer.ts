// An ESC/POS printer over any Transport, with a per-printer job queue.
//
// When the link can read (serial, TCP, USB with bulk IN) the printer is `ready` only once it
// answers a status request: a powered-off printer behind a live USB-serial adapter is offline,
// and so is one that stops answering. A job goes:
//
//   status (DLE EOT) ─► job bytes + GS r 1 ─► GS r answer = printed
//        │                   │                    │ (DLE EOT polled meanwhile)
//        │                   └ link lost ──────────┴ paper out, cover open, silence ─► uncertain
//        └ problem ─► PRINTER_ERROR (nothing sent)
//
// GS r is answered once everything before it is printed (receiptline/receiptio end their jobs so;
// DLE EOT is real-time, answered before the buffered job prints). A link that cannot read, or
// `confirm: false`, gives `sent`. A job waits for an offline printer (bounded) and is tried after
// a reconnect only until its first byte is out; after that an interrupted job is `uncertain`.
import { drawerKick, EscPos, processedRequest } from './escpos-encoder.ts';
import { awaitConfirmation, NoReply, PrinterChannel } from './escpos-channel.ts';
import { processedWarnings, statusProblem, statusWarnings } from './escpos-status.ts';
import { DrawerMonitor, type DrawerSensor } from './drawer-monitor.ts';
import { DriverError, describeError, type DriverErrorReason } from './errors.ts';
import { DeviceRunner, type Backoff } from './reconnect.ts';
import type {
  ByteLink, DeviceState, DriverLogger, Emit, Printer, PrinterStatus, PrinterStatusReport, PrintJobHandle, PrintResult, SubmitOptions,
  Transport,
} from './types.ts';

export interface EscPosPrinterOptions {
  name: string;
  transport: Transport;
  emit: Emit;
  log: DriverLogger;
  /** Columns of font A (32, 42, 48, …), for receipt layout. */
  width?: number;
  codePage?: string;
  /** ESC t number for codePage when the printer numbers its tables differently. */
  codePageNumber?: number;
  /** Jobs waiting at most (beyond: queue_full), and for how long (beyond: PRINT_TIMEOUT). */
  maxJobs?: number;
  maxWaitMs?: number;
  /** DLE EOT status around each job when the link can read; GS r confirmation (needs status). */
  checkStatus?: boolean;
  confirm?: boolean;
  /** How long a job may take to print before it is `uncertain` (not_confirmed). */
  confirmTimeoutMs?: number;
  /** DLE EOT poll while a job prints, and of the drawer while idle. */
  pollMs?: number;
  drawerSensor?: DrawerSensor;
  statusTimeoutMs?: number;
  writeTimeoutMs?: number;
  backoff?: Partial<Backoff>;
  connectTimeoutMs?: number;
  now?: () => Date;
}

interface Job {
  id: string;
  kind: 'receipt' | 'drawer';
  bytes: Buffer;
  expired: boolean;
  settled: boolean;
  timer: NodeJS.Timeout;
  onSending?: () => void;
  onWaiting?: () => void;
  resolve(result: PrintResult): void;
  reject(error: DriverError): void;
}

// A drawer kick is never kept for a printer that is not ready: it would open the drawer by itself,
// unattended, whenever the printer came back (OPOS and POSSUM answer "offline" at once too).
const drawerNotReady = (state: DeviceState) => `printer is ${state}: the drawer is not kicked later (open it with its key)`;

export class EscPosPrinter implements Printer {
  readonly kind = 'printer' as const;
  readonly name: string;
  readonly width: number;
  readonly codePage: string;
  private readonly runner: DeviceRunner;
  private readonly drawerMonitor: DrawerMonitor;
  private readonly queue: Job[] = [];
  private channel: PrinterChannel | undefined;
  private seq = 0;
  private running = false;
  private pumping = false;
  /** A job was left unconfirmed: its GS r answer may still come, so resync before the next. */
  private owed = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private wakeUp: (() => void) | undefined;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EscPosPrinterOptions) {
    this.name = options.name;
    this.width = options.width ?? 42;
    this.codePage = options.codePage ?? 'cp437';
    const now = options.now ?? (() => new Date());
    this.drawerMonitor = new DrawerMonitor(options.name, options.drawerSensor ?? 'off', options.emit, now);
    this.runner = new DeviceRunner({
      name: options.name,
      kind: 'printer',
      transport: options.transport,
      emit: options.emit,
      log: options.log,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      now,
      onState: (state) => {
        if (state !== 'ready') this.drawerMonitor.forget();
        this.wake();
      },
      onLink: (link) => this.probe(link),
    });
  }

  get drawerSensor(): boolean {
    return this.drawerMonitor.enabled && this.options.checkStatus !== false;
  }

  start(): void {
    this.running = true;
    this.runner.start();
    // Idle drawer poll: one DLE EOT 1, never while a job is queued or printing.
    if (this.drawerSensor) {
      this.pollTimer = setInterval(() => {
        const channel = this.readableChannel();
        if (channel && this.queue.length === 0 && !this.pumping) {
          void this.exclusive(() => channel.query(1, this.timeout())).then((b) => this.drawerMonitor.update(b), (error: unknown) => {
            if (this.runner.currentLink() === channel.link) this.dropLink(error);
          });
        }
      }, this.pollMs());
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.pollTimer);
    for (const job of this.queue.splice(0)) this.fail(job, 'DEVICE_UNAVAILABLE', 'stopped', 'printer stopped');
    this.wake();
    await this.runner.stop();
  }

  state(): DeviceState {
    return this.runner.state();
  }

  reason(): string | undefined {
    return this.runner.reason();
  }

  queued(): number {
    return this.queue.length;
  }

  drawer() {
    return this.drawerMonitor.state();
  }

  waitDrawerClosed(timeoutMs: number, graceMs = 2000) {
    return this.drawerMonitor.waitClosed(timeoutMs, graceMs);
  }

  job(): EscPos {
    const n = this.options.codePageNumber;
    return new EscPos({ codePage: this.codePage, ...(n !== undefined ? { codePageNumber: n } : {}) }).init();
  }

  submit(bytes: Uint8Array, options: SubmitOptions = {}): PrintJobHandle {
    const id = `${this.name}-${++this.seq}`;
    const queued = this.runner.state() !== 'ready' || this.queue.length > 0;
    const done = new Promise<PrintResult>((resolve, reject) => {
      if (!this.running) return reject(this.error('DEVICE_UNAVAILABLE', 'stopped', 'printer is not running'));
      if (options.kind === 'drawer' && this.runner.state() !== 'ready') {
        return reject(this.error('DEVICE_UNAVAILABLE', 'not_ready', drawerNotReady(this.runner.state())));
      }
      if (this.queue.length >= (this.options.maxJobs ?? 20)) {
        return reject(this.error('DEVICE_UNAVAILABLE', 'queue_full', `print queue full (${this.queue.length} jobs)`));
      }
      const job: Job = {
        id, kind: options.kind ?? 'receipt', bytes: Buffer.from(bytes), expired: false, settled: false,
        ...(options.onSending ? { onSending: options.onSending } : {}),
        ...(options.onWaiting ? { onWaiting: options.onWaiting } : {}),
        resolve, reject,
        timer: setTimeout(() => {
          job.expired = true;
          const index = this.queue.indexOf(job);
          // Behind the head it is surely waiting: fail it now. The head may be mid-attempt, so
          // the pump fails it when that attempt asks for a retry (or when it wakes up).
          if (index > 0) {
            this.queue.splice(index, 1);
            this.fail(job, 'PRINT_TIMEOUT', 'waited_too_long', `printer ${this.name} did not come back in time`);
          }
          this.wake();
        }, this.options.maxWaitMs ?? 60_000),
      };
      this.queue.push(job);
      if (queued) this.options.log.info({ device: this.name, job: id, state: this.runner.state() }, 'print job queued');
      this.wake();
      void this.pump();
    });
    // Failures are logged in fail(); a caller that drops the handle must not crash the daemon
    // with an unhandled rejection. Whoever awaits `done` still gets the error.
    done.catch(() => undefined);
    return { job_id: id, queued, done };
  }

  print(bytes: Uint8Array): Promise<PrintResult> {
    return this.submit(bytes).done;
  }

  openDrawer(pin: 0 | 1 = 0): Promise<PrintResult> {
    return this.submit(drawerKick(pin), { kind: 'drawer' }).done;
  }

  async status(): Promise<PrinterStatusReport> {
    const state = this.runner.state();
    const base = { state, queued: this.queue.length };
    const channel = this.readableChannel();
    if (!channel) {
      const reason = this.runner.reason();
      return { ...base, checked: false, ...(reason ? { reason } : {}) };
    }
    try {
      const status = await this.exclusive(() => this.readStatus(channel));
      return { ...base, checked: true, status };
    } catch (error) {
      return { ...base, checked: false, reason: error instanceof NoReply ? 'not_responding' : describeError(error) };
    }
  }

  private pollMs = () => this.options.pollMs ?? 500;
  private timeout = () => this.options.statusTimeoutMs ?? 1000;

  /** The current link's channel, when status checks are possible. */
  private readableChannel(): PrinterChannel | undefined {
    const link = this.runner.currentLink();
    if (!link || !link.canRead || this.options.checkStatus === false) return undefined;
    return this.channel?.link === link ? this.channel : undefined;
  }

  private error(code: DriverError['code'], reason: DriverErrorReason, message: string): DriverError {
    return new DriverError(code, reason, this.name, `${this.name}: ${message}`);
  }

  private fail(job: Job, code: DriverError['code'], reason: DriverErrorReason, message: string): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    this.options.log.warn({ device: this.name, job: job.id, code, reason }, 'print job failed');
    job.reject(this.error(code, reason, message));
  }

  private settle(job: Job, result: Omit<PrintResult, 'job_id'>): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    const log = result.outcome === 'uncertain' ? this.options.log.warn : this.options.log.info;
    log.call(this.options.log, { device: this.name, job: job.id, kind: job.kind, bytes: job.bytes.length, ...result }, `print job ${result.outcome}`);
    job.resolve({ job_id: job.id, ...result });
  }

  private wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => { this.wakeUp = resolve; });
  }

  /** Link users (jobs, status queries, drawer polls) take turns, so their bytes never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.running && this.queue.length > 0) {
        const job = this.queue[0] as Job;
        if (job.expired || job.settled) {
          this.queue.shift();
          this.fail(job, 'PRINT_TIMEOUT', 'waited_too_long', `printer ${this.name} did not come back in time`);
          continue;
        }
        const link = this.runner.currentLink();
        if (!link || this.channel?.link !== link) {
          if (job.kind === 'drawer') {
            this.queue.shift();
            this.fail(job, 'DEVICE_UNAVAILABLE', 'not_ready', drawerNotReady(this.runner.state()));
            continue;
          }
          await this.sleep();
          continue;
        }
        const channel = this.channel;
        await this.exclusive(() => this.attempt(job, channel));
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Before `ready`: the printer must answer (two tries, as the first byte after a power-on can be lost). */
  private async probe(link: ByteLink): Promise<void> {
    const channel = new PrinterChannel(link, (reply) => {
      if (reply.type === 'processed') this.options.log.info({ device: this.name }, 'late confirmation of an earlier job');
    });
    if (link.canRead && this.options.checkStatus !== false) {
      try {
        this.drawerMonitor.update(await channel.query(1, this.timeout()));
      } catch (error) {
        if (!(error instanceof NoReply)) throw error;
        try {
          this.drawerMonitor.update(await channel.query(1, this.timeout()));
        } catch (second) {
          throw second instanceof NoReply ? new Error('printer not responding to status requests') : second;
        }
      }
    }
    this.channel = channel;
  }

  private async readStatus(channel: PrinterChannel): Promise<PrinterStatus> {
    const { status, bytes } = await channel.readStatus(this.timeout());
    if (bytes[1] !== undefined) this.drawerMonitor.update(bytes[1]);
    return status;
  }

  /** The link is unusable (silent printer, hung write): drop it; the runner reconnects and probes. */
  private dropLink(error: unknown): string {
    const reason = error instanceof NoReply ? 'printer not responding to status requests' : describeError(error);
    this.runner.drop(reason);
    return reason;
  }

  /** One try at a job. A job still in the queue afterwards is tried again after the reconnect. */
  private async attempt(job: Job, channel: PrinterChannel): Promise<void> {
    const check = channel.link.canRead && this.options.checkStatus !== false;
    const confirm = check && this.options.confirm !== false;
    // Nothing of this job is out yet: anything going wrong here keeps it for the next link.
    try {
      if (check) {
        const problem = statusProblem(await this.readStatus(channel));
        if (problem) {
          this.dequeue(job);
          return this.fail(job, 'PRINTER_ERROR', problem, `cannot print: ${problem.replace('_', ' ')}`);
        }
      }
      if (confirm && this.owed) {
        await channel.resync(this.options.confirmTimeoutMs ?? 10_000, Math.max(100, this.timeout() / 4));
        this.owed = false;
      }
    } catch (error) {
      const reason = this.dropLink(error);
      this.options.log.warn({ device: this.name, job: job.id, reason }, 'printer lost before the job: it waits');
      return job.onWaiting?.();
    }
    if (job.settled || job.expired) return; // stopped or timed out meanwhile: the pump settles it
    // From the first byte on, the job is never written again.
    this.dequeue(job);
    clearTimeout(job.timer);
    job.onSending?.();
    // Listen before writing: a fast printer answers before write() returns.
    const confirmed = confirm
      ? channel.nextProcessed(this.options.confirmTimeoutMs ?? 10_000).then((reply) => ({ reply }), (error: unknown) => ({ error }))
      : undefined;
    try {
      await channel.write(confirm ? Buffer.concat([job.bytes, processedRequest()]) : job.bytes, this.options.writeTimeoutMs ?? 15_000);
    } catch (error) {
      const reason = this.dropLink(error);
      if (confirm) this.owed = true;
      return this.settle(job, { outcome: 'uncertain', reason: /timed out/.test(reason) ? 'write_timeout' : 'link_lost', warnings: [] });
    }
    if (!check) return this.settle(job, { outcome: 'sent', warnings: [] });
    if (!confirmed) return this.afterSent(job, channel);
    const outcome = await awaitConfirmation(confirmed, () => this.readStatus(channel), this.pollMs());
    if ('uncertain' in outcome) {
      if (outcome.error) this.dropLink(outcome.error);
      this.owed = true;
      return this.settle(job, { outcome: 'uncertain', reason: outcome.uncertain, warnings: [], ...(outcome.status ? { status: outcome.status } : {}) });
    }
    let status: PrinterStatus | undefined;
    try {
      status = await this.readStatus(channel);
    } catch {
      status = undefined; // printed all the same: the printer confirmed it
    }
    const warnings = [...new Set([...processedWarnings(outcome.reply), ...(status ? statusWarnings(status) : [])])];
    this.settle(job, { outcome: 'printed', warnings, ...(status ? { status } : {}) });
  }

  /** `confirm: false`: the status after the job is all there is; it can only say `sent`. */
  private async afterSent(job: Job, channel: PrinterChannel): Promise<void> {
    try {
      const status = await this.readStatus(channel);
      const problem = statusProblem(status);
      if (problem) return this.settle(job, { outcome: 'uncertain', reason: problem, status, warnings: [] });
      this.settle(job, { outcome: 'sent', status, warnings: statusWarnings(status) });
    } catch (error) {
      this.dropLink(error);
      this.settle(job, { outcome: 'uncertain', reason: error instanceof NoReply ? 'not_responding' : 'link_lost', warnings: [] });
    }
  }

  private dequeue(job: Job): void {
    const index = this.queue.indexOf(job);
    if (index >= 0) this.queue.splice(index, 1);
  }
}
