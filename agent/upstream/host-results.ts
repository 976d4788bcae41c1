// The host's answers, typed. An ok answer is checked against its op's schema (protocol/upstream.ts,
// hostResultSchemas) where it arrives: the outbox settles it and reads the row back through
// decode(), which is the one place an answer becomes typed. Reading a row later checks it again
// (a few microseconds: it also types rows an earlier version of the agent stored unchecked).
// Everything that reads an answer goes through resultOf / answerOf / balanceOf below: no field is
// picked out of an untyped object by hand.
//
// An ok answer that does not match its schema has nevertheless been applied by the host, so
// resending it or making it a dead letter would be wrong. The row is done (delivered, never sent
// again), the answer stays stored as the host sent it, and it reads as unreadable: result null,
// result_error naming the fields. The POS is answered UPSTREAM_BAD_ANSWER (answerOf); the outbox
// counts it (status outbox.unreadable) and the forwarder logs and announces it (event outbox
// "unreadable"). UPSTREAM.md, "An answer the till cannot read".
import { AgentError } from '../../protocol/errors.ts';
import type { Money } from '../../protocol/money.ts';
import { fastAwardResult } from '../../protocol/fast-host-result.ts';
import { parseHostResult, type DurableOp, type HostResult } from '../../protocol/upstream.ts';

/** What the accessors read of an outbox row (an OutboxRow is one; outbox.ts imports this file, not the other way). */
export interface AnsweredRow {
  id: string;
  op: DurableOp;
  state: 'pending' | 'done' | 'dead';
  result: HostResult | null;
  result_error?: string;
}

export interface ReadResult {
  result: HostResult | null;
  /** Set when a stored answer does not match its op's schema: which fields (values are never quoted). */
  result_error?: string;
}

/** A stored answer (JSON text; null: none yet) to a message of `op`, checked against that op's schema. */
export function readResult(op: DurableOp, json: string | null): ReadResult {
  if (json === null) return { result: null };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { result: null, result_error: 'result: not JSON' };
  }
  return checkResult(op, value);
}

/** readResult of an answer already parsed: a JSON value (the stored text is its JSON.stringify). */
export function checkResult(op: DurableOp, value: unknown): ReadResult {
  // An award's answer by hand first (protocol/fast-host-result.ts): the schema's value, or undefined and zod decides.
  const fast = op === 'award' ? fastAwardResult(value) : undefined;
  if (fast) return { result: fast };
  const parsed = parseHostResult(op, value);
  return parsed.ok ? { result: parsed.value } : { result: null, result_error: parsed.errors.slice(0, 5).join('; ') };
}

/** The host's answer to a done row of `op`, typed; null when the row is of another op, unanswered, or its answer unreadable. */
export function resultOf<O extends DurableOp>(row: AnsweredRow, op: O): HostResult<O> | null {
  // decode() checked row.result against row.op's schema: for a row of this op it is this op's result.
  return row.op === op && row.state === 'done' ? (row.result as HostResult<O> | null) : null;
}

/** resultOf for a done row whose answer the POS is waiting for: an unreadable answer is UPSTREAM_BAD_ANSWER. */
export function answerOf<O extends DurableOp>(row: AnsweredRow, op: O): HostResult<O> {
  const result = resultOf(row, op);
  if (result) return result;
  throw unreadableAnswer(row);
}

/** The POS's error for a done row whose answer could not be read. */
export function unreadableAnswer(row: AnsweredRow): AgentError {
  return new AgentError(
    'UPSTREAM_BAD_ANSWER',
    `the loyalty host applied this ${row.op} but its answer could not be read (${row.result_error ?? 'no result'}); `
      + `it is recorded as delivered (message ${row.id}) and will not be sent again: ask the host for the outcome`,
    false,
  );
}

/** The wallet balance a done row's answer reports (award, spend, void, refund), when it has one. */
export function balanceOf(row: AnsweredRow): Money | undefined {
  const result = row.state === 'done' ? row.result : null;
  return result && 'balance' in result ? result.balance : undefined;
}

/** Every wallet after a done row's answer (award, void, refund: customers holding points), when it lists them. */
export function walletsOf(row: AnsweredRow): Money[] | undefined {
  const result = row.state === 'done' ? row.result : null;
  return result && 'wallets' in result ? result.wallets : undefined;
}
