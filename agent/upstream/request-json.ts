// An upstream request's JSON text without stringifying a payload the outbox stringified already:
// the append stores JSON.stringify(payload), and the request sent the same payload of the same
// object a moment later (~2 % of an online award's instructions, issue 10); a backlog's rows, read
// back from the file, carry the text they were read with (outbox.ts decodeSent). The text is the
// request's JSON.stringify, byte for byte (test/agent/request-json.test.ts), but for a payload SQLite
// rewrote (withholdReductions' json_set): the same JSON value, as SQLite writes it. Payloads are never
// changed in place once appended or read (a change is an UPDATE, read back as a new object).
import type { UpstreamMessage, UpstreamRequest } from '../../protocol/upstream.ts';
import { jsonOnce, keptJson } from '../../runtime/kept-json.ts';

/** JSON.stringify(payload), kept for the request that sends this payload object. */
export function payloadJson(payload: Record<string, unknown>): string {
  return jsonOnce(payload);
}

/** JSON.stringify({ ...head, messages }) (head: the request's other keys, in their order). */
export function requestJson(head: Omit<UpstreamRequest, 'messages'>, messages: UpstreamMessage[]): string {
  let list = '';
  for (const m of messages) {
    const payload = keptJson(m.payload);
    // A message of another shape, or a payload with no text kept (a test's): as before.
    if (payload === undefined || !isPlainMessage(m)) return JSON.stringify({ ...head, messages });
    const text = withKey(JSON.stringify({ id: m.id, seq: m.seq, op: m.op, txn_id: m.txn_id, created_at: m.created_at }), 'payload', payload);
    list += list === '' ? text : `,${text}`;
  }
  return withKey(JSON.stringify(head), 'messages', `[${list}]`);
}

/** An object's JSON text with one more key, last. */
function withKey(object: string, key: string, value: string): string {
  return `${object === '{}' ? '{' : `${object.slice(0, -1)},`}"${key}":${value}}`;
}

const MESSAGE_KEYS = ['id', 'seq', 'op', 'txn_id', 'created_at', 'payload'];

/** The keys toMessage gives, in its order, and no others. */
function isPlainMessage(m: UpstreamMessage): boolean {
  const keys = Object.keys(m);
  if (keys.length !== MESSAGE_KEYS.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== MESSAGE_KEYS[i]) return false;
  return true;
}
