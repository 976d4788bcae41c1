// Decoding an MQTT payload into a batch the service can process. A request that is valid as
// a whole is the fast path; otherwise we recover what we can so the till gets a permanent
// BAD_REQUEST for each message it can match by id, instead of resending it forever.
import { z } from 'zod';
import { fastUpstreamRequest } from '../protocol/fast-upstream.ts';
import { parseWith } from '../protocol/schema.ts';
import type { Batch, BatchItem } from './batch.ts';
import { chainProblem } from './chain.ts';
import { mapPacked } from '../runtime/packed.ts';
import {
  MAX_CHAINED_MESSAGES, UPSTREAM_VERSION, parseUpstreamRequest, upstreamMessageSchema, upstreamRequestSchema,
  type UpstreamResponse,
} from '../protocol/upstream.ts';

export type Decoded =
  | { kind: 'batch'; batch: Batch; dropped: number }
  /** The envelope itself is invalid: answer every recoverable message id with BAD_REQUEST. */
  | { kind: 'reject'; reply_to: string | undefined; response: UpstreamResponse; errors: string[] }
  /** Nothing we can answer (not JSON, or no message ids). */
  | { kind: 'drop'; reply_to: string | undefined; errors: string[] };

const envelopeSchema = upstreamRequestSchema.extend({
  messages: z.array(z.unknown()).min(1).max(MAX_CHAINED_MESSAGES),
});

function recoverId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

function recoverSeq(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const seq = (value as { seq?: unknown }).seq;
  return Number.isSafeInteger(seq) && (seq as number) >= 1 ? (seq as number) : undefined;
}

function stringField(raw: unknown, key: string): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const v = (raw as Record<string, unknown>)[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export function badRequest(id: string, errors: string[]) {
  return { id, ok: false as const, error: { code: 'BAD_REQUEST' as const, message: errors.join('; ').slice(0, 1000), permanent: true } };
}

export function decodeRequest(payload: Buffer | string): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString());
  } catch {
    return { kind: 'drop', reply_to: undefined, errors: ['payload is not valid JSON'] };
  }
  // The hand check first (protocol/fast-upstream.ts): the same value, or undefined and zod decides.
  const fast = fastUpstreamRequest(raw);
  const whole = fast ? { ok: true as const, value: fast } : parseUpstreamRequest(raw);
  if (whole.ok) {
    const { request_id, reply_to, source, chain, messages } = whole.value;
    const items = mapPacked(messages, (message): BatchItem => ({ ok: true, message }));
    return checked(batchOf(request_id, reply_to, source, chain, items), 0);
  }
  const replyTo = stringField(raw, 'reply_to');
  const envelope = parseWith(envelopeSchema, raw);
  if (envelope.ok) {
    const items: BatchItem[] = [];
    let dropped = 0;
    envelope.value.messages.forEach((m, i) => {
      const parsed = parseWith(upstreamMessageSchema, m, `messages[${i}]`);
      if (parsed.ok) items.push({ ok: true, message: parsed.value });
      else {
        const id = recoverId(m);
        const seq = recoverSeq(m);
        if (id === undefined) dropped++;
        else items.push({ ok: false, id, ...(seq === undefined ? {} : { seq }), errors: parsed.errors });
      }
    });
    const { request_id, reply_to, source, chain } = envelope.value;
    return checked(batchOf(request_id, reply_to, source, chain, items), dropped);
  }
  const messages = (raw as { messages?: unknown }).messages;
  const ids = Array.isArray(messages) ? messages.map(recoverId).filter((id): id is string => id !== undefined) : [];
  if (ids.length === 0) return { kind: 'drop', reply_to: replyTo, errors: envelope.errors };
  return {
    kind: 'reject',
    reply_to: replyTo,
    errors: envelope.errors,
    response: {
      v: UPSTREAM_VERSION,
      request_id: stringField(raw, 'request_id') ?? '',
      results: ids.map((id) => badRequest(id, [`invalid request envelope: ${envelope.errors.join('; ')}`])),
    },
  };
}

/**
 * A batch as one of two literals (with or without chain), not `{ a, ...(chain ? { chain } : {}), items }`:
 * in Node 20 an object made by a spread followed by more properties gets a hidden class of its own once
 * the code is optimised, and every reader of the batch (runMessages, recordChain, the consumer's log
 * line) was thrown away on meeting it (handlers.ts saleEntry).
 */
function batchOf(request_id: string, reply_to: string, source: Batch['source'], chain: Batch['chain'], items: BatchItem[]): Batch {
  return chain ? { request_id, reply_to, source, chain, items } : { request_id, reply_to, source, items };
}

/** A chained batch whose seqs cannot be checked is answered BAD_REQUEST message by message (a till bug). */
function checked(batch: Batch, dropped: number): Decoded {
  const problem = chainProblem(batch);
  if (problem === undefined) return { kind: 'batch', batch, dropped };
  const { chain: _unchecked, ...rest } = batch;
  const items = batch.items.map((item): BatchItem => ({ ok: false, id: item.ok ? item.message.id : item.id, errors: [problem] }));
  return { kind: 'batch', batch: { ...rest, items }, dropped };
}
