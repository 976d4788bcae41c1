// Where the host's answers come from. One small interface, one implementation per platform:
//
//   consumer ──batch──▶ Backend.handle ──▶ ledger      (host/ledger-backend/: own SQLite ledger)
//                                     └──▶ crmcom      (host/crmcom/: CRM.COM Rewards Web API v2)
//                                     └──▶ sessionm    (host/sessionm/: SessionM POS API)
//
// Every backend keeps the host's dedup (per till, by message id then by op + txn_id), the order
// of a till's messages and the stop-at-the-first-retryable-failure rule in front of the
// platform; an op a platform does not offer is answered UNSUPPORTED (permanent).
import { AgentError } from '../protocol/errors.ts';
import type { UpstreamOp } from '../protocol/upstream.ts';
import type { Batch, HandleSummary } from './batch.ts';

export const BACKENDS = ['ledger', 'crmcom', 'sessionm'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** One operation's line in `till-agent host --check-backend`. */
export interface OpCheck {
  op: string;
  ok: boolean;
  /** What was checked, or why the op cannot be served. */
  detail: string;
}

/** One line of the host doctor's platform section (auth, a cheap call, clock skew). */
export interface PlatformCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Backend {
  readonly name: BackendName;
  /** Ops the platform does not offer, each with the reason given in the UNSUPPORTED error. */
  readonly unsupported: Partial<Record<UpstreamOp, string>>;
  /** One request from one till: results in message order (see host/service.ts for the rules). */
  handle(batch: Batch): Promise<HandleSummary>;
  /** Per-op support and reachability, for --check-backend. */
  checkOps(): Promise<OpCheck[]>;
  /** Auth, one cheap call, clock skew: for the host doctor. */
  doctor(): Promise<PlatformCheck[]>;
  stop(): Promise<void>;
}

export function unsupportedError(backend: BackendName, op: string, reason: string): AgentError {
  return new AgentError('UNSUPPORTED', `${op} is not offered by the ${backend} backend: ${reason}`, false);
}
