// Failed hellos are throttled per peer so that a token cannot be guessed at wire speed:
// a token bucket per peer address (an IPv6 /64 counts as one peer), `burst` failures at
// once, then one more every `refillMs`. A throttled peer's hellos are refused without
// looking at the token. Failures are logged as a rate (rate-log.ts), never a line each.
import type { Logger } from '../../runtime/log.ts';
import { RateLog } from './rate-log.ts';

export interface HelloThrottleOptions {
  burst: number;
  refillMs: number;
  log: Logger;
  reportMs?: number;
  now?: () => number;
  /** Peers remembered at most; the least recently failed are forgotten first. */
  maxPeers?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class HelloThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly failures: RateLog;
  private readonly refusals: RateLog;
  private readonly timeouts: RateLog;
  private readonly now: () => number;

  constructor(private readonly options: HelloThrottleOptions) {
    this.now = options.now ?? (() => performance.now());
    const intervalMs = options.reportMs ?? 60_000;
    this.failures = new RateLog({ log: options.log, msg: 'failed hello (wrong or missing token)', intervalMs });
    this.refusals = new RateLog({ log: options.log, msg: 'hello refused: too many failures from this peer', intervalMs });
    this.timeouts = new RateLog({ log: options.log, msg: 'connection closed: no hello with the token in time', intervalMs });
  }

  /** 0 when a hello from this peer may be checked now, else the milliseconds until it may. */
  retryAfterMs(peer: string): number {
    const bucket = this.refill(peerKey(peer));
    if (!bucket || bucket.tokens >= 1) return 0;
    return Math.ceil((1 - bucket.tokens) * this.options.refillMs);
  }

  failed(peer: string): void {
    const key = peerKey(peer);
    const bucket = this.refill(key) ?? { tokens: this.options.burst, at: this.now() };
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.buckets.delete(key); // re-insert: the map stays ordered by last failure
    this.buckets.set(key, bucket);
    if (this.buckets.size > (this.options.maxPeers ?? 10_000)) this.buckets.delete(this.buckets.keys().next().value!);
    this.failures.hit(key, { peer: key });
  }

  refused(peer: string): void {
    const key = peerKey(peer);
    this.refusals.hit(key, { peer: key });
  }

  /** A connection that never said hello in time: not a guess, but logged the same way. */
  timedOut(peer: string): void {
    const key = peerKey(peer);
    this.timeouts.hit(key, { peer: key });
  }

  stop(): void {
    for (const rate of [this.failures, this.refusals, this.timeouts]) {
      rate.flush();
      rate.stop();
    }
  }

  private refill(key: string): Bucket | undefined {
    const bucket = this.buckets.get(key);
    if (!bucket) return undefined;
    const now = this.now();
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.at) / this.options.refillMs);
    bucket.at = now;
    if (bucket.tokens >= this.options.burst) {
      this.buckets.delete(key); // a full bucket is the same as none
      return undefined;
    }
    return bucket;
  }
}

/** The address a throttle counts by: IPv4 as is, IPv6 by its /64, the Unix socket as one peer. */
export function peerKey(address: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return v4[1]!;
  if (!address.includes(':')) return address;
  const groups = expandIpv6(address);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

function expandIpv6(address: string): string[] | null {
  const [head, tail, more] = address.split('::');
  if (more !== undefined) return null;
  const left = head ? head.split(':') : [];
  const right = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : missing < 0) return null;
  return [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}
