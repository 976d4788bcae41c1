// Upstream requests and responses checked by hand before zod, the way protocol/fast-path.ts checks
// the POS's requests: a host draining a backlog parsed every request of up to 500 awards with
// upstreamRequestSchema, ~35 µs of a ~370 µs award, and the till each answer with
// upstreamResponseSchema, ~15 µs (issue 10). The envelope and award messages are checked here; a
// message of any other op goes through upstreamMessageSchema on its own (what z.array does for
// each element anyway). Either the result is exactly the schema's value (same keys in the same
// order, unknown keys dropped) or undefined, and then the schema runs and its errors are the ones
// logged or answered. test/property/fast-upstream.property.test.ts holds the two together.
import { z } from 'zod';
import { isErrorCode } from './errors.ts';
import { fastUpstreamBasket, isPlain, list, noPanText, nonEmpty, optional } from './fast-path.ts';
import {
  MAX_CHAINED_MESSAGES, UPSTREAM_VERSION, upstreamMessageSchema, type UpstreamMessage, type UpstreamRequest,
  type UpstreamResponse, type UpstreamResult,
} from './upstream.ts';

type Plain = Record<string, unknown>;

// The schema's datetime check (`z.string().datetime({ offset: true })`) is a string check and one
// regular expression, zod's own (z.regexes.datetime, built from the same options: no copy of its
// pattern). Tested here directly: safeParse ran zod's parse machinery for each of the two or more
// datetimes of a request, ~13 k instructions each on a young host (callgrind, issue 10).
// test/protocol/fast-upstream-datetime.test.ts holds the pattern to the schema's.
export const DATETIME_PATTERN = z.regexes.datetime({ offset: true, local: false, precision: null });
const isDatetime = (value: unknown): value is string => typeof value === 'string' && DATETIME_PATTERN.test(value);

const positiveSafe = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 1;

/** upstreamRequestSchema's value for `raw`, or undefined (then the schema decides). */
export function fastUpstreamRequest(raw: unknown): UpstreamRequest | undefined {
  if (!isPlain(raw)) return undefined;
  const { v, request_id, reply_to, source, sent_at, chain, messages } = raw;
  if (v !== UPSTREAM_VERSION || !nonEmpty(request_id, 64) || !nonEmpty(reply_to, 512)) return undefined;
  if (!isPlain(source)) return undefined;
  const { merchant, store, terminal } = source;
  if (!nonEmpty(merchant, 64) || !nonEmpty(store, 64) || !nonEmpty(terminal, 64) || !isDatetime(sent_at)) return undefined;
  const out: Plain = { v, request_id, reply_to, source: { merchant, store, terminal }, sent_at };
  if (!optional(raw, 'chain', out, fastChain)) return undefined;
  const checked = list(messages, 1, MAX_CHAINED_MESSAGES, fastMessage);
  if (!checked) return undefined;
  out.messages = checked;
  return out as unknown as UpstreamRequest;
}

/** chainSchema: {start: true} or {after: N}, strict objects. */
function fastChain(chain: unknown): Plain | undefined {
  if (!isPlain(chain)) return undefined;
  const keys = Object.keys(chain);
  if (keys.length !== 1) return undefined;
  if (keys[0] === 'start') return chain.start === true ? { start: true } : undefined;
  if (keys[0] === 'after') return positiveSafe(chain.after) ? { after: chain.after } : undefined;
  return undefined;
}

function fastMessage(m: unknown): UpstreamMessage | undefined {
  if (!isPlain(m)) return undefined;
  if (m.op !== 'award') {
    const parsed = upstreamMessageSchema.safeParse(m);
    return parsed.success ? parsed.data : undefined;
  }
  // messageBase's keys, then op and payload: the order the schema's object gives them.
  const { id, txn_id, created_at, payload } = m;
  if (!nonEmpty(id, 64)) return undefined;
  const out: Plain = { id };
  if (!optional(m, 'seq', out, (s) => (positiveSafe(s) ? s : undefined))) return undefined;
  if (txn_id !== null && !noPanText(txn_id, 0, 128)) return undefined;
  if (!isDatetime(created_at)) return undefined;
  out.txn_id = txn_id;
  out.created_at = created_at;
  out.op = 'award';
  const checked = fastAwardPayload(payload);
  if (!checked) return undefined;
  out.payload = checked;
  return out as unknown as UpstreamMessage;
}

/** payloadSchemas.award: customer_id, basket, pos_reduced?. */
function fastAwardPayload(p: unknown): Plain | undefined {
  if (!isPlain(p)) return undefined;
  const { customer_id, basket } = p;
  if (!nonEmpty(customer_id, 128)) return undefined;
  const b = fastUpstreamBasket(basket);
  if (!b) return undefined;
  const out: Plain = { customer_id, basket: b };
  return optional(p, 'pos_reduced', out, (r) => (typeof r === 'boolean' ? r : undefined)) ? out : undefined;
}

/** upstreamResponseSchema's value for `raw` (what a till receives), or undefined (then the schema decides). */
export function fastUpstreamResponse(raw: unknown): UpstreamResponse | undefined {
  if (!isPlain(raw)) return undefined;
  const { v, request_id, results } = raw;
  if (v !== UPSTREAM_VERSION || typeof request_id !== 'string') return undefined;
  const out: Plain = { v, request_id };
  if (!optional(raw, 'at', out, (at) => (isDatetime(at) ? at : undefined))) return undefined;
  const checked = list(results, 0, Number.MAX_SAFE_INTEGER, fastResult);
  if (!checked) return undefined;
  out.results = checked;
  return optional(raw, 'chain', out, fastChainAnswer) ? (out as unknown as UpstreamResponse) : undefined;
}

/** upstreamResponseSchema's chain: {accepted, last}. */
function fastChainAnswer(chain: unknown): Plain | undefined {
  if (!isPlain(chain) || typeof chain.accepted !== 'boolean') return undefined;
  const { last } = chain;
  return last === null || Number.isSafeInteger(last) ? { accepted: chain.accepted, last } : undefined;
}

function fastResult(r: unknown): UpstreamResult | undefined {
  if (!isPlain(r) || typeof r.id !== 'string') return undefined;
  if (r.ok === true) {
    // z.record copies the object; "__proto__" as an own key is left to zod.
    const { result } = r;
    if (!isPlain(result) || Object.prototype.hasOwnProperty.call(result, '__proto__')) return undefined;
    return { id: r.id, ok: true, result: { ...result } };
  }
  if (r.ok !== false || !isPlain(r.error)) return undefined;
  const { code, message, permanent } = r.error;
  if (!isErrorCode(code) || typeof message !== 'string' || typeof permanent !== 'boolean') return undefined;
  return { id: r.id, ok: false, error: { code, message, permanent } };
}
