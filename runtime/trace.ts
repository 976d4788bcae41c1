// Timing points of one online award for tracing tools (bench/online-tail.ts), on node's
// diagnostics_channel: published only while something subscribes (`hasSubscribers`, one boolean read
// per request otherwise), so a till or host running normally does no more work. Times are
// performance.now() of the publishing process; a subscriber adds its own process's offset to
// CLOCK_MONOTONIC (process.hrtime) to line them up across processes.
import { channel } from 'node:diagnostics_channel';

/**
 * The host answered a request: when the socket read that carried it happened, when handling began,
 * when the answer was handed to the socket (just before the write), and how long of that it waited
 * for its fdatasync (absent: no wait).
 */
export interface HostRequestTrace {
  request_id: string;
  read: number;
  started: number;
  replied: number;
  sync_ms?: number;
}

/** The agent's uplink: a request about to be encoded and written (`sent`), or its answer parsed off the socket (`answered`). */
export interface UplinkTrace {
  request_id: string;
  sent?: number;
  answered?: number;
}

export const hostRequestTrace = channel('till-agent:host:request');
export const uplinkTrace = channel('till-agent:uplink:request');

/**
 * A WAL checkpoint run by the checkpoint worker (runtime/wal-checkpointer.ts): when it began and ended,
 * already on CLOCK_MONOTONIC in ms (the worker's performance.now() has an origin of its own), and the
 * WAL frames it found and copied.
 */
export interface WalCheckpointTrace {
  began: number;
  ended: number;
  log: number;
  checkpointed: number;
}

export const walCheckpointTrace = channel('till-agent:wal-checkpoint');
