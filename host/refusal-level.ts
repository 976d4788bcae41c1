// The level of a host's `message rejected` line. A durable (money) message refused for good is a
// dead letter at the till, which logs it at warn ('host refused message: dead letter'): the host
// warns of it too, so `journalctl -u till-agent-host -p warning` lists the sales that were refused.
// identify and preview refusals (an unknown card: every day at a shop) change nothing: info. A
// retryable refusal is sent again: the caller's level (the ledger's OFFER_LOCKED info, a platform
// unreachable warn). Only a refusal asks: a message applied does no work here.
import { DURABLE_OPS } from '../protocol/upstream.ts';

const DURABLE: ReadonlySet<string> = new Set(DURABLE_OPS);

export function refusalLevel(op: string, permanent: boolean, retryable: 'info' | 'warn'): 'info' | 'warn' {
  if (!permanent) return retryable;
  return DURABLE.has(op) ? 'warn' : 'info';
}
