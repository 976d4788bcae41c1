// Cash drawer state from the printer's drawer kick-out connector (DLE EOT 1 bit 2, pin 3).
// The printer feeds every DLE EOT 1 answer in (its polls and the status reads around jobs);
// a change becomes a `drawer` event. Most drawers close the switch when shut, which reads as
// pin 3 LOW ("high" = open); some are wired the other way ("low" = open).
import type { DrawerState, Emit } from './types.ts';

export type DrawerSensor = 'off' | 'high' | 'low';

interface Waiter {
  seenOpen: boolean;
  check(): void;
}

export class DrawerMonitor {
  private current: DrawerState | undefined;
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly device: string, private readonly sensor: DrawerSensor, private readonly emit: Emit, private readonly now: () => Date) {}

  get enabled(): boolean {
    return this.sensor !== 'off';
  }

  state(): DrawerState | undefined {
    return this.current;
  }

  /** A DLE EOT 1 answer. */
  update(byte1: number): void {
    if (!this.enabled) return;
    const high = (byte1 & 0x04) !== 0;
    const state: DrawerState = high === (this.sensor === 'high') ? 'open' : 'closed';
    if (state === this.current) return;
    this.current = state;
    this.emit('drawer', { device: this.device, state, at: this.now().toISOString() });
    for (const w of [...this.waiters]) w.check();
  }

  /** The printer went away: the state is unknown until it answers again (no event). */
  forget(): void {
    this.current = undefined;
  }

  waitClosed(timeoutMs: number, graceMs: number): Promise<{ state: DrawerState | undefined; seen_open: boolean }> {
    return new Promise((resolve) => {
      const started = Date.now();
      const finish = () => {
        clearInterval(timer);
        this.waiters.delete(waiter);
        resolve({ state: this.current, seen_open: waiter.seenOpen });
      };
      const waiter: Waiter = {
        seenOpen: false,
        check: () => {
          if (this.current === 'open') waiter.seenOpen = true;
          const closed = this.current === 'closed';
          if (closed && (waiter.seenOpen || Date.now() - started >= graceMs)) finish();
          else if (Date.now() - started >= timeoutMs) finish();
        },
      };
      // The grace and the timeout also end the wait between two readings.
      const timer = setInterval(() => waiter.check(), Math.max(10, Math.min(graceMs, timeoutMs, 100)));
      this.waiters.add(waiter);
      waiter.check();
    });
  }
}
