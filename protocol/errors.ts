// Stable error codes shared by the local socket protocol and the upstream protocol.
// The list is closed: adding a code is a protocol change and goes into LOCAL.md.

export const ERROR_CODES = [
  'BAD_FRAME',
  'FRAME_TOO_LARGE',
  'BAD_REQUEST',
  'UNKNOWN_OP',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'CONFLICT',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_BAD_ANSWER',
  'OFFLINE_SPEND_DECLINED',
  'SALE_NOT_FOUND',
  'SALE_VOIDED',
  'OFFLINE_LIMIT_REACHED',
  'OFFLINE_TOO_LONG',
  'STORAGE_FULL',
  'DEVICE_UNAVAILABLE',
  'PRINTER_ERROR',
  'PRINT_TIMEOUT',
  'SCALE_UNSTABLE',
  'SCALE_OVERLOAD',
  'SCALE_NEGATIVE',
  'SCALE_ZERO',
  'SCALE_NO_ANSWER',
  'TOO_MANY_CONNECTIONS',
  'SHUTTING_DOWN',
  'REJECTED_UPSTREAM',
  'UNSUPPORTED',
  'OFFER_LOCKED',
  'OFFER_UNAVAILABLE',
  'VOUCHER_REDEEMED',
  'VOUCHER_VOIDED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Whether a client may retry the same request later and expect a different outcome. */
export const RETRYABLE: Readonly<Record<ErrorCode, boolean>> = {
  BAD_FRAME: false,
  FRAME_TOO_LARGE: false,
  BAD_REQUEST: false,
  UNKNOWN_OP: false,
  UNAUTHORIZED: false,
  NOT_FOUND: false,
  CONFLICT: false,
  UPSTREAM_UNAVAILABLE: true,
  UPSTREAM_TIMEOUT: true,
  // The host applied the request; a repeat reads the same stored answer.
  UPSTREAM_BAD_ANSWER: false,
  OFFLINE_SPEND_DECLINED: false,
  SALE_NOT_FOUND: false,
  SALE_VOIDED: false,
  // Both clear once the link is back (the spend is then decided by the host).
  OFFLINE_LIMIT_REACHED: true,
  OFFLINE_TOO_LONG: true,
  STORAGE_FULL: true,
  DEVICE_UNAVAILABLE: true,
  PRINTER_ERROR: true,
  PRINT_TIMEOUT: true,
  SCALE_UNSTABLE: true,
  SCALE_OVERLOAD: true,
  SCALE_NEGATIVE: true,
  SCALE_ZERO: true,
  SCALE_NO_ANSWER: true,
  TOO_MANY_CONNECTIONS: true,
  SHUTTING_DOWN: true,
  REJECTED_UPSTREAM: false,
  UNSUPPORTED: false,
  // Another sale holds the offer: free again after its unlock, award or TTL.
  OFFER_LOCKED: true,
  OFFER_UNAVAILABLE: false,
  VOUCHER_REDEEMED: false,
  VOUCHER_VOIDED: false,
  INTERNAL: true,
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

export class AgentError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, retryable: boolean = RETRYABLE[code]) {
    super(message);
    this.name = 'AgentError';
    this.code = code;
    this.retryable = retryable;
  }
}

export function isAgentError(error: unknown): error is AgentError {
  return error instanceof AgentError;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  retryable: boolean;
}

export function errorBody(error: unknown): ErrorBody {
  if (isAgentError(error)) return { code: error.code, message: error.message, retryable: error.retryable };
  return { code: 'INTERNAL', message: 'internal error', retryable: true };
}
