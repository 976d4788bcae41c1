// Processes one decoded request: its messages in order, inside ONE `BEGIN IMMEDIATE`
// transaction (one fsync per batch, one writer across host processes). A failing message rolls
// back alone: the batch first runs in one SAVEPOINT; if a message throws, it is rolled back and
// run again with a SAVEPOINT per message (processMessage, guarded).
//
//   for each message:  dedup (terminal+message id, else terminal+op+txn_id: one lookup) → handler → record result
//   permanent error    → rolled back, answered, next message
//   anything else      → rolled back, INTERNAL (permanent: false), stop: the till resends
//                        every message that got no result, in order
import { isAgentError } from '../protocol/errors.ts';
import { maskPansIn } from '../protocol/pan.ts';
import {
  DURABLE_OPS, UPSTREAM_VERSION, type TillIdentity, type UpstreamMessage, type UpstreamResult,
} from '../protocol/upstream.ts';
import { checkChain, recordChain } from './chain.ts';
import { runHandler } from './handlers.ts';
import type { HostSettings, OpContext } from './op-context.ts';
import type { Ledger } from './ledger.ts';
import { isStoreConflict, isStoreUnreachable } from './store.ts';
import type { Logger } from '../runtime/log.ts';
import { DeferredLog } from './op-log.ts';
import { refusalLevel } from './refusal-level.ts';
import type { Batch, BatchItem, HandleSummary } from './batch.ts';
import { filterMapPacked } from '../runtime/packed.ts';
import { badRequest } from './request.ts';
import { isoNow } from '../runtime/iso-now.ts';

/** A batch's context: its handlers' log lines wait for the commit. */
type BatchContext = OpContext & { log: DeferredLog };

export function terminalKey(source: TillIdentity): string {
  return `${source.merchant}/${source.store}/${source.terminal}`;
}

const isDurable = (op: string) => (DURABLE_OPS as readonly string[]).includes(op);

/** While the store is unreachable, one line per this long: every till resends every few seconds. */
export const UNREACHABLE_LOG_EVERY_MS = 30_000;

export class HostService {
  private unreachableLoggedAt = -Infinity;
  private unreachableNotLogged = 0;

  constructor(
    private readonly ledger: Ledger,
    private readonly settings: HostSettings,
    private readonly log: Logger,
  ) {}

  handle(batch: Batch): HandleSummary {
    const log = new DeferredLog();
    const ctx: BatchContext = {
      ledger: this.ledger, settings: this.settings, log, source: batch.source, terminal: terminalKey(batch.source),
    };
    const at = isoNow();
    try {
      // Everything the attempt produces is made inside it: on PostgreSQL a serialization
      // conflict runs the whole batch again (store.ts), and nothing of the first try may stay.
      const { summary, chain, last } = this.ledger.immediate(() => {
        log.rollbackTo(0); // a PostgreSQL conflict runs this again: nothing of the first try was kept
        const chain = checkChain(this.ledger, ctx.terminal, batch);
        if (chain.kind === 'refuse') return { summary: this.emptySummary(batch, at), chain, last: null };
        // Fast path: the batch's messages without a savepoint each (two statements, on PostgreSQL
        // two round trips, per message), inside one savepoint for the batch. If any message throws,
        // the batch is rolled back to it and run again with a savepoint per message, so that the
        // failing message alone is rolled back: the same results, the failure path paying twice.
        let run: { summary: HandleSummary; processed: number };
        try {
          run = this.ledger.savepoint(() => this.runMessages(ctx, batch, at, false));
        } catch (error) {
          if (isStoreConflict(error)) throw error;
          log.rollbackTo(0);
          run = this.runMessages(ctx, batch, at, true);
        }
        const last = chain.kind === 'go' ? recordChain(this.ledger, ctx.terminal, batch, run.processed) : null;
        return { summary: run.summary, chain, last };
      }, ctx.terminal);
      log.flushTo(this.log);
      if (chain.kind === 'go') summary.response.chain = { accepted: true, last };
      if (chain.kind === 'refuse') {
        summary.refused = true;
        summary.response.chain = { accepted: false, last: chain.last };
      }
      return summary;
    } catch (error) {
      // BEGIN or COMMIT failed (e.g. the other host held the lock past busy_timeout):
      // nothing was applied, so no ok result may leave. The till retries the batch.
      if (isStoreUnreachable(error)) this.logUnreachable(error, batch.request_id, ctx.terminal);
      else this.log.error({ err: error, request_id: batch.request_id, terminal: ctx.terminal }, 'batch transaction failed');
      const first = batch.items[0];
      const id = first ? (first.ok ? first.message.id : first.id) : '';
      const summary: HandleSummary = {
        response: {
          v: UPSTREAM_VERSION, request_id: batch.request_id, at,
          results: [{ id, ok: false, error: { code: 'INTERNAL', message: 'host storage busy, retry', permanent: false } }],
        },
        applied: 0, duplicates: 0, failed: 1, refused: false,
      };
      if (batch.chain) summary.response.chain = { accepted: false, last: null };
      return summary;
    }
  }

  /**
   * PostgreSQL gone: every request of every till fails the same way until it is back (a fleet of
   * 300 tills: ~100 failed requests a second, each logged with its stack, flooded journald). The
   * outage itself is logged once by the ledger ('PostgreSQL unreachable'); here one line per
   * UNREACHABLE_LOG_EVERY_MS with how many were not logged, the others at debug.
   */
  private logUnreachable(error: unknown, requestId: string, terminal: string): void {
    // Not under `err`: the logger's error serializer would add a stack, which says nothing here.
    const err = { reason: (error as Error).message, code: (error as { code?: string }).code };
    const now = performance.now();
    if (now - this.unreachableLoggedAt < UNREACHABLE_LOG_EVERY_MS) {
      this.unreachableNotLogged++;
      this.log.debug({ ...err, request_id: requestId, terminal }, 'batch not applied: the store is unreachable');
      return;
    }
    this.log.warn({ ...err, request_id: requestId, terminal, not_logged_since: this.unreachableNotLogged },
      `batch not applied: the store is unreachable; the tills resend (one line per ${UNREACHABLE_LOG_EVERY_MS / 1000} s)`);
    this.unreachableLoggedAt = now;
    this.unreachableNotLogged = 0;
  }

  private emptySummary(batch: Batch, at: string): HandleSummary {
    return {
      response: { v: UPSTREAM_VERSION, request_id: batch.request_id, at, results: [] },
      applied: 0, duplicates: 0, failed: 0, refused: false,
    };
  }

  /** The batch's messages in order; unguarded, the first message that throws ends the run with its error. */
  private runMessages(ctx: BatchContext, batch: Batch, at: string, guarded: boolean): { summary: HandleSummary; processed: number } {
    const summary = this.emptySummary(batch, at);
    if (!guarded) {
      const keys = filterMapPacked(batch.items, (item) => item.ok && isDurable(item.message.op), (item) => {
        const { message } = item as Extract<BatchItem, { ok: true }>;
        return { message_id: message.id, op: message.op, txn_id: message.txn_id || null };
      });
      this.ledger.prefetchProcessed(ctx.terminal, keys);
    }
    let processed = 0;
    for (const item of batch.items) {
      const result = item.ok ? this.processMessage(ctx, item.message, summary, guarded) : badRequest(item.id, item.errors);
      summary.response.results.push(result);
      if (!result.ok) summary.failed++;
      if (!result.ok && !result.error.permanent) break;
      processed++;
    }
    return { summary, processed };
  }

  private processMessage(ctx: BatchContext, message: UpstreamMessage, summary: HandleSummary, guarded: boolean): UpstreamResult {
    const durable = isDurable(message.op);
    if (durable) {
      const stored = this.ledger.processedFor(ctx.terminal, message.id, message.op, message.txn_id || null);
      if (stored) {
        summary.duplicates++;
        this.log.debug(
          { terminal: ctx.terminal, op: message.op, txn_id: message.txn_id, message_id: message.id, first_message_id: stored.message_id },
          'duplicate message: returning the stored result',
        );
        return { id: message.id, ok: true, result: stored.result };
      }
    }
    const apply = () => {
      const value = runHandler(ctx, message);
      if (durable) {
        this.ledger.recordProcessed({ message_id: message.id, terminal: ctx.terminal, op: message.op, txn_id: message.txn_id, result: value });
      }
      return value;
    };
    if (!guarded) {
      const result = apply();
      if (durable) summary.applied++;
      return { id: message.id, ok: true, result };
    }
    const mark = ctx.log.mark();
    try {
      const result = this.ledger.savepoint(apply);
      if (durable) summary.applied++;
      return { id: message.id, ok: true, result };
    } catch (error) {
      ctx.log.rollbackTo(mark);
      return this.failure(ctx, message, error);
    }
  }

  private failure(ctx: OpContext, message: UpstreamMessage, error: unknown): UpstreamResult {
    // Not the message's fault: the whole batch runs again (PostgreSQL serialization conflict).
    if (isStoreConflict(error)) throw error;
    const where = { terminal: ctx.terminal, op: message.op, txn_id: message.txn_id, message_id: message.id };
    if (isAgentError(error)) {
      const permanent = !error.retryable;
      // A message may echo what the till sent (`unknown customer …`): a card number there is masked.
      const text = maskPansIn(error.message);
      // A money message refused for good is a dead letter at the till, which warns of it: so does the host
      // (refusalLevel). identify and preview refusals (an unknown card) and retryable ones stay at info.
      this.log[refusalLevel(message.op, permanent, 'info')]({ ...where, code: error.code, permanent }, `message rejected: ${text}`);
      return { id: message.id, ok: false, error: { code: error.code, message: text, permanent } };
    }
    this.log.error({ ...where, err: error }, 'message failed unexpectedly; rolled back, stopping this batch');
    return { id: message.id, ok: false, error: { code: 'INTERNAL', message: 'internal error', permanent: false } };
  }
}
