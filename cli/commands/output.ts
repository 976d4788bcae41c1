// What the operator commands print goes to a technician's terminal, and much of it comes from
// stored or received data (a txn_id, a scanned barcode, a USB device's name, a host's error
// message). A control character in it must never reach the terminal raw: ESC[2J clears the
// screen, OSC sequences retitle the window or worse, CR and bidi overrides disguise a line.
// Such characters are shown as \uXXXX escapes, which are also valid inside JSON strings.

import { Writable } from 'node:stream';

// C0 (but not \n), DEL, C1, Arabic letter mark, LRM/RLM, line/paragraph separators,
// bidi embeddings/overrides and isolates.
const UNSAFE_KEEP_NL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A value shown inside one line (a field of a table row): every control character escaped, \n too. */
export function field(value: unknown): string {
  return String(value ?? '').replace(UNSAFE, escape);
}

/** Text for the terminal: line breaks kept, every other control character escaped. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE_KEEP_NL, escape);
}

/** JSON for the terminal or a pipe: JSON.stringify escapes C0 but not DEL, C1 or bidi controls. */
export function safeJson(value: unknown, indent?: number): string {
  return terminalSafe(JSON.stringify(value, null, indent));
}

export function print(text: string): void {
  process.stdout.write(terminalSafe(text));
}

/**
 * Resolves once everything printed so far has left the process: stdout to a pipe is written
 * asynchronously, and a command that exits right after a large output would cut it short.
 */
export function flushStdout(): Promise<void> {
  const out = process.stdout;
  if (out.writableLength === 0) return Promise.resolve();
  // Through the stream's own write: a caller may have replaced process.stdout.write (tests capture output so).
  return new Promise((resolve) => Writable.prototype.write.call(out, '', 'utf8', () => resolve()));
}

export function printError(text: string): void {
  process.stderr.write(terminalSafe(text));
}
