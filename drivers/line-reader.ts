// A reader device that turns a byte stream into lines (with @serialport/parser-readline) and
// each line into a scan or scan_error event through a pure parser. Line content is never
// logged: it can be a card number. Whatever the kind, every scan goes through the payment-card
// check last (payment-card.ts): a PAN read by a barcode scanner leaves only masked, too.
import { createRequire } from 'node:module';
import { findPaymentCard } from './payment-card.ts';
import { DeviceRunner, type Backoff } from './reconnect.ts';
import type { ByteLink, DeviceState, DriverLogger, Emit, Reader, ScanEvent, Transport } from './types.ts';

// The parser (and the stream code under it) is loaded when a reader first attaches: config.ts
// imports TERMINATORS at every start, also on a till without readers.
const requirePackage = createRequire(import.meta.url);

export const TERMINATORS = ['auto', 'cr', 'lf', 'crlf', 'tab'] as const;
/** `auto` accepts CR, LF and CRLF (CR is turned into LF and empty lines are dropped); `tab` is for keyboard wedges set to end with Tab. */
export type Terminator = (typeof TERMINATORS)[number];

export type LineParse =
  | { ok: true; scan: Omit<ScanEvent, 'device' | 'at'> }
  | { ok: false; reason: string };

export interface LineReaderOptions {
  name: string;
  kind: Reader['kind'];
  transport: Transport;
  emit: Emit;
  log: DriverLogger;
  parse: (line: string) => LineParse;
  terminator?: Terminator;
  /** A line longer than this is dropped with scan_error "too_long". */
  maxLineLength?: number;
  /** Bytes without a terminator for this long are a partial read: dropped with scan_error "incomplete_read". */
  idleFlushMs?: number;
  backoff?: Partial<Backoff>;
  connectTimeoutMs?: number;
  now?: () => Date;
}

export const DELIMITERS: Readonly<Record<Terminator, string>> = { auto: '\n', cr: '\r', lf: '\n', crlf: '\r\n', tab: '\t' };
/** A device's "cancel" (the evdev link sends it when the kernel dropped key events): the line is unreliable. */
const CANCEL = '\x18';
const CR = 0x0d;
const LF = 0x0a;

export class LineReader implements Reader {
  readonly name: string;
  readonly kind: Reader['kind'];
  private readonly runner: DeviceRunner;

  constructor(private readonly options: LineReaderOptions) {
    this.name = options.name;
    this.kind = options.kind;
    this.runner = new DeviceRunner({
      name: options.name,
      kind: options.kind,
      transport: options.transport,
      emit: options.emit,
      log: options.log,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      ...(options.now ? { now: options.now } : {}),
      onLink: (link) => this.attach(link),
    });
  }

  start(): void {
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  state(): DeviceState {
    return this.runner.state();
  }

  reason(): string | undefined {
    return this.runner.reason();
  }

  private at(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }

  private attach(link: ByteLink): void {
    const terminator = this.options.terminator ?? 'auto';
    const maxLength = this.options.maxLineLength ?? 4096;
    const idleMs = this.options.idleFlushMs ?? 1000;
    const { ReadlineParser } = requirePackage('@serialport/parser-readline') as typeof import('@serialport/parser-readline');
    // Lines come out as bytes, each decoded on its own and strictly: a decoder over the whole
    // stream would carry a broken sequence's first byte (line noise, a wrong baud rate) into the
    // next, good scan as U+FFFD; and bytes that are not UTF-8 are not what was scanned.
    const parser = new ReadlineParser({ delimiter: DELIMITERS[terminator], encoding: undefined });
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    let idle: NodeJS.Timeout | undefined;
    // The line being read was reported too_long: the rest of it, up to its terminator (or the
    // idle flush), is dropped too, silently. Its tail is not a scan, and one line is one error.
    let overlong = false;

    const drop = (reason: string, cause = 'no terminator within idle_flush_ms') => {
      const report = !overlong;
      if (report) this.options.log.warn({ device: this.name, reason, cause, bytes: parser.buffer.length }, 'partial read dropped');
      parser.buffer = Buffer.alloc(0);
      overlong = reason === 'too_long';
      if (report) this.options.emit('scan_error', { device: this.name, reason, at: this.at() });
    };
    parser.on('data', (bytes: Buffer) => {
      if (overlong) {
        overlong = false;
        return;
      }
      let line: string;
      try {
        line = utf8.decode(bytes);
      } catch {
        return this.unreadable('garbled'); // a wrong baud rate, parity or data bits; another character set
      }
      if (terminator === 'auto' && line === '') return;
      this.handle(line);
    });
    const offData = link.onData((chunk) => {
      const bytes = terminator === 'auto' ? chunk.map((b) => (b === CR ? LF : b)) : chunk;
      parser.write(bytes);
      if (parser.buffer.length > maxLength) drop('too_long');
      if (idle) clearTimeout(idle);
      idle = undefined;
      if ((parser.buffer.length > 0 || overlong) && idleMs > 0) {
        idle = setTimeout(() => {
          if (overlong) {
            this.options.log.debug({ device: this.name, bytes: parser.buffer.length }, 'rest of an overlong line dropped');
            parser.buffer = Buffer.alloc(0);
            overlong = false;
          } else if (parser.buffer.length > 0) drop('incomplete_read');
        }, idleMs);
      }
    });
    link.onClose((closed) => {
      offData();
      if (idle) clearTimeout(idle);
      // Unplugged mid-scan: the bytes already read are a partial read like an idle one, and the
      // POS hears of it (a scan_error, never the bytes) rather than the scan vanishing.
      if (closed.disconnected && parser.buffer.length > 0) drop('incomplete_read', 'device gone mid-read');
      parser.destroy();
    });
  }

  private handle(line: string): void {
    const result: LineParse = line.includes(CANCEL) ? { ok: false, reason: 'input_overflow' } : interpretLine(this.options.parse, line);
    if (!result.ok) return this.unreadable(result.reason);
    this.options.log.debug({ device: this.name, kind: result.scan.kind, symbology: result.scan.symbology }, 'scan');
    this.options.emit('scan', { device: this.name, ...result.scan, at: this.at() });
  }

  private unreadable(reason: string): void {
    this.options.log.info({ device: this.name, reason }, 'unreadable scan');
    this.options.emit('scan_error', { device: this.name, reason, at: this.at() });
  }
}

/** One line → one result, as every reader does it: the kind's parser, then the payment-card check. */
export function interpretLine(parse: (line: string) => LineParse, line: string): LineParse {
  try {
    return guardPaymentCard(parse(line));
  } catch {
    // Parsers are pure and should not throw; if one does, its message may hold data: drop it.
    return { ok: false, reason: 'parser_failed' };
  }
}

/** The last step for every reader: payment-card data in a scan becomes `payment_card` with the mask. */
export function guardPaymentCard(result: LineParse): LineParse {
  if (!result.ok || result.scan.kind === 'payment_card' || result.scan.data === undefined) return result;
  const card = findPaymentCard(result.scan.data, result.scan.symbology);
  if (card.found === 'payment_card') return { ok: true, scan: { kind: 'payment_card', masked: card.masked } };
  if (card.found === 'misread') return { ok: false, reason: 'invalid_card' };
  return result;
}
