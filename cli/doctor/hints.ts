// What a technician should do about a printer problem, shared by `doctor` and `print-test`.
// Keys are the drivers' reasons (drivers/README.md, "Printer errors") and error codes.
import type { PrinterErrorReason } from '../../drivers/errors.ts';

const PRINTER_HINTS: Readonly<Record<PrinterErrorReason | 'paper_near_end', string>> = {
  paper_out: 'load a paper roll (and check the roll sensor), then try again',
  paper_near_end: 'the roll is nearly empty: replace it soon',
  cover_open: 'close the printer cover until it clicks',
  offline: 'the printer reports offline: check power, the error light, paper and cover',
  mechanical_error: 'cutter or mechanism error: clear any jammed paper, power the printer off and on',
  not_responding: 'the printer does not answer status requests: check it speaks ESC/POS on this port, or set status: false in its config',
  write_failed: 'check the cable or network connection to the printer',
  waited_too_long: 'the printer did not come back within queue_timeout_ms: check power and cable',
  queue_full: 'too many jobs are waiting: check the printer, then till-agent status',
  stopped: 'the agent is stopping; run the test again once it is up',
  not_ready: 'the device is not connected: check its cable and power, then till-agent status',
};

// Why a job is uncertain (interrupted after its first byte; drivers/types.ts UncertainReason).
const UNCERTAIN_HINTS: Readonly<Record<string, string>> = {
  link_lost: 'the connection dropped mid-print: check the cable or network, then look at the paper',
  write_timeout: 'the printer stopped taking data: check paper and cover, then look at the paper',
  not_confirmed: 'the printer did not confirm the job (GS r): if this printer never does, set confirm: false in its config',
  agent_restarted: 'the agent stopped while printing: look at the paper',
};

const CODE_HINTS: Readonly<Record<string, string>> = {
  ...UNCERTAIN_HINTS,
  PRINT_TIMEOUT: PRINTER_HINTS.waited_too_long,
  DEVICE_UNAVAILABLE: 'no printer configured, or it is not ready: till-agent status lists the devices',
  NOT_FOUND: 'no printer with that name: till-agent status lists the configured devices',
};

export function printerHint(reasonOrCode: string | undefined): string | undefined {
  if (!reasonOrCode) return undefined;
  return (PRINTER_HINTS as Readonly<Record<string, string>>)[reasonOrCode] ?? CODE_HINTS[reasonOrCode];
}

/** The reason a PRINTER_ERROR message ends with: "printer0: paper out (paper_out)" → "paper_out". */
export function reasonOf(message: string): string | undefined {
  return /\(([a-z_]+)\)\s*$/.exec(message)?.[1];
}
