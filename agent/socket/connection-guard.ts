// What keeps one connection from holding a slot it should not: the token check of `hello`
// (throttled per peer), the pre-hello timeout and the idle timeout. socket-connection.ts
// asks it; it never writes to the socket itself.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { HelloThrottle } from './hello-throttle.ts';

export interface GuardOptions {
  token: string | null;
  /** The remote address, or "unix". */
  peer: string;
  helloTimeoutMs: number;
  /** 0: never. */
  idleTimeoutMs: number;
  throttle: HelloThrottle;
  /** Whether the connection waits for something (answers, events): then it is not idle. */
  busy(): boolean;
  /** Called once when a timeout ends the connection. */
  expire(why: 'hello' | 'idle'): void;
}

export type HelloVerdict = { ok: true } | { ok: false; message: string; close: boolean };

export class ConnectionGuard {
  private authed: boolean;
  private lastInput = performance.now();
  private readonly timers: NodeJS.Timeout[] = [];
  private done = false;

  constructor(private readonly options: GuardOptions) {
    this.authed = options.token === null;
    if (!this.authed) this.later(options.helloTimeoutMs, () => this.helloTimedOut());
    if (options.idleTimeoutMs > 0) this.later(options.idleTimeoutMs, () => this.checkIdle());
  }

  get authenticated(): boolean {
    return this.authed;
  }

  input(): void {
    this.lastInput = performance.now();
  }

  /** The token of a hello, when one is configured. A throttled peer's token is not even compared. */
  hello(token: string | undefined): HelloVerdict {
    if (this.authed) return { ok: true };
    const { throttle, peer } = this.options;
    const wait = throttle.retryAfterMs(peer);
    if (wait > 0) {
      throttle.refused(peer);
      return { ok: false, message: `too many failed hellos from this address; retry in ${Math.ceil(wait / 1000)} s`, close: true };
    }
    this.authed = typeof token === 'string' && sameSecret(token, this.options.token!);
    if (this.authed) return { ok: true };
    throttle.failed(peer);
    return { ok: false, message: 'wrong or missing token', close: false };
  }

  stop(): void {
    this.done = true;
    for (const timer of this.timers) clearTimeout(timer);
  }

  private later(ms: number, fn: () => void): void {
    this.timers.push(setTimeout(fn, ms).unref());
  }

  private helloTimedOut(): void {
    if (this.authed || this.done) return;
    this.done = true;
    this.options.expire('hello');
  }

  private checkIdle(): void {
    if (this.done) return;
    const idleFor = performance.now() - this.lastInput;
    const busy = this.options.busy();
    if (!busy && idleFor >= this.options.idleTimeoutMs) {
      this.done = true;
      this.options.expire('idle');
      return;
    }
    this.later(busy ? this.options.idleTimeoutMs : this.options.idleTimeoutMs - idleFor, () => this.checkIdle());
  }
}

/** Constant-time comparison that does not leak the token's length either. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
