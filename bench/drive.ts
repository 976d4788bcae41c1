// Drives POS requests: `count` of them, `window` in flight at a time, and checks the answers.
import { performance } from 'node:perf_hooks';
import type { AwardResult, Response, StatusResult } from '../protocol/local.ts';
import type { PosClient } from '../test/helpers/pos-client.ts';
import { waitUntil } from './wait.ts';

export interface Run {
  elapsedMs: number;
  latenciesMs: Float64Array;
  responses: Response[];
}

/** `count` requests, `window` in flight at a time (window 1 = sequential); worker w sends with send(i, w). */
export async function run(count: number, window: number, send: (i: number, worker: number) => Promise<Response>): Promise<Run> {
  const latenciesMs = new Float64Array(count);
  const responses: Response[] = new Array(count);
  let next = 0;
  const worker = async (w: number) => {
    for (let i = next++; i < count; i = next++) {
      const t0 = performance.now();
      responses[i] = await send(i, w);
      latenciesMs[i] = performance.now() - t0;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(window, count) }, (_, w) => worker(w)));
  return { elapsedMs: performance.now() - start, latenciesMs, responses };
}

/** Throws unless every response is ok with one of the expected award statuses; returns counts by status. */
export function awardStatuses(what: string, responses: Response[], expected: ReadonlyArray<AwardResult['status']>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of responses) {
    if (!r.ok) throw new Error(`bench: ${what}: ${r.error.code} ${r.error.message}`);
    const s = (r.result as AwardResult).status;
    if (!expected.includes(s)) throw new Error(`bench: ${what}: unexpected status ${s}`);
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return counts;
}

/** "12 queued, 488 awarded" when the answers were mixed; nothing when they were all alike. */
export function mixNote(counts: Map<string, number>): string | undefined {
  return counts.size > 1 ? [...counts].map(([s, n]) => `${n} ${s}`).join(', ') : undefined;
}

export async function status(pos: PosClient): Promise<StatusResult> {
  const r = await pos.request('status');
  if (!r.ok) throw new Error(`bench: status failed: ${r.error.code} ${r.error.message}`);
  return r.result as StatusResult;
}

export async function waitUplink(pos: PosClient, connected: boolean, timeoutMs?: number): Promise<void> {
  await waitUntil(async () => (await status(pos)).uplink.connected === connected, `uplink ${connected ? 'online' : 'offline'}`, timeoutMs);
}
