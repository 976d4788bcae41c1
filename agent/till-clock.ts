// The till's trusted time, for what must not follow a stepped wall clock: when delivered outbox
// rows and cached customers may be pruned, and how fresh a cached customer is.
//
//   trusted = last trusted instant + time elapsed on the monotonic clock (the boot clock in the agent)
//
// re-anchored to the wall clock whenever the two agree (within TOLERANCE_MS: NTP slews and
// small corrections), and to the host's clock, which every upstream response carries: that is how
// a till switched off for a week learns that a week has passed. Only the host can move it back.
// It is persisted (meta "clock"), so a restart resumes from it rather than from the wall clock.
//
//   synced ──wall disagrees (running) / wall behind trusted (start) / host disagrees──> jumped
//   start with the wall ahead of the last trusted time ──> unconfirmed (time off, or a step?)
//   unconfirmed | jumped ──wall agrees with trusted or with the host──> synced
//
// A jump is logged once and recorded (meta "clock_jump") for `doctor`.
import type { Db } from './storage/db.ts';
import { isDiskFull } from './storage/db.ts';
import type { Logger } from '../runtime/log.ts';

export type ClockState = 'synced' | 'unconfirmed' | 'jumped';

export interface ClockJump {
  /** Wall clock minus trusted time when it was seen (positive: the wall clock is ahead). */
  offset_ms: number;
  /** How it was seen: at start, while running (wall against monotonic), or by the host's time. */
  source: 'start' | 'running' | 'host';
  /** Trusted time when it was seen. */
  at: string;
  /** The wall clock then. */
  wall: string;
}

export interface TillClockOptions {
  db: Db;
  log: Logger;
  /** Wall clock in ms (Date.now; tests inject a stepped one). */
  wall?: () => number;
  /** Monotonic ms (performance.now). */
  monotonic?: () => number;
  persistIntervalMs?: number;
}

export const TOLERANCE_MS = 120_000;

export class TillClock {
  private readonly wall: () => number;
  private readonly mono: () => number;
  private anchorTrusted = 0;
  private anchorMono = 0;
  private last = 0;
  private stateValue: ClockState = 'synced';
  private jumpValue: ClockJump | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TillClockOptions) {
    this.wall = options.wall ?? (() => Date.now());
    this.mono = options.monotonic ?? (() => performance.now());
  }

  get state(): ClockState { return this.stateValue; }
  get jump(): ClockJump | null { return this.jumpValue; }
  /** The wall clock as this till reads it (status shows it next to the trusted time). */
  wallNow(): number { return this.wall(); }

  /** Resumes from the persisted trusted time (or the newest trusted stamp in the database). */
  start(): void {
    const wall = this.wall();
    const base = this.persistedTrusted();
    this.jumpValue = this.read<ClockJump>('clock_jump');
    if (base === null || Math.abs(wall - base) <= TOLERANCE_MS) {
      this.anchor(wall);
      if (base !== null) this.clearJump();
    } else if (wall < base) {
      this.anchor(base);
      this.jumped(wall - base, 'start');
    } else {
      // Ahead: the till was off that long, or the clock stepped. Only the host can tell.
      this.anchor(base);
      this.stateValue = 'unconfirmed';
      this.options.log.info({ wall: iso(wall), trusted: iso(base), ahead_ms: wall - base },
        'clock: the wall clock is ahead of the last trusted time; pruning waits for the host to confirm it');
    }
    this.persist();
    // Also notices a step while nothing asks for the time.
    this.timer = setInterval(() => this.persist(), this.options.persistIntervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.persist();
  }

  /** Trusted time in ms: never less than the last value returned, unless the host said otherwise. */
  now(): number {
    const wall = this.wall();
    const mono = this.mono();
    let t = this.anchorTrusted + (mono - this.anchorMono);
    if (Math.abs(wall - t) <= TOLERANCE_MS) {
      this.anchorTrusted = wall;
      this.anchorMono = mono;
      t = wall;
      if (this.stateValue !== 'synced') this.synced('the wall clock agrees with the trusted time again');
    } else if (this.stateValue === 'synced') {
      this.jumped(wall - t, 'running');
    }
    this.last = Math.max(this.last, t);
    return this.last;
  }

  date(): Date {
    return new Date(this.now());
  }

  /**
   * The host's clock, from an upstream response. It is the reference: trusted time becomes the
   * wall clock if the two agree, else the host's time (forward for a till that was off for a
   * while, or back when the till's own clock had run ahead).
   */
  hostTime(hostMs: number): void {
    const wall = this.wall();
    const agrees = Math.abs(wall - hostMs) <= TOLERANCE_MS;
    this.anchor(agrees ? wall : hostMs, true);
    if (agrees) {
      if (this.stateValue !== 'synced') this.synced('the host confirms the wall clock');
    } else if (this.stateValue !== 'jumped' || this.jumpValue?.source !== 'host' || Math.abs(this.jumpValue.offset_ms - (wall - hostMs)) > TOLERANCE_MS) {
      this.jumped(wall - hostMs, 'host');
    }
  }

  private anchor(trusted: number, reset = false): void {
    this.anchorTrusted = trusted;
    this.anchorMono = this.mono();
    this.last = reset ? trusted : Math.max(this.last, trusted);
  }

  private jumped(offset: number, source: ClockJump['source']): void {
    this.stateValue = 'jumped';
    this.jumpValue = { offset_ms: Math.round(offset), source, at: iso(this.last || this.anchorTrusted), wall: iso(this.wall()) };
    this.options.log.warn({ clock: 'jumped', ...this.jumpValue },
      `clock: the wall clock is ${describeOffset(offset)} the ${source === 'host' ? "host's clock" : 'trusted time'}; `
      + 'pruning and cache freshness keep to the trusted time (check NTP: timedatectl)');
    this.write('clock_jump', JSON.stringify(this.jumpValue));
  }

  private synced(why: string): void {
    const was = this.stateValue;
    this.stateValue = 'synced';
    this.options.log.info({ clock: 'synced', was }, `clock: ${why}`);
    this.clearJump();
  }

  private clearJump(): void {
    if (this.jumpValue === null) return;
    this.jumpValue = null;
    this.write('clock_jump', null);
  }

  private persistedTrusted(): number | null {
    const saved = this.read<{ trusted: string }>('clock');
    const stamps = [saved?.trusted];
    try {
      // A crash may have come after stamps newer than the last save: trusted time resumes after them.
      const row = this.options.db.prepare(`SELECT (SELECT max(settled_at) FROM outbox) AS outbox,
          (SELECT max(seen_at) FROM customer_keys) AS customers`).get() as { outbox: string | null; customers: string | null };
      stamps.push(row.outbox ?? undefined, row.customers ?? undefined);
    } catch {
      // an older schema: the saved value alone
    }
    const times = stamps.flatMap((s) => (s && Number.isFinite(Date.parse(s)) ? [Date.parse(s)] : []));
    return times.length === 0 ? null : Math.max(...times);
  }

  private persist(): void {
    const trusted = this.now();
    this.write('clock', JSON.stringify({ trusted: iso(trusted), wall: iso(this.wall()), state: this.stateValue }));
  }

  private read<T>(key: string): T | null {
    const row = this.options.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    if (!row) return null;
    try {
      return JSON.parse(row.value) as T;
    } catch {
      return null;
    }
  }

  /** Best effort: on a full disk the trusted time lives in memory until space is back. */
  private write(key: string, value: string | null): void {
    try {
      if (value === null) this.options.db.prepare('DELETE FROM meta WHERE key = ?').run(key);
      else this.options.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
    } catch (error) {
      if (!isDiskFull(error)) this.options.log.error({ err: error, key }, 'clock: cannot save the trusted time');
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function describeOffset(offset: number): string {
  const abs = Math.abs(offset);
  const amount = abs >= 86_400_000 ? `${(abs / 86_400_000).toFixed(1)} days`
    : abs >= 3_600_000 ? `${(abs / 3_600_000).toFixed(1)} hours` : `${Math.round(abs / 60_000)} minutes`;
  return `${amount} ${offset > 0 ? 'ahead of' : 'behind'}`;
}
