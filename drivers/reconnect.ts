// One device's connection lifecycle as an explicit state machine:
//
//   start ─► connecting ──opened──► ready ──lost──► offline ──opened──► ready …
//                │                                   ▲   │
//                └──────────failed──────────────────┘   └─ retry after backoff (silent)
//   any ──stop──► stopped ──start──► connecting
//
// Failed retries keep the state `offline` and emit nothing, so an unplugged scanner does not
// flood the POS with events. Backoff: 250 ms doubling to 10 s, reset on `ready`. Nothing here
// throws out of the process: transport errors become an `offline` state with a reason.
import { describeError } from './errors.ts';
import type { ByteLink, DeviceKind, DeviceState, DriverLogger, Emit, Transport } from './types.ts';

export type RunnerInput = 'start' | 'opened' | 'failed' | 'lost' | 'stop';

/** All transitions live here. Returns the next state, or the same state when the input does not apply. */
export function nextState(state: DeviceState, input: RunnerInput): DeviceState {
  switch (input) {
    case 'start': return state === 'stopped' ? 'connecting' : state;
    case 'stop': return 'stopped';
    case 'opened': return state === 'connecting' || state === 'offline' ? 'ready' : state;
    case 'failed': return state === 'connecting' ? 'offline' : state;
    case 'lost': return state === 'ready' ? 'offline' : state;
  }
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 10_000, factor: 2 };

/** Delay before retry number `attempt` (0-based), bounded by maxMs. */
export function backoffDelay(attempt: number, b: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(b.maxMs, Math.round(b.initialMs * b.factor ** Math.min(attempt, 64)));
}

export interface RunnerOptions {
  name: string;
  kind: DeviceKind;
  transport: Transport;
  emit: Emit;
  log: DriverLogger;
  backoff?: Partial<Backoff>;
  /** A transport that has not opened after this long counts as failed. */
  connectTimeoutMs?: number;
  /** Called with each new link before the device is `ready`; throwing counts as a failed open. */
  onLink?: (link: ByteLink) => void | Promise<void>;
  /** Called on every state change (after the event is emitted). */
  onState?: (state: DeviceState) => void;
  now?: () => Date;
}

export class DeviceRunner {
  private current: DeviceState = 'stopped';
  private why: string | undefined;
  private link: ByteLink | undefined;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  private readonly backoff: Backoff;

  constructor(private readonly options: RunnerOptions) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  state(): DeviceState {
    return this.current;
  }

  reason(): string | undefined {
    return this.current === 'offline' ? this.why : undefined;
  }

  /** The open link while `ready`. */
  currentLink(): ByteLink | undefined {
    return this.current === 'ready' ? this.link : undefined;
  }

  start(): void {
    if (this.current !== 'stopped') return;
    this.apply('start');
    void this.connect();
  }

  async stop(): Promise<void> {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const link = this.link;
    this.link = undefined;
    if (this.current !== 'stopped') this.apply('stop');
    await link?.close().catch(() => undefined);
  }

  /** A driver found the link unusable (e.g. a write hung): drop it and reconnect. */
  drop(reason: string): void {
    const link = this.link;
    if (this.current !== 'ready' || !link) return;
    this.lost(link, reason);
    void link.close().catch(() => undefined);
  }

  private apply(input: RunnerInput, reason?: string): void {
    const next = nextState(this.current, input);
    if (next === this.current) return;
    this.current = next;
    this.why = next === 'offline' ? reason : undefined;
    const event = {
      device: this.options.name,
      kind: this.options.kind,
      state: next,
      ...(next === 'offline' && reason ? { reason } : {}),
      at: (this.options.now?.() ?? new Date()).toISOString(),
    };
    const log = next === 'offline' ? this.options.log.warn : this.options.log.info;
    log.call(this.options.log, { device: this.options.name, state: next, reason }, 'device state');
    this.options.emit('device', event);
    this.options.onState?.(next);
  }

  private async connect(): Promise<void> {
    const generation = this.generation;
    let link: ByteLink | undefined;
    try {
      link = await this.open();
      if (generation !== this.generation) {
        await link.close();
        return;
      }
      await this.options.onLink?.(link);
      // stop() during the first status probe: the link must be closed here, since stop() only
      // closes a link that had been adopted, and this one was not yet.
      if (generation !== this.generation) throw new Error('stopped while opening');
      if (link.closed) throw new Error('link closed while opening');
    } catch (error) {
      if (link) await link.close().catch(() => undefined);
      if (generation !== this.generation) return;
      const reason = describeError(error);
      this.options.log.debug({ device: this.options.name, attempt: this.attempt, reason }, 'device open failed');
      if (this.current === 'connecting') this.apply('failed', reason);
      else this.why = reason; // silent retry: keep the latest reason
      this.scheduleRetry();
      return;
    }
    this.link = link;
    this.attempt = 0;
    const opened = link;
    opened.onClose((closeReason) => {
      if (generation !== this.generation || this.link !== opened) return;
      if (closeReason.disconnected) this.lost(opened, closeReason.error);
    });
    this.apply('opened');
  }

  private lost(link: ByteLink, reason: string): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.apply('lost', reason);
    this.scheduleRetry();
  }

  private async open(): Promise<ByteLink> {
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const opening = this.options.transport();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // A link that opens after we gave up must not leak.
        opening.then((late) => late.close(), () => undefined);
        reject(new Error(`open timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([opening, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private scheduleRetry(): void {
    if (this.current === 'stopped') return;
    const delay = backoffDelay(this.attempt++, this.backoff);
    const generation = this.generation;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (generation === this.generation) void this.connect();
    }, delay);
  }
}
