// `till-agent status --watch`: a draining outbox, live. The depth and the oldest message's age
// come from `status` every interval; the rate from the agent's `outbox` "delivered" events
// (a depth difference would hide the sales still arriving), averaged over the last 10 s.
import type { StatusResult } from '../../protocol/local.ts';
import type { AgentSession } from '../client.ts';
import { field, print, safeJson } from './output.ts';

const WINDOW_MS = 10_000;

/** Messages delivered per second over a sliding window. */
export class DrainMeter {
  private readonly samples: Array<{ at: number; count: number }> = [];

  constructor(private readonly startedAt: number) {}

  add(count: number, at: number): void {
    this.samples.push({ at, count });
  }

  /** Per second over the window (or since the start, when that is shorter). */
  rate(now: number): number {
    while (this.samples.length > 0 && this.samples[0]!.at < now - WINDOW_MS) this.samples.shift();
    const span = Math.min(WINDOW_MS, now - this.startedAt);
    if (span <= 0) return 0;
    return (this.samples.reduce((sum, s) => sum + s.count, 0) * 1000) / span;
  }
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

export interface Drain {
  pending: number;
  rate: number;
  /** Seconds until empty at this rate; null when it is not draining. */
  eta: number | null;
  state: 'empty' | 'draining' | 'stalled';
}

export function drainOf(s: StatusResult, rate: number): Drain {
  const pending = s.outbox.pending;
  if (pending === 0) return { pending, rate, eta: null, state: 'empty' };
  if (rate <= 0) return { pending, rate, eta: null, state: 'stalled' };
  return { pending, rate, eta: pending / rate, state: 'draining' };
}

function drainText(d: Drain, s: StatusResult): string {
  const rate = `${d.rate >= 10 ? Math.round(d.rate) : d.rate.toFixed(1)} msg/s`;
  if (d.state === 'empty') return `empty (${rate})`;
  if (d.state === 'stalled') return s.uplink.connected ? 'stalled: waiting for the host' : `stalled: uplink ${field(s.uplink.state)}`;
  return `${rate}, ETA ${duration(d.eta!)}`;
}

const clock = (at: number) => new Date(at).toISOString().slice(11, 19);
const oldest = (s: StatusResult) => (s.outbox.oldest_age_s === null ? '-' : duration(s.outbox.oldest_age_s));

/** `name: state` per device, and why one is offline (a technician's first question: "EACCES", "not responding"). */
/** `problems`: what a ready printer reports (paper out, cover open), by name (status.ts printerProblems). */
export function deviceStates(devices: StatusResult['devices'], problems: ReadonlyMap<string, string> = new Map()): string {
  return (devices as Array<{ name: string; state: string; reason?: string }>)
    .map((d) => {
      const problem = problems.get(d.name);
      return `${field(d.name)}: ${field(d.state)}${d.state === 'offline' && d.reason ? ` (${field(d.reason)})` : ''}${problem ? ` but ${field(problem)}` : ''}`;
    })
    .join(', ') || 'none configured';
}

/** One line per sample, for a pipe or a log. */
export function watchLine(s: StatusResult, d: Drain, at: number): string {
  return `${clock(at)}  uplink ${field(s.uplink.state)}  outbox ${d.pending} pending (oldest ${oldest(s)}), ${s.outbox.dead} dead  drain ${drainText(d, s)}\n`;
}

/** The screen a terminal shows, redrawn each sample. */
export function watchScreen(s: StatusResult, d: Drain, at: number, intervalS: number): string {
  const devices = deviceStates(s.devices);
  return [
    `till-agent ${field(s.version)}, terminal ${field(s.terminal)}   ${clock(at)} UTC, every ${intervalS} s (Ctrl-C stops)`,
    '',
    `uplink   ${field(s.uplink.state)}${s.uplink.since ? ` since ${field(s.uplink.since)}` : ''}${s.uplink.last_error ? ` (last error: ${field(s.uplink.last_error)})` : ''}`,
    `outbox   ${d.pending} pending, oldest ${oldest(s)}, ${s.outbox.dead} dead`,
    `drain    ${drainText(d, s)}`,
    `devices  ${devices}`,
  ].join('\n') + '\n';
}

const CLEAR = '\u001b[H\u001b[2J';

/** Samples until `stop` resolves; resolves 1 if the agent goes away, else 0. */
export async function watch(session: AgentSession, intervalS: number, stop: Promise<void>, mode: 'screen' | 'lines' | 'json'): Promise<number> {
  const meter = new DrainMeter(Date.now());
  session.onEvent((topic, data) => {
    const e = data as { type?: string; count?: number };
    if (topic === 'outbox' && e.type === 'delivered' && typeof e.count === 'number') meter.add(e.count, Date.now());
  });
  const subscribed = await session.request('events.subscribe', { topics: ['outbox'] });
  if (!subscribed.ok) throw new Error(`${subscribed.error.code}: ${subscribed.error.message}`);
  let stopped = false;
  void stop.then(() => { stopped = true; });
  while (!stopped) {
    const answer = await session.request('status');
    if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
    const status = answer.result as StatusResult;
    const now = Date.now();
    const drain = drainOf(status, meter.rate(now));
    if (mode === 'screen') {
      process.stdout.write(CLEAR); // our own control sequence; everything else goes through print()
      print(watchScreen(status, drain, now, intervalS));
    } else if (mode === 'lines') {
      print(watchLine(status, drain, now));
    } else {
      const eta_s = drain.eta === null ? null : Math.round(drain.eta);
      print(safeJson({ at: new Date(now).toISOString(), ...status, drain: { state: drain.state, rate_per_s: Number(drain.rate.toFixed(2)), eta_s } }) + '\n');
    }
    const outcome = await Promise.race([
      stop.then(() => 'stop' as const),
      session.closed.then(() => 'closed' as const),
      new Promise<'tick'>((resolve) => setTimeout(() => resolve('tick'), intervalS * 1000).unref()),
    ]);
    if (outcome === 'closed') return 1;
    if (outcome === 'stop') break;
  }
  return 0;
}
