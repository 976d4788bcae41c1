// One resilient HTTP call to a platform. Node's fetch (undici) sends; cockatiel decides:
//
//   retry (capped exponential backoff, full jitter; 429 waits Retry-After if short enough)
//     └─ circuit breaker, one per platform (opens after N transient failures in a row,
//        half-opens after a pause; while open, calls fail at once: UPSTREAM_UNAVAILABLE)
//          └─ attempt: fetch with a timeout → classified into a value or a PlatformError
//
// Only transient failures (network, timeout and 408, 5xx, 429, garbled) are retried or counted by the
// breaker; a rejection (400) is an answer.
import { BrokenCircuitError, ConsecutiveBreaker, DelegateBackoff, circuitBreaker, handleWhen, retry, type CircuitBreakerPolicy, type RetryPolicy } from 'cockatiel';
import { PlatformError, isPlatformError, type FailureKind } from './errors.ts';

export interface ResilienceOptions {
  /** Per attempt. */
  timeout_ms: number;
  /** Retries after the first attempt, within one till request. */
  retries: number;
  /** Cap of one backoff delay. */
  max_delay_ms: number;
  /** A 429 asking to wait longer than this is not waited for: the till resends later. */
  max_retry_after_ms: number;
  breaker_threshold: number;
  breaker_half_open_ms: number;
}

export const DEFAULT_RESILIENCE: ResilienceOptions = {
  timeout_ms: 5000, retries: 3, max_delay_ms: 2000, max_retry_after_ms: 5000, breaker_threshold: 5, breaker_half_open_ms: 10_000,
};

export interface CallRecord {
  platform: string;
  endpoint: string;
  outcome: 'ok' | FailureKind;
  status?: number;
  seconds: number;
}

export type CallObserver = (record: CallRecord) => void;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

const BASE_DELAY_MS = 100;

function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export class PlatformHttp {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly retry: RetryPolicy;

  constructor(
    readonly platform: string,
    private readonly baseUrl: string,
    private readonly options: ResilienceOptions,
    private readonly observe: CallObserver = () => undefined,
  ) {
    const transient = (e: unknown) => isPlatformError(e) && e.transient;
    this.breaker = circuitBreaker(handleWhen(transient), {
      halfOpenAfter: options.breaker_half_open_ms,
      breaker: new ConsecutiveBreaker(options.breaker_threshold),
    });
    const worthWaiting = (e: unknown) =>
      transient(e) && !((e as PlatformError).kind === 'throttled' && ((e as PlatformError).detail.retryAfterMs ?? 0) > options.max_retry_after_ms);
    this.retry = retry(handleWhen(worthWaiting), {
      maxAttempts: options.retries,
      backoff: new DelegateBackoff((ctx) => {
        const error = 'error' in ctx.result ? ctx.result.error : undefined;
        const asked = isPlatformError(error) ? error.detail.retryAfterMs : undefined;
        if (asked !== undefined) return asked;
        const ceiling = Math.min(options.max_delay_ms, BASE_DELAY_MS * 2 ** (ctx.attempt - 1));
        return Math.floor(Math.random() * ceiling);
      }),
    });
  }

  /** The breaker's state, for doctor and metrics. */
  get breakerState(): string {
    return ['closed', 'open', 'half-open', 'isolated'][this.breaker.state] ?? String(this.breaker.state);
  }

  /**
   * One logical call. `attempt` runs once per try (so it can renew a token or rebuild the
   * request) and returns the value or throws a PlatformError.
   */
  async call<T>(endpoint: string, attempt: () => Promise<T>): Promise<T> {
    try {
      return await this.retry.execute(() => this.breaker.execute(() => attempt()));
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        this.observe({ platform: this.platform, endpoint, outcome: 'breaker_open', seconds: 0 });
        throw new PlatformError(this.platform, 'breaker_open', 'circuit open after repeated failures; not calling for now');
      }
      throw error;
    }
  }

  /** One HTTP POST of JSON with the per-attempt timeout; network and timeout errors classified. */
  async post(endpoint: string, body: unknown, headers: Record<string, string>): Promise<HttpAnswer> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let response: Response;
    try {
      response = await fetch(new URL(endpoint, this.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeout_ms),
      });
    } catch (error) {
      const name = (error as Error).name;
      const kind: FailureKind = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
      this.observe({ platform: this.platform, endpoint, outcome: kind, seconds: seconds() });
      throw new PlatformError(this.platform, kind, kind === 'timeout'
        ? `${endpoint}: no answer within ${this.options.timeout_ms} ms`
        : `${endpoint}: connection failed (${causeCode(error)})`);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      const kind: FailureKind = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
      this.observe({ platform: this.platform, endpoint, outcome: kind, status: response.status, seconds: seconds() });
      throw new PlatformError(this.platform, kind, `${endpoint}: answer cut off (${causeCode(error)})`);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const answer = { status: response.status, headers: response.headers, body: parsed };
    const outcome = classifyStatus(response.status);
    this.observe({ platform: this.platform, endpoint, outcome: outcome ?? 'ok', status: response.status, seconds: seconds() });
    if (outcome === 'throttled') {
      const wait = retryAfterMs(response.headers.get('retry-after'));
      throw new PlatformError(this.platform, 'throttled', `${endpoint}: HTTP 429 (too many requests)`, {
        status: 429, ...(wait !== undefined ? { retryAfterMs: wait } : {}),
      });
    }
    if (outcome === 'server') throw new PlatformError(this.platform, 'server', `${endpoint}: HTTP ${response.status}`, { status: response.status });
    if (outcome === 'timeout') throw new PlatformError(this.platform, 'timeout', `${endpoint}: HTTP 408 (request timeout)`, { status: 408 });
    return answer;
  }
}

/** Statuses that are failures whatever the body says; others are read by the connector. */
function classifyStatus(status: number): FailureKind | undefined {
  if (status === 429) return 'throttled';
  // 408: the server (or a proxy before it) closed an idle connection without reading the request
  // (RFC 9110 15.5.9: "the client MAY repeat that request"): not a refusal of this request.
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return undefined;
}

function causeCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
