// Wait on a condition with a deadline: benchmarks never sleep blindly either.
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitUntil(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
