// Pure decoding of ESC/POS real-time status bytes (DLE EOT n). Every status byte has the fixed
// bit pattern 0xx1xx10 (bits 1 and 4 set, bits 0 and 7 clear), which tells it apart from other
// bytes a printer may send.
//
//   n=1 printer:  bit 2 drawer connector pin 3 HIGH, bit 3 offline
//   n=2 offline:  bit 2 cover open, bit 3 feed button, bit 5 stopped by paper end, bit 6 error
//   n=3 error:    bit 3 autocutter error, bit 5 unrecoverable, bit 6 auto-recoverable
//   n=4 paper:    bits 2+3 roll near end, bits 5+6 roll end
//
// Other answers a printer sends on the same stream (ReplyParser tells them apart):
//   GS r 1 paper sensor status, 0xx0xx00: answered in order, after everything before it was
//          processed, so its arrival confirms that a job was printed (as receiptline/receiptio
//          end a job). Bits 0+1 roll near end, bits 2+3 roll end.
//   Automatic Status Back (when the printer has it on): 4 bytes, the first 0xx1xx00, the
//          other three 0xx0xxxx; skipped whole so its bytes are never taken for a GS r answer.
import type { PrinterStatus } from './types.ts';

export type StatusBytes = Partial<Record<1 | 2 | 3 | 4, number>>;

export function isStatusByte(b: number): boolean {
  return (b & 0x93) === 0x12;
}

const bit = (b: number | undefined, mask: number) => b !== undefined && (b & mask) !== 0;

/**
 * Combine the answers to DLE EOT 1/2/3/4 (any subset) into one status. `drawer_open` reports
 * pin 3 HIGH, which is "open" for most drawers; inverted switches exist, so treat it as a hint.
 */
export function decodeStatus(bytes: StatusBytes): PrinterStatus {
  const [s1, s2, s3, s4] = [bytes[1], bytes[2], bytes[3], bytes[4]];
  const status: PrinterStatus = {
    online: s1 === undefined ? true : !bit(s1, 0x08),
    cover_open: bit(s2, 0x04),
    paper_out: bit(s2, 0x20) || (s4 !== undefined && (s4 & 0x60) === 0x60),
    paper_near_end: s4 !== undefined && (s4 & 0x0c) === 0x0c,
  };
  if (s1 !== undefined) status.drawer_open = bit(s1, 0x04);
  if (s2 !== undefined || s3 !== undefined) status.error = bit(s2, 0x40) || bit(s3, 0x08 | 0x20 | 0x40);
  return status;
}

export type StatusProblem = 'offline' | 'cover_open' | 'paper_out' | 'mechanical_error';

/** Why a job cannot print with this status, most specific first; null when it can. */
export function statusProblem(status: PrinterStatus): StatusProblem | null {
  if (status.cover_open) return 'cover_open';
  if (status.paper_out) return 'paper_out';
  if (status.error) return 'mechanical_error';
  if (!status.online) return 'offline';
  return null;
}

/** Conditions worth telling the POS about that do not stop a job. */
export function statusWarnings(status: PrinterStatus): string[] {
  return status.paper_near_end ? ['paper_near_end'] : [];
}

/** Status bytes a healthy printer, or one with a given problem, answers (for virtual printers and tests). */
export function statusBytesFor(condition: 'ok' | 'paper_out' | 'paper_near_end' | 'cover_open' | 'offline'): Required<StatusBytes> {
  switch (condition) {
    case 'ok': return { 1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12 };
    case 'paper_near_end': return { 1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1e };
    case 'paper_out': return { 1: 0x1a, 2: 0x32, 3: 0x12, 4: 0x7e };
    case 'cover_open': return { 1: 0x1a, 2: 0x16, 3: 0x12, 4: 0x12 };
    case 'offline': return { 1: 0x1a, 2: 0x12, 3: 0x12, 4: 0x12 };
  }
}

/** A GS r 1 answer (bits 4 and 7 clear). */
export function isProcessedReply(b: number): boolean {
  return (b & 0x90) === 0;
}

export type Reply =
  | { type: 'status'; byte: number }
  | { type: 'processed'; byte: number }
  | { type: 'asb'; bytes: number[] }
  | { type: 'noise'; byte: number };

/**
 * Splits what a printer sends into DLE EOT answers, GS r answers and Automatic Status Back
 * blocks. Keeps state across chunks (an ASB block may arrive split). Bytes that fit no pattern
 * (line noise, a misconfigured baud rate) come out as `noise`.
 */
export class ReplyParser {
  private asb: number[] | undefined;

  feed(chunk: Uint8Array): Reply[] {
    const out: Reply[] = [];
    for (const b of chunk) {
      if (this.asb) {
        if ((b & 0x90) === 0) {
          this.asb.push(b);
          if (this.asb.length === 4) { out.push({ type: 'asb', bytes: this.asb }); this.asb = undefined; }
          continue;
        }
        for (const n of this.asb) out.push({ type: 'noise', byte: n }); // not an ASB block after all
        this.asb = undefined;
      }
      if (isStatusByte(b)) out.push({ type: 'status', byte: b });
      else if ((b & 0x93) === 0x10) this.asb = [b];
      else if (isProcessedReply(b)) out.push({ type: 'processed', byte: b });
      else out.push({ type: 'noise', byte: b });
    }
    return out;
  }
}

/** Warnings carried by a GS r 1 answer (the roll near-end sensor at the end of the job). */
export function processedWarnings(b: number): string[] {
  return (b & 0x03) !== 0 ? ['paper_near_end'] : [];
}
