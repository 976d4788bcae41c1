// Driver errors carry a stable code (the agent maps them onto protocol error codes) and a
// machine-readable reason. Messages never contain device data (track data, barcodes).

export const DRIVER_ERROR_CODES = [
  'PRINTER_ERROR', 'PRINT_TIMEOUT', 'DEVICE_UNAVAILABLE',
  'SCALE_UNSTABLE', 'SCALE_OVERLOAD', 'SCALE_NEGATIVE', 'SCALE_ZERO', 'SCALE_NO_ANSWER',
] as const;
export type DriverErrorCode = (typeof DRIVER_ERROR_CODES)[number];

/**
 * Reasons, by code:
 * - PRINTER_ERROR: paper_out | cover_open | offline | not_responding | mechanical_error | write_failed
 * - PRINT_TIMEOUT: waited_too_long (the printer did not come back in time)
 * - DEVICE_UNAVAILABLE: queue_full | stopped | not_ready (a scale that is not connected) | write_failed (displays)
 * - SCALE_UNSTABLE: in_motion (no stable weight within the time asked)
 * - SCALE_OVERLOAD: over_capacity; SCALE_NEGATIVE: under_zero; SCALE_ZERO: zero_weight | zero_error
 * - SCALE_NO_ANSWER: no_answer (nothing, or nothing readable, came back)
 */
export type PrinterErrorReason =
  | 'paper_out' | 'cover_open' | 'offline' | 'not_responding' | 'mechanical_error' | 'write_failed'
  | 'waited_too_long'
  | 'queue_full' | 'stopped' | 'not_ready';
export type ScaleErrorReason = 'not_ready' | 'in_motion' | 'over_capacity' | 'under_zero' | 'zero_weight' | 'zero_error' | 'no_answer';
export type DriverErrorReason = PrinterErrorReason | ScaleErrorReason;

const RETRYABLE: Readonly<Record<DriverErrorCode, boolean>> = {
  PRINTER_ERROR: true,
  PRINT_TIMEOUT: true,
  DEVICE_UNAVAILABLE: true,
  SCALE_UNSTABLE: true,
  SCALE_OVERLOAD: true,
  SCALE_NEGATIVE: true,
  SCALE_ZERO: true,
  SCALE_NO_ANSWER: true,
};

export class DriverError extends Error {
  readonly code: DriverErrorCode;
  readonly reason: DriverErrorReason;
  readonly retryable: boolean;
  readonly device: string;

  constructor(code: DriverErrorCode, reason: DriverErrorReason, device: string, message: string) {
    super(message);
    this.name = 'DriverError';
    this.code = code;
    this.reason = reason;
    this.device = device;
    this.retryable = RETRYABLE[code];
  }
}

export function isDriverError(error: unknown): error is DriverError {
  return error instanceof DriverError;
}

/** A short, data-free description of an unknown error for device events and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
