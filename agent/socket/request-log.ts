// What a request's log line says beyond its op and code. A money request (one that awards,
// spends, reverses or redeems) is what a support engineer is asked about ("her points from
// yesterday's sale are missing"): its line names the sale and the request's own id and says what
// became of it (awarded, queued, spent, or the refusal's message). At info: every refused one (at
// warn) and every spend, void, refund, redemption and receipt; a successful award only at debug:
// it is the bulk of the lines (one per sale) and its line cost the agent ~20 % of its CPU per
// offline award even unredacted (issue 10's enqueue row; bench/README), while the outbox keeps
// every award with its state and the host's answer (`till-agent outbox list` / `export`).
// A sale's receipt (receipt.print) is logged the same way, with whether it carried the loyalty
// section ("the till printed no loyalty section"). Every other request stays at debug: status
// polls and scans would bury the sales.
// Params reach here validated (a card number in any id was refused before), and only the ids,
// never the basket, customer or amounts, are copied; maskPansIn guards the ids all the same.
// The fields are primitives under keys no REDACT path names: the line is written unredacted.
import type { Response } from '../../protocol/local.ts';
import { maskPansIn } from '../../protocol/pan.ts';

const SALE_OPS: ReadonlySet<string> = new Set(['award', 'spend', 'void', 'refund', 'redeem', 'reinstate', 'voucher.redeem', 'receipt.print']);
const ID_KEYS = ['txn_id', 'spend_id', 'refund_id', 'redemption_id', 'job_id'] as const;
/**
 * What the answer says became of it: awarded/queued/spent/printed…, a receipt's loyalty section,
 * why a print is uncertain, the print job's id (the agent's own when the POS named none).
 */
const RESULT_KEYS = ['status', 'loyalty', 'reason', 'job_id'] as const;
const MAX_ID = 128;

export type RequestLogLevel = 'debug' | 'info' | 'warn';

export function isSaleOp(op: string | undefined): boolean {
  return op !== undefined && SALE_OPS.has(op);
}

/** The level of a request's outcome line (decided before its fields are gathered: most are not written). */
export function requestLogLevel(op: string | undefined, response: Response): RequestLogLevel {
  if (!isSaleOp(op)) return 'debug';
  if (!response.ok) return 'warn';
  return op === 'award' ? 'debug' : 'info';
}

/** The extra fields of a request's outcome line; params undefined: refused before they were read. */
export function requestLogFields(op: string | undefined, params: unknown, response: Response): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (!isSaleOp(op)) return fields;
  if (typeof params === 'object' && params !== null) {
    for (const key of ID_KEYS) {
      const value = (params as Record<string, unknown>)[key];
      if (typeof value === 'string') fields[key] = maskPansIn(value.slice(0, MAX_ID));
    }
  }
  if (response.ok) {
    const result = (response.result ?? {}) as Record<string, unknown>;
    for (const key of RESULT_KEYS) {
      const value = result[key];
      if (typeof value === 'string' || typeof value === 'boolean') fields[key] = value;
    }
    return fields;
  }
  fields.error = response.error.message;
  return fields;
}
