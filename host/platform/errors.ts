// What can go wrong when the host calls a loyalty platform, and what the till is told.
//
//   transient (network, timeout, 5xx, 429, garbled answer, breaker open, auth still refused
//   after one renewal)  → UPSTREAM_UNAVAILABLE / UPSTREAM_TIMEOUT, permanent: false: the till
//                          keeps the message pending and resends it with the same id, which
//                          the platform sees as the same request id (idempotent there too)
//   rejected (400, validation) → REJECTED_UPSTREAM, permanent: the till dead-letters it with
//                          the platform's message
//   not_found              → NOT_FOUND, permanent
import { AgentError } from '../../protocol/errors.ts';

export const FAILURE_KINDS = [
  'network', 'timeout', 'server', 'throttled', 'auth', 'bad_response', 'breaker_open', 'rejected', 'not_found',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

const TRANSIENT: ReadonlySet<FailureKind> = new Set(['network', 'timeout', 'server', 'throttled', 'bad_response']);

export class PlatformError extends Error {
  constructor(
    readonly platform: string,
    readonly kind: FailureKind,
    message: string,
    readonly detail: { status?: number; retryAfterMs?: number; platformCode?: string } = {},
  ) {
    super(message);
    this.name = 'PlatformError';
  }

  /** Worth another attempt within this request (the breaker counts these). */
  get transient(): boolean {
    return TRANSIENT.has(this.kind);
  }
}

export function isPlatformError(error: unknown): error is PlatformError {
  return error instanceof PlatformError;
}

/** The platform answered no (a refusal, or nothing found): an answer about the request, not a failure to reach it. */
export function isRefusal(error: unknown): error is PlatformError {
  return error instanceof PlatformError && (error.kind === 'rejected' || error.kind === 'not_found');
}

/** The error the till gets. Messages carry the platform's words, never credentials or identifiers. */
export function toAgentError(error: PlatformError): AgentError {
  const where = `${error.platform}: ${error.message}`;
  switch (error.kind) {
    case 'timeout':
      return new AgentError('UPSTREAM_TIMEOUT', `${where} (the message stays pending and is sent again)`, true);
    case 'rejected':
      return new AgentError('REJECTED_UPSTREAM', where, false);
    case 'not_found':
      return new AgentError('NOT_FOUND', where, false);
    default:
      return new AgentError('UPSTREAM_UNAVAILABLE', `${where} (the message stays pending and is sent again)`, true);
  }
}
