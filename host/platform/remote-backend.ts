// The host's front for a platform backend (CRM.COM, SessionM). Same rules as service.ts for the
// ledger, adapted to a remote store of record that answers asynchronously:
//
//   for each message, in order:
//     durable op already recorded for this till (message id, then op + txn_id) → stored result
//     op not offered by the platform → UNSUPPORTED (permanent)
//     connector.execute (platform request id derived from the operation: request-id.ts)
//     durable op → result recorded in <data_dir>/host.db in its own short transaction
//     permanent error → answered, next message; retryable → answered, batch stops
//
// The ledger's single BEGIN IMMEDIATE per request cannot span HTTP calls (it would hold the
// write lock across the fleet for seconds). Exactly once instead rests on the platform request
// id, derived from the operation (till, op, txn_id): a message the host applied but did not
// record (crash, timeout) is resent by the till, or repeated by the POS under a new message id,
// and the platform returns its first answer instead of applying it again.
import { isAgentError } from '../../protocol/errors.ts';
import {
  DURABLE_OPS, UPSTREAM_OPS, UPSTREAM_VERSION, type UpstreamMessage, type UpstreamResult,
} from '../../protocol/upstream.ts';
import { unsupportedError, type Backend, type OpCheck, type PlatformCheck } from '../backend.ts';
import type { Ledger } from '../ledger.ts';
import type { Logger } from '../../runtime/log.ts';
import type { Batch, HandleSummary } from '../batch.ts';
import { badRequest } from '../request.ts';
import { terminalKey } from '../service.ts';
import type { Connector, OpContext } from './connector.ts';
import { isPlatformError, toAgentError } from './errors.ts';
import { refusalLevel } from '../refusal-level.ts';
import { productsToRetire, stageCatalogue } from './catalogue.ts';
import { operationRequestId } from './request-id.ts';

const isDurable = (op: string) => (DURABLE_OPS as readonly string[]).includes(op);

export class RemoteBackend implements Backend {
  readonly name;
  readonly unsupported;
  /**
   * The ops the platform does not offer, told to tills in identify and preview answers: a till refuses
   * the durable ones before committing them, and passes the list on to its POS, which hides their
   * buttons (CRM.COM's offers, lock and unlock too: they were left out, so a POS offered them).
   */
  private readonly unsupportedOps: string[];

  constructor(private readonly ledger: Ledger, private readonly connector: Connector, private readonly log: Logger) {
    this.name = connector.name;
    this.unsupported = connector.unsupported;
    this.unsupportedOps = UPSTREAM_OPS.filter((op) => connector.unsupported[op] !== undefined);
  }

  async handle(batch: Batch): Promise<HandleSummary> {
    const summary: HandleSummary = {
      response: { v: UPSTREAM_VERSION, request_id: batch.request_id, results: [] },
      applied: 0, duplicates: 0, failed: 0,
    };
    const terminal = terminalKey(batch.source);
    for (const item of batch.items) {
      const result = item.ok
        ? await this.processMessage(item.message, {
          source: batch.source, terminal, requestId: operationRequestId(terminal, item.message),
          recorded: (op, txnId) => this.ledger.processedByTxn(terminal, op, txnId)?.result,
        }, summary)
        : badRequest(item.id, item.errors);
      summary.response.results.push(result);
      if (!result.ok) summary.failed++;
      if (!result.ok && !result.error.permanent) break;
    }
    return summary;
  }

  private stored(terminal: string, message: UpstreamMessage) {
    return this.ledger.processedByMessage(terminal, message.id)
      ?? (message.txn_id ? this.ledger.processedByTxn(terminal, message.op, message.txn_id) : undefined);
  }

  private async processMessage(message: UpstreamMessage, ctx: OpContext, summary: HandleSummary): Promise<UpstreamResult> {
    const durable = isDurable(message.op);
    const where = { backend: this.name, terminal: ctx.terminal, op: message.op, txn_id: message.txn_id, message_id: message.id };
    try {
      if (durable) {
        const stored = this.stored(ctx.terminal, message);
        if (stored) {
          summary.duplicates++;
          this.log.debug({ ...where, first_message_id: stored.message_id }, 'duplicate message: returning the stored result');
          return { id: message.id, ok: true, result: stored.result };
        }
      }
      const reason = this.unsupported[message.op];
      if (reason !== undefined) throw unsupportedError(this.name, message.op, reason);
      const result = await this.connector.execute(message, ctx);
      const catalogue = message.op === 'products.sync' && this.connector.retireProducts !== undefined;
      if (catalogue) {
        // A full sync's last batch: what the catalogue no longer lists is retired at the platform
        // before the batch is recorded (platform/catalogue.ts).
        const retire = productsToRetire(this.ledger, ctx.terminal, message);
        if (retire.length > 0) {
          await this.connector.retireProducts!(retire, ctx);
          this.log.info({ ...where, sync_id: message.payload.sync?.id, retired: retire.length }, 'full catalogue sync: products retired at the platform');
        }
      }
      if (durable) {
        const recorded = this.record(ctx.terminal, message, result, catalogue);
        if (recorded !== result) summary.duplicates++;
        else summary.applied++;
        return { id: message.id, ok: true, result: recorded };
      }
      // The till learns from these reads which durable ops to refuse before committing them (agent/upstream/host-ops.ts).
      if ((message.op === 'identify' || message.op === 'preview') && this.unsupportedOps.length > 0) {
        return { id: message.id, ok: true, result: { ...result, unsupported_ops: this.unsupportedOps } };
      }
      return { id: message.id, ok: true, result };
    } catch (error) {
      return this.failure(where, message, error);
    }
  }

  /**
   * Records a durable result; returns it, or the result another host process recorded first
   * for the same message (both came from the same platform request id, so they agree).
   */
  private record(terminal: string, message: UpstreamMessage, result: Record<string, unknown>, catalogue = false): Record<string, unknown> {
    return this.ledger.immediate(() => {
      const stored = this.stored(terminal, message);
      if (stored) return stored.result;
      // The catalogue is staged with the record, in one transaction: a resent batch never counts twice.
      const full = catalogue && message.op === 'products.sync' ? stageCatalogue(this.ledger, terminal, message) : {};
      const final = { ...result, ...full };
      this.ledger.recordProcessed({ message_id: message.id, terminal, op: message.op, txn_id: message.txn_id, result: final });
      return final;
    });
  }

  private failure(where: Record<string, unknown>, message: UpstreamMessage, error: unknown): UpstreamResult {
    const agentError = isPlatformError(error) ? toAgentError(error) : isAgentError(error) ? error : undefined;
    if (agentError) {
      const permanent = !agentError.retryable;
      const kind = isPlatformError(error) ? error.kind : undefined;
      this.log[refusalLevel(message.op, permanent, 'warn')]({ ...where, code: agentError.code, permanent, ...(kind ? { failure: kind } : {}) },
        `message ${permanent ? 'rejected' : 'not applied, retryable'}: ${agentError.message}`);
      return { id: message.id, ok: false, error: { code: agentError.code, message: agentError.message, permanent } };
    }
    this.log.error({ ...where, err: error }, 'message failed unexpectedly; stopping this batch');
    return { id: message.id, ok: false, error: { code: 'INTERNAL', message: 'internal error', permanent: false } };
  }

  checkOps(): Promise<OpCheck[]> {
    return this.connector.checkOps();
  }

  doctor(): Promise<PlatformCheck[]> {
    return this.connector.doctor();
  }

  stop(): Promise<void> {
    return this.connector.stop();
  }
}
