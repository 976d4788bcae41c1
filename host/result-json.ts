// A message's result is JSON text twice: in the dedup record (`processed.result`, for a repeat) and in
// the answer to the till. Both are JSON.stringify of the same object, ~450 bytes per award, ~4 % of the
// host's CPU in a drain (issue 10): the text made for the record (runtime/kept-json.ts) is put into
// the answer as it is.
//
// A result is not changed once recorded (service.ts returns the handler's value as it recorded it);
// an answer built from other objects (a repeat's stored result, another backend) is stringified here
// as before. Either way encodeResponse(r) === JSON.stringify(r) (test/host/result-json.test.ts).
import type { UpstreamResponse } from '../protocol/upstream.ts';
import { jsonOnce, keptJson } from '../runtime/kept-json.ts';

/** JSON.stringify(result), kept with the object for encodeResponse. */
export function resultJson(result: Record<string, unknown>): string {
  return jsonOnce(result);
}

/** `{ id, ok: true, result }` with exactly these keys in this order (JSON.stringify's order), result's text kept. */
function keptText(item: unknown): string | undefined {
  const r = item as { id?: unknown; ok?: unknown; result?: unknown };
  if (r.ok !== true || typeof r.id !== 'string' || typeof r.result !== 'object' || r.result === null) return undefined;
  const text = keptJson(r.result);
  if (text === undefined) return undefined;
  let i = 0;
  for (const key in r) {
    if (key !== (i === 0 ? 'id' : i === 1 ? 'ok' : i === 2 ? 'result' : '')) return undefined;
    i++;
  }
  return i === 3 ? `{"id":${JSON.stringify(r.id)},"ok":true,"result":${text}}` : undefined;
}

const EMPTY_RESULTS = '"results":[]';

/** JSON.stringify(response), with each result's text made once (resultJson) rather than again. */
export function encodeResponse(response: UpstreamResponse): string {
  const { results } = response;
  let parts: string[] | undefined;
  for (let i = 0; i < results.length; i++) {
    const text = keptText(results[i]);
    if (text === undefined) continue;
    // Not results.slice(0, i).map(…): packed in every tier (runtime/packed.ts).
    if (!parts) {
      parts = [];
      for (let j = 0; j < i; j++) parts.push(JSON.stringify(results[j]));
    }
    parts.push(text);
    for (let j = i + 1; j < results.length; j++) parts.push(keptText(results[j]) ?? JSON.stringify(results[j]));
    break;
  }
  if (!parts) return JSON.stringify(response);
  // The envelope with no results, in its own key order; its other keys (v, request_id, at, chain)
  // are fixed names, so the first `"results":[]` is the results key's (a string's quotes are escaped).
  const head = JSON.stringify({ ...response, results: [] });
  const at = head.indexOf(EMPTY_RESULTS);
  return `${head.slice(0, at)}"results":[${parts.join(',')}]${head.slice(at + EMPTY_RESULTS.length)}`;
}
