// A customer_id the POS sends is the loyalty platform's id, never a payment card number typed or
// scanned into the wrong field: one that contains a card number (protocol/pan.ts) is refused
// before anything is committed, logged or sent to the host, unless the platform itself issued it
// to this till (an identify answer the customer cache holds: some platforms number their
// customers like cards). LOCAL.md "Card numbers in free text".
import { AgentError } from '../../protocol/errors.ts';
import { containsPan } from '../../protocol/pan.ts';
import type { OpsContext } from './context.ts';

/** The refusal of params.customer_id, or undefined when it may go on (no card number, or issued by the platform). */
export function refusedCustomerId(ctx: OpsContext, params: unknown): AgentError | undefined {
  const id = (params as { customer_id?: unknown }).customer_id;
  if (typeof id !== 'string' || !containsPan(id)) return undefined;
  if (ctx.cache.get(id) !== undefined) return undefined;
  // The number is never echoed: the field's name says enough.
  return new AgentError('BAD_REQUEST', 'params.customer_id: must not contain a payment card number (send the customer id that identify answered on this till)');
}
