// Reconnecting to the broker with a growing wait, and logging the failures sparsely: with the
// broker down, a till (or host) retried and warned every second, all day. MQTT.js retries on a
// fixed `reconnectPeriod`, read each time it schedules the next attempt (after each failure),
// so raising it before every attempt gives the backoff. Both ends come from the config
// (uplink.reconnect_min_ms / reconnect_max_ms): a site with a flaky link may want the till back
// sooner than 30 s after a long outage, a fleet of thousands may want to spare its broker.
import type { MqttClient } from 'mqtt';

/** The defaults of uplink.reconnect_min_ms and uplink.reconnect_max_ms. */
export const RECONNECT_MIN_MS = 1000;
export const RECONNECT_MAX_MS = 30_000;

/** The first wait after the link drops, doubling on each failed attempt up to the longest. */
export interface ReconnectBackoff {
  minMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: ReconnectBackoff = { minMs: RECONNECT_MIN_MS, maxMs: RECONNECT_MAX_MS };

/** Wait before reconnect attempt `attempt` (1 = the first after the link dropped): min doubling, ≤ max. */
export function reconnectDelay(attempt: number, backoff: ReconnectBackoff = DEFAULT_BACKOFF): number {
  return Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.min(Math.max(attempt - 1, 0), 16));
}

/**
 * Whether failed attempt `attempt` deserves a warning: a new error always does, the same error
 * again only on attempts 1, 2, 4, 8, … (a broker down for a day: about 30 lines, not 3,000).
 */
export function warnOnAttempt(attempt: number, sameErrorAsBefore: boolean): boolean {
  return !sameErrorAsBefore || (attempt & (attempt - 1)) === 0;
}

export interface FailedAttempt {
  /** The connection attempt that failed, counted since the link was last up (the first connect is 1); 0: the link itself. */
  attempt: number;
  /** When MQTT.js tries again. */
  retryInMs: number;
  warn: boolean;
  error: Error;
}

/** Installs the backoff on a client that is connecting now; `onError` hears every client error. */
export function backOffReconnects(client: MqttClient, backoff: ReconnectBackoff, onError: (failure: FailedAttempt) => void): void {
  let attempt = 1;
  let lastMessage: string | undefined;
  client.options.reconnectPeriod = reconnectDelay(attempt, backoff);
  client.on('reconnect', () => {
    attempt++;
    // Read by MQTT.js when this attempt fails: the wait before the next one.
    client.options.reconnectPeriod = reconnectDelay(attempt, backoff);
  });
  client.on('connect', () => {
    attempt = 0;
    lastMessage = undefined;
    client.options.reconnectPeriod = backoff.minMs;
  });
  let reportedAttempt = -1;
  client.on('error', (error) => {
    const same = error.message === lastMessage;
    // MQTT.js emits a failed TLS connect twice (the TLS socket's error, then the stream's): one failure, one report,
    // or a broker down all day behind mqtts:// (every till in production) doubled each warning line.
    if (same && attempt === reportedAttempt) return;
    reportedAttempt = attempt;
    lastMessage = error.message;
    onError({ attempt, retryInMs: client.options.reconnectPeriod ?? backoff.minMs, warn: warnOnAttempt(Math.max(attempt, 1), same), error });
  });
}
