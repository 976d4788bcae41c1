// An ESC/POS printer over any Transport, with a per-printer job queue.
//
// When the link can read (serial, TCP, USB with bulk IN) the printer is `ready` only once it
// answers a status request: a powered-off printer behind a live USB-serial adapter is offline,
// and so is one that stops answering. A job: status before → write → status after; a problem
// (paper out, cover open, offline) fails it with PRINTER_ERROR and that reason — never silently.
// While the printer is offline, jobs wait (bounded count, bounded time) and print when it is
// back; after the wait they fail with PRINT_TIMEOUT. A link lost in the middle of a job puts
// the job back at the head of the queue: it is printed again in full after the reconnect (a
// duplicate receipt beats a lost one), at most `maxAttempts` times.
import { EscPos, drawerKick, statusRequest } from './escpos-encoder.ts';
import { decodeStatus, isStatusByte, statusProblem, statusWarnings, type StatusBytes } from './escpos-status.ts';
import { DriverError, describeError, type DriverErrorReason } from './errors.ts';
import { DeviceRunner, type Backoff } from './reconnect.ts';
import type {
  ByteLink, DeviceState, DriverLogger, Emit, Printer, PrinterStatus, PrinterStatusReport, PrintJobHandle, PrintResult, Transport,
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
  /** Jobs waiting at most (beyond: DEVICE_UNAVAILABLE queue_full). */
  maxJobs?: number;
  /** How long a job may wait for an offline printer (beyond: PRINT_TIMEOUT). */
  maxWaitMs?: number;
  /** Query DLE EOT status around each job when the link can read. */
  checkStatus?: boolean;
  statusTimeoutMs?: number;
  writeTimeoutMs?: number;
  maxAttempts?: number;
  backoff?: Partial<Backoff>;
  connectTimeoutMs?: number;
  now?: () => Date;
}

interface Job {
  id: string;
  kind: 'receipt' | 'drawer';
  bytes: Buffer;
  attempts: number;
  expired: boolean;
  timer: NodeJS.Timeout;
  resolve(result: PrintResult): void;
  reject(error: DriverError): void;
}

/** The link went away during a job: retry after reconnect. */
class LinkLost extends Error {}
/** The printer did not answer a status request in time. */
class NoReply extends Error {}

export class EscPosPrinter implements Printer {
  readonly kind = 'printer' as const;
  readonly name: string;
  readonly width: number;
  readonly codePage: string;
  private readonly runner: DeviceRunner;
  private readonly queue: Job[] = [];
  private seq = 0;
  private running = false;
  private pumping = false;
  private wakeUp: (() => void) | undefined;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EscPosPrinterOptions) {
    this.name = options.name;
    this.width = options.width ?? 42;
    this.codePage = options.codePage ?? 'cp437';
    this.runner = new DeviceRunner({
      name: options.name,
      kind: 'printer',
      transport: options.transport,
      emit: options.emit,
      log: options.log,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      ...(options.now ? { now: options.now } : {}),
      onState: () => this.wake(),
      onLink: (link) => this.probe(link),
    });
  }

  start(): void {
    this.running = true;
    this.runner.start();
  }

  async stop(): Promise<void> {
    this.running = false;
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

  job(): EscPos {
    const n = this.options.codePageNumber;
    return new EscPos({ codePage: this.codePage, ...(n !== undefined ? { codePageNumber: n } : {}) }).init();
  }

  submit(bytes: Uint8Array, options: { kind?: 'receipt' | 'drawer' } = {}): PrintJobHandle {
    const id = `${this.name}-${++this.seq}`;
    const queued = this.runner.state() !== 'ready' || this.queue.length > 0;
    const done = new Promise<PrintResult>((resolve, reject) => {
      if (!this.running) return reject(this.error('DEVICE_UNAVAILABLE', 'stopped', 'printer is not running'));
      if (this.queue.length >= (this.options.maxJobs ?? 20)) {
        return reject(this.error('DEVICE_UNAVAILABLE', 'queue_full', `print queue full (${this.queue.length} jobs)`));
      }
      const job: Job = {
        id, kind: options.kind ?? 'receipt', bytes: Buffer.from(bytes), attempts: 0, expired: false,
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
    const link = this.runner.currentLink();
    if (!link || !link.canRead || this.options.checkStatus === false) {
      const reason = this.runner.reason();
      return { ...base, checked: false, ...(reason ? { reason } : {}) };
    }
    try {
      const status = await this.exclusive(() => this.readStatus(link));
      return { ...base, checked: true, status };
    } catch (error) {
      return { ...base, checked: false, reason: error instanceof NoReply ? 'not_responding' : describeError(error) };
    }
  }

  private error(code: DriverError['code'], reason: DriverErrorReason, message: string): DriverError {
    return new DriverError(code, reason, this.name, `${this.name}: ${message}`);
  }

  private fail(job: Job, code: DriverError['code'], reason: DriverErrorReason, message: string): void {
    clearTimeout(job.timer);
    this.options.log.warn({ device: this.name, job: job.id, code, reason }, 'print job failed');
    job.reject(this.error(code, reason, message));
  }

  private wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => { this.wakeUp = resolve; });
  }

  /** Link users (jobs, status queries) take turns, so their bytes never interleave. */
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
        if (job.expired) {
          this.queue.shift();
          this.fail(job, 'PRINT_TIMEOUT', 'waited_too_long', `printer ${this.name} did not come back in time`);
          continue;
        }
        const link = this.runner.currentLink();
        if (!link) {
          await this.sleep();
          continue;
        }
        // A settled job has left the queue before its promise settled; a retry stays at the head.
        await this.exclusive(() => this.attempt(job, link));
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Before `ready`: the printer must answer (two tries, as the first byte after a power-on can be lost). */
  private async probe(link: ByteLink): Promise<void> {
    if (!link.canRead || this.options.checkStatus === false) return;
    try {
      await this.query(link, 1);
    } catch (error) {
      if (!(error instanceof NoReply)) throw error;
      try {
        await this.query(link, 1);
      } catch (second) {
        throw second instanceof NoReply ? new Error('printer not responding to status requests') : second;
      }
    }
  }

  /** One try at a job. 'retry' leaves it at the head of the queue for after the reconnect. */
  private async attempt(job: Job, link: ByteLink): Promise<'settled' | 'retry'> {
    const check = link.canRead && this.options.checkStatus !== false;
    job.attempts++;
    try {
      if (check) {
        const problem = statusProblem(await this.readStatus(link));
        if (problem) return this.settleError(job, problem, `cannot print: ${problem.replace('_', ' ')}`);
      }
      await this.write(link, job.bytes);
      let after: PrinterStatus | undefined;
      if (check) {
        after = await this.readStatus(link);
        const problem = statusProblem(after);
        if (problem) return this.settleError(job, problem, `job may be incomplete: ${problem.replace('_', ' ')}`);
      }
      this.dequeue(job);
      clearTimeout(job.timer);
      const warnings = after ? statusWarnings(after) : [];
      this.options.log.info({ device: this.name, job: job.id, kind: job.kind, bytes: job.bytes.length, warnings }, 'printed');
      job.resolve({ job_id: job.id, ...(after ? { status: after } : {}), warnings });
      return 'settled';
    } catch (error) {
      // Link lost, write hung, or the printer stopped answering: all mean "offline". Drop the
      // link (the runner reconnects and probes) and keep the job at the head of the queue.
      const silent = error instanceof NoReply;
      const reason = silent ? 'printer not responding to status requests' : describeError(error);
      this.options.log.warn({ device: this.name, job: job.id, attempt: job.attempts, reason }, 'print interrupted');
      this.runner.drop(reason);
      if (!this.running) return 'settled'; // stop() already rejected it
      if (job.attempts >= (this.options.maxAttempts ?? 3)) {
        return this.settleError(job, silent ? 'not_responding' : 'write_failed', `gave up after ${job.attempts} attempts: ${reason}`);
      }
      return 'retry';
    }
  }

  private dequeue(job: Job): void {
    const index = this.queue.indexOf(job);
    if (index >= 0) this.queue.splice(index, 1);
  }

  private settleError(job: Job, reason: DriverErrorReason, message: string): 'settled' {
    this.dequeue(job);
    this.fail(job, 'PRINTER_ERROR', reason, message);
    return 'settled';
  }

  private async write(link: ByteLink, bytes: Buffer): Promise<void> {
    const timeoutMs = this.options.writeTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        link.write(bytes).catch((error: unknown) => { throw new LinkLost(describeError(error)); }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new LinkLost(`write timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async readStatus(link: ByteLink): Promise<PrinterStatus> {
    const bytes: StatusBytes = {};
    for (const n of [1, 2, 4] as const) bytes[n] = await this.query(link, n);
    if (((bytes[2] ?? 0) & 0x40) !== 0) bytes[3] = await this.query(link, 3);
    return decodeStatus(bytes);
  }

  /** DLE EOT n and the first status-shaped byte that comes back. */
  private query(link: ByteLink, n: 1 | 2 | 3 | 4): Promise<number> {
    return new Promise((resolve, reject) => {
      const done = (settle: () => void) => {
        clearTimeout(timer);
        offData();
        offClose();
        settle();
      };
      const timer = setTimeout(() => done(() => reject(new NoReply(`no answer to DLE EOT ${n}`))), this.options.statusTimeoutMs ?? 1000);
      const offData = link.onData((chunk) => {
        const b = chunk.find(isStatusByte);
        if (b !== undefined) done(() => resolve(b));
      });
      const offClose = link.onClose(() => done(() => reject(new LinkLost('link closed during a status request'))));
      link.write(statusRequest(n)).catch((error: unknown) => done(() => reject(new LinkLost(describeError(error)))));
    });
  }
}
