// An award request line, the hot request of the local socket, decoded in one walk: the fast path's
// validation of the envelope and the params (protocol/fast-path.ts) also counts their keys, and that
// count against the line's colons is the duplicate-key check (protocol/json-frame.ts), without a walk
// of its own over the parsed value (~2 k instructions an offline award, issue 10). In valid JSON the
// colons are at least the keys written, which are at least the parsed value's keys (JSON.parse keeps
// one of a repeated key), which are at least the keys the fast path counted (the envelope's own, and
// those of the params it kept: a v1 object's unknown keys are dropped, not counted). Equal counts
// mean all of them are equal: no key repeats, and nothing was dropped. Anything else (another op, a
// frame the fast path gives up on, fewer keys than colons) is decoded the general way, whose answers
// are then the same as before: the fast path returns exactly what the schemas would.
import { fastAwardRequest } from './fast-path.ts';
import { colonsIn } from './json-frame.ts';

export interface AwardFrame {
  id: string | number;
  /** As parseParams('award', ...) returns them. */
  params: Record<string, unknown>;
}

/**
 * The award request of a line (`value` is JSON.parse(line)) that repeats no key and that
 * parseRequest and then parseParams('award', params, protocol) accept, as they return it; else
 * undefined: decode it the general way (checkKeys, parseRequest, parseParams).
 */
export function awardFrame(line: string, value: unknown, v2: boolean): AwardFrame | undefined {
  const award = fastAwardRequest(value, v2);
  return award !== undefined && colonsIn(line) === award.keys ? award : undefined;
}
