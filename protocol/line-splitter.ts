// Newline framing (NDJSON) for the local socket, the command line's session with the agent and
// the demo's scans on stdin: Buffer chunks in, complete UTF-8 lines out.
// Lines are decoded only once complete, so a multi-byte character split across two
// chunks is never mangled. Memory is bounded: at most maxLineBytes + 1 bytes are ever
// held for the unfinished line; past that the splitter reports "too large" and stops.
// A line that is not valid UTF-8 comes out as NOT_UTF8, never with its bad bytes replaced by
// U+FFFD (a CP1252 "Café" would print as "Caf?"). A UTF-8 byte order mark at the very start of
// the stream (a .NET writer with Encoding.UTF8 sends one) is dropped; anywhere else it stays.
import { isUtf8 } from 'node:buffer';

const LF = 0x0a;
const CR = 0x0d;

/** Stands for a complete line whose bytes are not UTF-8. */
export const NOT_UTF8: unique symbol = Symbol('not UTF-8');

export interface SplitResult {
  /** Complete lines, in order, without "\n" or "\r\n"; empty lines are left out. */
  lines: Array<string | typeof NOT_UTF8>;
  /** A line (complete or still pending) exceeded maxLineBytes: the caller should close the connection. */
  tooLarge: boolean;
}

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failed = false;
  /** No line completed yet: the next one starts the stream and may begin with a byte order mark. */
  private first = true;

  /** maxLineBytes counts a line's bytes without its terminator ("\n" or "\r\n"). */
  constructor(readonly maxLineBytes: number) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new TypeError(`maxLineBytes must be a positive integer, got ${String(maxLineBytes)}`);
    }
  }

  /** Bytes held for the unfinished line (for tests and diagnostics). */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Once a line was too large the splitter stays failed and ignores further input. */
  get isFailed(): boolean {
    return this.failed;
  }

  push(chunk: Buffer): SplitResult {
    const lines: Array<string | typeof NOT_UTF8> = [];
    if (this.failed) return { lines, tooLarge: true };

    // One check of the whole chunk (SIMD, no copy) vouches for every line that lies wholly inside it:
    // a line ends before a "\n", which is never part of a multi-byte character. A chunk that fails it
    // (a bad byte, or only a character cut at its end) has each of its lines checked alone.
    const utf8 = isUtf8(chunk);
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(LF, start);
      if (newline === -1) break;
      // A whole line in this chunk (the usual case) is decoded in place, without a Buffer view of it.
      const line = this.pendingBytes === 0 ? this.within(chunk, start, newline, utf8) : this.take(chunk.subarray(start, newline));
      start = newline + 1;
      if (line === null) return this.fail(lines);
      if (line !== '') lines.push(line);
    }

    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      // One byte over the limit is still fine if it is the "\r" of a coming "\r\n".
      const total = this.pendingBytes + rest.length;
      const over = total - this.maxLineBytes;
      if (over > 1 || (over === 1 && rest[rest.length - 1] !== CR)) return this.fail(lines);
      // Copy: a small tail must not keep a large socket chunk alive.
      this.pending.push(Buffer.from(rest));
      this.pendingBytes += rest.length;
    }
    return { lines, tooLarge: false };
  }

  /** End of input: the unfinished line, if any, counts as a last line. */
  end(): SplitResult {
    if (this.failed) return { lines: [], tooLarge: true };
    if (this.pendingBytes === 0) return { lines: [], tooLarge: false };
    const line = this.take(Buffer.alloc(0));
    if (line === null) return this.fail([]);
    return { lines: line === '' ? [] : [line], tooLarge: false };
  }

  /** take() of chunk[start, end) with nothing pending; `utf8`: the whole chunk is UTF-8. */
  private within(chunk: Buffer, start: number, end: number, utf8: boolean): string | typeof NOT_UTF8 | null {
    if (end > start && chunk[end - 1] === CR) end--;
    if (end - start > this.maxLineBytes) return null;
    if (this.first) {
      this.first = false;
      if (startsWithBom(chunk, start, end)) start += 3;
    }
    if (!utf8 && !isUtf8(chunk.subarray(start, end))) return NOT_UTF8;
    return chunk.toString('utf8', start, end);
  }

  /** Completes the pending line with `last`; null when the line is too large. */
  private take(last: Buffer): string | typeof NOT_UTF8 | null {
    let bytes = this.pendingBytes === 0 ? last : Buffer.concat([...this.pending, last]);
    this.pending = [];
    this.pendingBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > this.maxLineBytes) return null;
    if (this.first) {
      this.first = false;
      if (startsWithBom(bytes, 0, bytes.length)) bytes = bytes.subarray(3);
    }
    return isUtf8(bytes) ? bytes.toString('utf8') : NOT_UTF8;
  }

  private fail(lines: Array<string | typeof NOT_UTF8>): SplitResult {
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
    return { lines, tooLarge: true };
  }
}

/** The UTF-8 byte order mark, EF BB BF, at bytes[start, end). */
function startsWithBom(bytes: Buffer, start: number, end: number): boolean {
  return end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf;
}
