// Questions an end-to-end test asks the agent over the POS socket while a sale runs.
import type { PosClient } from './pos-client.ts';
import { waitFor } from './wait.ts';

/** Alice's balance as the agent reports it (identify by her token); NaN when identify fails. */
export async function aliceBalance(pos: PosClient): Promise<number> {
  const r = await pos.request('identify', { by: 'token', value: 'tok-alice' });
  return r.ok ? (r.result as { customer: { balance: { amount: number } } }).customer.balance.amount : NaN;
}

/** Waits (up to 20 s) until the agent's outbox has nothing pending. */
export async function outboxDrained(pos: PosClient): Promise<void> {
  await waitFor(async () => {
    const s = await pos.request('status');
    return s.ok && (s.result as { outbox: { pending: number } }).outbox.pending === 0;
  }, { what: 'outbox drained', timeout: 20_000 });
}
