// Timing points of one online award for tracing tools (bench/online-tail.ts), on node's
// diagnostics_channel: published only while something subscribes (`hasSubscribers`, one boolean read
// per request otherwise), so a till or host running normally does no more work. Times are
// performance.now() of the publishing process; a subscriber adds its own process's offset to
// CLOCK_MONOTONIC (process.hrtime) to line them up across processes.
import { channel } from 'node:diagnostics_channel';

/** The host answered a request: when the socket read that carried it happened, when handling began, when the answer was written. */
export interface HostRequestTrace {
  request_id: string;
  read: number;
  started: number;
  replied: number;
}

/** The agent's uplink: a request published (`sent`), or its answer read from the socket (`answered`). */
export interface UplinkTrace {
  request_id: string;
  sent?: number;
  answered?: number;
}

export const hostRequestTrace = channel('till-agent:host:request');
export const uplinkTrace = channel('till-agent:uplink:request');
