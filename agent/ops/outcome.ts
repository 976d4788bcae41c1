// Shared by the money ops (award, spend, void, refund, redeem…): fingerprints for idempotency, waiting for the host's
// answer to a committed row, and turning a dead letter into the POS's error.
import * as crypto from 'node:crypto';
import { canonicalJson } from '../../protocol/canonical-json.ts';
import { AgentError, isErrorCode } from '../../protocol/errors.ts';
import { isoString } from '../../protocol/iso-time.ts';
import type { DurableOp } from '../../protocol/upstream.ts';
import type { AppendInput, AppendOutcome, OutboxRow } from '../upstream/outbox.ts';
import type { OpsContext } from './context.ts';
import { inParamsTerms } from './host-refusal.ts';
import { messageId } from './message-id.ts';

/** crypto.hash (Node ≥ 20.12): one call, no Hash object; the same digest. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** Canonical JSON (sorted keys) hashed: same content ⇔ same fingerprint. */
export function fingerprint(value: unknown): string {
  return fingerprintOf(canonicalJson(value)!);
}

/** The fingerprint of a value whose canonical JSON is `canonical`. */
export function fingerprintOf(canonical: string): string {
  return oneShot ? oneShot('sha256', canonical, 'hex') : crypto.createHash('sha256').update(canonical).digest('hex');
}

export function newMessage(ctx: OpsContext, op: DurableOp, fields: Omit<AppendInput, 'id' | 'op' | 'created_at'>): AppendInput {
  const at = ctx.now();
  // Every field named, not `...fields`: a spread copies key by key through a runtime builtin (~2 k
  // instructions an award, issue 10). The same keys in the same order.
  return {
    id: messageId(at.getTime()), op, created_at: isoString(at),
    txn_id: fields.txn_id, fingerprint: fields.fingerprint, customer_id: fields.customer_id, payload: fields.payload,
    offline: fields.offline, amount: fields.amount, currency: fields.currency,
  };
}

/** Commit (or find) the row for (op, txn_id); CONFLICT when the same txn had other content. */
export async function commit(ctx: OpsContext, input: AppendInput): Promise<OutboxRow> {
  return committed(ctx, input, await ctx.outbox.append(input));
}

/** commit()'s row once append() resolved: CONFLICT thrown, the forwarder woken for a created row. */
function committed(ctx: OpsContext, input: AppendInput, outcome: AppendOutcome): OutboxRow {
  if (outcome.kind === 'conflict' && !sameToHost(ctx, input.payload, outcome.row)) throw conflictError(input);
  // Crash test hook: die after the commit and before anyone hears about it.
  if (outcome.kind === 'created' && ctx.faults.has(`kill-after-commit:${input.op}`)) process.kill(process.pid, 'SIGKILL');
  if (outcome.kind === 'created') ctx.forwarder.wake();
  return outcome.row;
}

/**
 * Ops whose online send may overlap the local fsync (UPSTREAM.md, "Online requests: the local
 * fsync overlaps the round trip"). Each is safe if a power cut takes back a row the host already
 * applied: the POS was never answered, so it repeats the request, the till commits a fresh row
 * (new message id, same txn_id) and every host store answers it from its (till, op, txn_id) dedup
 * (SQLite and PostgreSQL ledgers' processed_txn, the CRM.COM/SessionM connectors through
 * platform/remote-backend.ts) with the stored result, applied once. Their content is the POS's
 * alone, so a repeat made offline carries the same request. Not spend: repeated offline, the
 * till would approve an amount of its own while the host has already spent another; not redeem,
 * reinstate, voucher.redeem: kept on the serial path until someone walks through them the same way.
 */
export const EARLY_OPS: ReadonlySet<DurableOp> = new Set<DurableOp>(['award', 'void', 'refund']);

/**
 * commit() then awaitAnswer(), for a new request. For EARLY_OPS online the host's round trip
 * overlaps the fsync: the row is sent once committed, and this resolves only when both the answer
 * (or its timeout) and the fsync are in; a failed fsync rejects at once with its error, as
 * append() does (the host's answer, if it comes, is still settled into the row for a repeat).
 */
export async function commitAndAwait(ctx: OpsContext, input: AppendInput): Promise<OutboxRow> {
  const early = EARLY_OPS.has(input.op) && ctx.uplink.connected && ctx.outbox.appendEarly !== undefined
    && !ctx.faults.has(`kill-after-commit:${input.op}`); // the crash test kills between a durable commit and the send
  if (!early) {
    // commit() written out: awaiting it would be one more async function and promise turn per award.
    const row = committed(ctx, input, await ctx.outbox.append(input));
    // Nothing to wait for (offline, or already answered): the row itself, not awaitAnswer's promise
    // (an async call whose promise this one then adopts: three more turns of the microtask queue
    // before the POS is answered, on every offline award; issue 10).
    return answerDue(ctx, row) ? awaitAnswer(ctx, row) : row;
  }
  const { outcome, durable } = await ctx.outbox.appendEarly!(input);
  if (outcome.kind === 'conflict' && !sameToHost(ctx, input.payload, outcome.row)) {
    durable.catch(() => undefined); // the error reached the caller of an earlier append of this txn
    throw conflictError(input);
  }
  if (outcome.kind === 'created') ctx.forwarder.wake();
  // A created row was committed in the turn that resolved appendEarly, and no I/O has run since
  // (only promise continuations): the host cannot have answered it yet.
  const [answered] = await Promise.all([awaitAnswer(ctx, outcome.row, outcome.kind === 'created'), durable]);
  return answered;
}

/**
 * A repeat whose fingerprint differs from the row's only because one basket names the till's own
 * store and the other leaves it out: the host reads an absent store as the till's (host/handlers.ts,
 * LOCAL.md "store defaults to the till's configured store"), so it is the same request, answered
 * with the row. The same for `discounts: []` and no discounts: every host reads an absent list as
 * an empty one (host/engine.ts, the CRM.COM and SessionM connectors). Decided here, on the conflict
 * path only: the fingerprint (stored with every row, also rows written before this) and the way an
 * award computes it stay as they were.
 */
export function sameToHost(ctx: OpsContext, payload: Record<string, unknown>, row: OutboxRow): boolean {
  const theirs = fingerprinted(row.payload);
  const basket = theirs.basket as Record<string, unknown> | undefined;
  // Only a row whose stored content is what its fingerprint was taken of (an award also stores pos_reduced).
  if (basket === undefined || fingerprint(theirs) !== row.fingerprint) return false;
  const store = ctx.identity.store;
  return fingerprint(asHostReads(fingerprinted(payload), store)) === fingerprint(asHostReads(theirs, store));
}

function fingerprinted(payload: Record<string, unknown>): Record<string, unknown> {
  const { pos_reduced: _, ...content } = payload;
  return content;
}

/** The content without what the host reads as absent: a basket store that is the till's own, an empty discounts list. */
function asHostReads(content: Record<string, unknown>, store: string): Record<string, unknown> {
  const basket = content.basket as Record<string, unknown> | undefined;
  if (basket === undefined) return content;
  const ownStore = basket.store === store;
  const noDiscounts = Array.isArray(basket.discounts) && basket.discounts.length === 0;
  if (!ownStore && !noDiscounts) return content;
  const rest = { ...basket };
  if (ownStore) delete rest.store;
  if (noDiscounts) delete rest.discounts;
  return { ...content, basket: rest };
}

function conflictError(input: AppendInput): AgentError {
  return new AgentError('CONFLICT', `${input.op} for txn_id ${input.txn_id} was already submitted with different content`);
}

/** Wait (bounded) for the host's answer when the link is up; otherwise return the row as is. */
export async function awaitAnswer(ctx: OpsContext, row: OutboxRow, unsent = false): Promise<OutboxRow> {
  if (!answerDue(ctx, row)) return row;
  return (await ctx.forwarder.waitFor(row.id, ctx.config.uplink.request_timeout_ms, unsent)) ?? ctx.outbox.get(row.id) ?? row;
}

/** Whether awaitAnswer waits for the host: a pending row while the link is up. */
function answerDue(ctx: OpsContext, row: OutboxRow): boolean {
  return row.state === 'pending' && ctx.uplink.connected;
}

export function deadLetterError(row: OutboxRow): AgentError {
  const code = row.error && isErrorCode(row.error.code) && row.error.code !== 'INTERNAL' ? row.error.code : 'REJECTED_UPSTREAM';
  return new AgentError(
    code,
    `the loyalty host refused this ${row.op}: ${row.error ? inParamsTerms(row.op, row.error.message) : 'no reason given'} (kept as dead letter ${row.id}; see outbox.list)`,
    false,
  );
}
