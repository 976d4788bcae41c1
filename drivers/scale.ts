// A serial scale behind the Scale interface: `read()` resolves with a stable weight in grams or
// rejects with a stable error code — never a live weight for selling (POSSUM keeps live weight
// apart for the same reason).
//
//   toledo-8217  ask "W" (at most every 200 ms, as the protocol requires) until the scale answers
//                a weight, or the time is up. In-motion status → ask again; over capacity / under
//                zero → fail at once. Connecting asks once: a scale that never answers stays
//                `offline` ("no answer"), and one that stops answering is dropped and retried.
//   cas          the scale streams lines; `read` waits for the next stable line *after* the call
//                (never a reading from before the item was put down). No line for 3 s → offline.
//
// Garbage bytes and partial frames are skipped (counted in the log); they never resolve a read.
import { DriverError, describeError } from './errors.ts';
import { DeviceRunner, type Backoff } from './reconnect.ts';
import { FrameSplitter, parse8217, parseCas, toGrams, type ScaleReading, type ScaleUnit } from './scale-protocols.ts';
import type { ByteLink, DeviceState, DriverLogger, Emit, Scale, StableWeight, Transport } from './types.ts';

export const SCALE_PROTOCOLS = ['toledo-8217', 'cas'] as const;
export type ScaleProtocol = (typeof SCALE_PROTOCOLS)[number];

export interface ScaleOptions {
  name: string;
  transport: Transport;
  emit: Emit;
  log: DriverLogger;
  protocol: ScaleProtocol;
  /** toledo-8217 only: the protocol sends no unit; auto = 3 decimals kg, 2 decimals lb. */
  unit?: ScaleUnit | 'auto';
  /** How long `read()` waits for a stable weight by default. */
  settleTimeoutMs?: number;
  /** toledo-8217: how long one "W" waits for its answer; cas: silence that counts as gone (× 3). */
  answerTimeoutMs?: number;
  /** toledo-8217: pause between two requests (the protocol asks for at least 200 ms). */
  requestIntervalMs?: number;
  backoff?: Partial<Backoff>;
  now?: () => Date;
}

type Waiter = (reading: ScaleReading) => void;

export class SerialScale implements Scale {
  readonly name: string;
  readonly kind = 'scale' as const;
  private readonly runner: DeviceRunner;
  private waiters = new Set<Waiter>();
  private reading: Promise<StableWeight> | undefined;
  private lastFrameAt = 0;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly options: ScaleOptions) {
    this.name = options.name;
    this.runner = new DeviceRunner({
      name: options.name, kind: 'scale', transport: options.transport, emit: options.emit, log: options.log,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.now ? { now: options.now } : {}),
      onLink: (link) => this.attach(link),
    });
  }

  start(): void { this.runner.start(); }

  async stop(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    await this.runner.stop();
  }

  state(): DeviceState { return this.runner.state(); }
  reason(): string | undefined { return this.runner.reason(); }

  private get answerMs(): number { return this.options.answerTimeoutMs ?? 1000; }

  /** One read at a time: a second caller shares the first one's answer. */
  read(timeoutMs = this.options.settleTimeoutMs ?? 3000): Promise<StableWeight> {
    const link = this.runner.currentLink();
    if (!link) return Promise.reject(this.error('DEVICE_UNAVAILABLE', 'not_ready', `scale ${this.name} is ${this.runner.state()}${this.reason() ? `: ${this.reason()}` : ''}`));
    this.reading ??= (this.options.protocol === 'cas' ? this.readStream(link, timeoutMs) : this.readEcr(link, timeoutMs))
      .finally(() => { this.reading = undefined; });
    return this.reading;
  }

  private async attach(link: ByteLink): Promise<void> {
    const splitter = new FrameSplitter(this.options.protocol === 'cas' ? 'lines' : 'stx-cr');
    const unit = this.options.unit ?? 'auto';
    link.onData((chunk) => {
      const { frames, noise } = splitter.push(chunk);
      if (noise > 0) this.options.log.debug({ device: this.name, bytes: noise }, 'scale: bytes outside a frame skipped');
      for (const frame of frames) {
        const reading = this.options.protocol === 'cas' ? parseCas(frame) : parse8217(frame, unit);
        if (!reading) {
          this.options.log.warn({ device: this.name, bytes: frame.length }, 'scale: unreadable frame skipped');
          continue;
        }
        this.lastFrameAt = Date.now();
        for (const waiter of [...this.waiters]) waiter(reading);
      }
    });
    link.onClose(() => {
      if (this.watchdog) clearInterval(this.watchdog);
      this.watchdog = undefined;
    });
    // Alive check before `ready`: one answer (8217) or one line (cas).
    if (this.options.protocol === 'cas') {
      if (!(await this.next(this.answerMs * 3))) throw new Error(`no data from the scale within ${this.answerMs * 3} ms (cas protocol)`);
      this.watchdog = setInterval(() => {
        if (Date.now() - this.lastFrameAt > this.answerMs * 3) this.runner.drop('the scale stopped sending');
      }, this.answerMs);
      this.watchdog.unref();
    } else if (!(await this.ask(link))) {
      throw new Error(`no answer to "W" within ${this.answerMs} ms (toledo-8217 protocol: check baud, 7 data bits, even parity)`);
    }
  }

  /** The next readable frame within `ms`, or undefined. */
  private next(ms: number): Promise<ScaleReading | undefined> {
    return new Promise((resolve) => {
      const waiter: Waiter = (reading) => { cleanup(); resolve(reading); };
      const timer = setTimeout(() => { cleanup(); resolve(undefined); }, ms);
      const cleanup = () => { clearTimeout(timer); this.waiters.delete(waiter); };
      this.waiters.add(waiter);
    });
  }

  private async ask(link: ByteLink): Promise<ScaleReading | undefined> {
    const answer = this.next(this.answerMs);
    try {
      await link.write(Buffer.from('W', 'latin1'));
    } catch (error) {
      this.options.log.warn({ device: this.name, reason: describeError(error) }, 'scale: request failed');
    }
    return answer;
  }

  private async readEcr(link: ByteLink, timeoutMs: number): Promise<StableWeight> {
    const deadline = Date.now() + timeoutMs;
    let answered = false;
    for (;;) {
      const reading = await this.ask(link);
      this.assertLink(link);
      if (reading) {
        answered = true;
        const settled = this.settle(reading);
        if (settled) return settled;
      }
      if (Date.now() + (this.options.requestIntervalMs ?? 200) >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, this.options.requestIntervalMs ?? 200));
    }
    if (!answered) {
      this.runner.drop('the scale stopped answering');
      throw this.error('SCALE_NO_ANSWER', 'no_answer', `scale ${this.name} did not answer within ${timeoutMs} ms`);
    }
    throw this.unsettled();
  }

  private async readStream(link: ByteLink, timeoutMs: number): Promise<StableWeight> {
    const deadline = Date.now() + timeoutMs;
    let heard = false;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const reading = await this.next(Math.min(left, this.answerMs));
      this.assertLink(link);
      if (!reading) continue;
      heard = true;
      const settled = this.settle(reading);
      if (settled) return settled;
    }
    if (!heard) throw this.error('SCALE_NO_ANSWER', 'no_answer', `no data from scale ${this.name} within ${timeoutMs} ms`);
    throw this.unsettled();
  }

  /** A stable, positive, in-range weight; throws for conditions that waiting will not fix. */
  private settle(reading: ScaleReading): StableWeight | undefined {
    if (reading.kind === 'overload' || (reading.kind === 'status' && reading.overload)) {
      throw this.error('SCALE_OVERLOAD', 'over_capacity', `scale ${this.name} is over capacity`);
    }
    if (reading.kind === 'status') {
      if (reading.motion) return undefined;
      if (reading.underZero) throw this.error('SCALE_NEGATIVE', 'under_zero', `scale ${this.name} is under zero: re-zero it with nothing on it`);
      if (reading.zeroError) throw this.error('SCALE_ZERO', 'zero_error', `scale ${this.name} is outside its zero range: re-zero it`);
      throw this.error('SCALE_ZERO', 'zero_weight', `nothing on scale ${this.name}`);
    }
    if (!reading.stable) return undefined;
    if (reading.negative && toGrams(reading.value, reading.unit) !== 0) {
      throw this.error('SCALE_NEGATIVE', 'under_zero', `scale ${this.name} shows a negative weight`);
    }
    const grams = toGrams(reading.value, reading.unit);
    if (grams === null) return undefined;
    if (grams === 0) throw this.error('SCALE_ZERO', 'zero_weight', `nothing on scale ${this.name}`);
    return { grams, value: reading.value, unit: reading.unit, net: reading.net };
  }

  /** Unplugged (or dropped) during a read: say so at once, not "still moving" or "no answer" at its end. */
  private assertLink(link: ByteLink): void {
    if (this.runner.currentLink() === link) return;
    const why = this.reason();
    throw this.error('DEVICE_UNAVAILABLE', 'not_ready', `scale ${this.name} went ${this.runner.state()} during the read${why ? `: ${why}` : ''}`);
  }

  private unsettled(): DriverError {
    return this.error('SCALE_UNSTABLE', 'in_motion', `no stable weight from scale ${this.name} in time: wait until it settles and read again`);
  }

  private error(code: DriverError['code'], reason: DriverError['reason'], message: string): DriverError {
    return new DriverError(code, reason, this.name, message);
  }
}
