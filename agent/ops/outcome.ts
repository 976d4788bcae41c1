// Shared by award, spend and void: fingerprints for idempotency, waiting for the host's
// answer to a committed row, and turning a dead letter into the POS's error.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../protocol/canonical-json.ts';
import { AgentError, isErrorCode } from '../../protocol/errors.ts';
import type { DurableOp } from '../../protocol/upstream.ts';
import type { AppendInput, OutboxRow } from '../upstream/outbox.ts';
import type { OpsContext } from './context.ts';
import { messageId } from './message-id.ts';

/** Canonical JSON (sorted keys) hashed: same content ⇔ same fingerprint. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)!).digest('hex');
}

export function newMessage(ctx: OpsContext, op: DurableOp, fields: Omit<AppendInput, 'id' | 'op' | 'created_at'>): AppendInput {
  const at = ctx.now();
  return { id: messageId(at.getTime()), op, created_at: at.toISOString(), ...fields };
}

/** Commit (or find) the row for (op, txn_id); CONFLICT when the same txn had other content. */
export async function commit(ctx: OpsContext, input: AppendInput): Promise<OutboxRow> {
  const outcome = await ctx.outbox.append(input);
  if (outcome.kind === 'conflict') {
    throw new AgentError('CONFLICT', `${input.op} for txn_id ${input.txn_id} was already submitted with different content`);
  }
  // Crash test hook: die after the commit and before anyone hears about it.
  if (outcome.kind === 'created' && ctx.faults.has(`kill-after-commit:${input.op}`)) process.kill(process.pid, 'SIGKILL');
  if (outcome.kind === 'created') ctx.forwarder.wake();
  return outcome.row;
}

/** Wait (bounded) for the host's answer when the link is up; otherwise return the row as is. */
export async function awaitAnswer(ctx: OpsContext, row: OutboxRow): Promise<OutboxRow> {
  if (row.state !== 'pending' || !ctx.uplink.connected) return row;
  return (await ctx.forwarder.waitFor(row.id, ctx.config.uplink.request_timeout_ms)) ?? ctx.outbox.get(row.id) ?? row;
}

export function deadLetterError(row: OutboxRow): AgentError {
  const code = row.error && isErrorCode(row.error.code) && row.error.code !== 'INTERNAL' ? row.error.code : 'REJECTED_UPSTREAM';
  return new AgentError(
    code,
    `the loyalty host refused this ${row.op}: ${row.error?.message ?? 'no reason given'} (kept as dead letter ${row.id}; see outbox.list)`,
    false,
  );
}
