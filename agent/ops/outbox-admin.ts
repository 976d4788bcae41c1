// Dead letters are never dropped: listed here and put back in the queue on request.
import { AgentError } from '../../protocol/errors.ts';
import type { Params } from '../../protocol/local.ts';
import type { OutboxRow } from '../upstream/outbox.ts';
import type { OpsContext } from './context.ts';

export function outboxList(ctx: OpsContext, p: Params<'outbox.list'>) {
  const stats = ctx.outbox.stats();
  return { pending: stats.pending, dead: stats.dead, messages: ctx.outbox.list(p.state, p.limit).map(describe) };
}

export function outboxRetry(ctx: OpsContext, p: Params<'outbox.retry'>) {
  const retried = ctx.outbox.retry(p.all ? null : p.id!);
  if (retried === 0 && !p.all) throw new AgentError('NOT_FOUND', `no dead letter with id ${p.id}`);
  ctx.log.info({ retried, id: p.id ?? 'all' }, 'dead letters put back in the queue');
  const stats = ctx.outbox.stats();
  ctx.events.emit('outbox', { type: 'retried', count: retried, pending: stats.pending, dead: stats.dead });
  ctx.forwarder.wake();
  return { retried };
}

function describe(row: OutboxRow) {
  return {
    id: row.id, op: row.op, txn_id: row.txn_id, state: row.state, attempts: row.attempts, offline: row.offline,
    created_at: row.created_at, updated_at: row.updated_at, error: row.error, payload: row.payload,
    // What the host answered a delivered message (its award, spend and balance), and when.
    result: row.result, settled_at: row.settled_at,
    // A done row whose answer did not match its schema (agent/upstream/host-results.ts).
    ...(row.result_error !== undefined ? { result_error: row.result_error } : {}),
  };
}
