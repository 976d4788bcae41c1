// What a platform connector implements: one async call per till op. The host's front
// (remote-backend.ts) does the rest: dedup, order, recording results, error policy.
import type { TillIdentity, UpstreamMessage, UpstreamOp } from '../../protocol/upstream.ts';
import type { BackendName, OpCheck, PlatformCheck } from '../backend.ts';

export interface OpContext {
  source: TillIdentity;
  /** merchant/store/terminal */
  terminal: string;
  /** The platform idempotency key of this message's operation (request-id.ts): same operation, same id. */
  requestId: string;
  /** The result the host recorded for this till's (op, txn_id), e.g. the redemption a reinstate names. */
  recorded(op: string, txnId: string): Record<string, unknown> | undefined;
}

export interface Connector {
  readonly name: BackendName;
  /** Ops the platform does not offer, with the reason (answered UNSUPPORTED, permanent). */
  readonly unsupported: Partial<Record<UpstreamOp, string>>;
  /** Throws a PlatformError or an AgentError; anything else is a bug (INTERNAL, retryable). */
  execute(message: UpstreamMessage, ctx: OpContext): Promise<Record<string, unknown>>;
  /**
   * Takes products out of the platform's catalogue (a full catalogue sync no longer lists them).
   * Must be idempotent: it is called again if the host dies before recording the sync's last
   * batch. Without it, a full sync is only upserted there (`deleted: 0`).
   */
  retireProducts?(skus: readonly string[], ctx: OpContext): Promise<void>;
  /** For --check-backend: the supported ops' reachability (a harmless call each where one exists). */
  checkOps(): Promise<OpCheck[]>;
  doctor(): Promise<PlatformCheck[]>;
  stop(): Promise<void>;
}
