// The platform's idempotency key for a till message. Derived, not stored: the same logical
// operation always maps to the same platform request id, whichever host process handles it and
// whichever outbox message carries it.
//
//   durable op with a txn_id     f(till, op, txn_id[, spend_id])   the operation's own identity
//   products.sync of a full sync f(till, 'products.sync', sync id, batch)
//   anything else                f(till, message id)
//
// Keyed by the operation, not by the outbox message: a POS that repeats a spend (after
// UPSTREAM_TIMEOUT, as LOCAL.md tells it to) or a till that submits the same operation under a
// new message id reaches the platform under the first id, so a host that died between the
// platform's apply and its own record cannot make the platform apply it twice. The host's own
// dedup ((till, message id), then (till, op, txn_id)) treats the same pairs as one operation.
import { createHash } from 'node:crypto';
import { DURABLE_OPS, type UpstreamMessage } from '../../protocol/upstream.ts';

/** A UUID-shaped (8-4-4-4-12 hex) digest of the parts; version nibble 5-like, not random. */
export function platformRequestId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The spend id of a spend, once tills send one (several spends per sale); undefined before. */
function spendId(message: UpstreamMessage): string | undefined {
  if (message.op !== 'spend') return undefined;
  const id = (message.payload as { spend_id?: unknown }).spend_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** The platform request id of `message` from till `terminal` (merchant/store/terminal). */
export function operationRequestId(terminal: string, message: UpstreamMessage): string {
  if ((DURABLE_OPS as readonly string[]).includes(message.op) && message.txn_id) {
    const extra = spendId(message);
    return platformRequestId(terminal, message.op, message.txn_id, ...(extra === undefined ? [] : [extra]));
  }
  if (message.op === 'products.sync' && message.payload.sync) {
    const { id, batch } = message.payload.sync;
    return platformRequestId(terminal, 'products.sync', id, String(batch));
  }
  return platformRequestId(terminal, message.id);
}
