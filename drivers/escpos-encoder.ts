// Pure ESC/POS command encoding (Epson TM family, followed by most clones).
//
// Why not the `escpos` package (2.5.2) for this: its Printer is bound to its own adapters and a
// callback flush; `encode()` changes the iconv encoding without telling the printer (no ESC t),
// so any non-ASCII text prints as garbage; `qrcode()` emits GS Z / ESC Z instead of the standard
// GS ( k; its CODE128 sends GS k 73 without the code-set selector "{B"; `cashdraw()` omits the
// t1 t2 bytes of ESC p. Its command constants match ours where they overlap and a test checks that.
import { codePage, encodeText, type CodePage } from './code-pages.ts';

const ESC = 0x1b;
const GS = 0x1d;
const DLE = 0x10;
const EOT = 0x04;
const LF = 0x0a;

export type Align = 'left' | 'center' | 'right';
export type QrErrorLevel = 'L' | 'M' | 'Q' | 'H';
export const QR_LEVELS: readonly QrErrorLevel[] = ['L', 'M', 'Q', 'H'];

export interface BarcodeOptions {
  /** Height in dots (1–255). */
  height?: number;
  /** Module width in dots (2–6). */
  moduleWidth?: number;
  /** Human-readable text: none, above, below. */
  hri?: 'none' | 'above' | 'below';
}

export interface QrOptions {
  /** Module size in dots (1–16). */
  size?: number;
  level?: QrErrorLevel;
}

const ALIGN: Readonly<Record<Align, number>> = { left: 0, center: 1, right: 2 };
const HRI = { none: 0, above: 1, below: 2 } as const;
const QR_LEVEL: Readonly<Record<QrErrorLevel, number>> = { L: 48, M: 49, Q: 50, H: 51 };
const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(n)));

/** DLE EOT n: real-time status request (1 printer, 2 offline cause, 3 error cause, 4 paper sensor). */
export function statusRequest(n: 1 | 2 | 3 | 4): Buffer {
  return Buffer.from([DLE, EOT, n]);
}

/**
 * GS r 1: transmit paper sensor status. Unlike DLE EOT it is not real-time: the printer answers
 * once everything sent before it has been processed (printed), so it ends every confirmed job.
 */
export function processedRequest(): Buffer {
  return Buffer.from([GS, 0x72, 1]);
}

/** ESC p m t1 t2: pulse drawer pin 2 (m=0) or 5 (m=1), on t1×2 ms, off t2×2 ms. */
export function drawerKick(pin: 0 | 1 = 0, onMs = 100, offMs = 500): Buffer {
  return Buffer.from([ESC, 0x70, pin, clamp(onMs / 2, 1, 255), clamp(offMs / 2, 1, 255)]);
}

/**
 * CODE128 data for GS k 73: code set C for even-length digit strings (half as wide), else
 * code set B with "{" escaped as "{{". Characters outside ASCII 32–126 become "?".
 */
export function code128Data(data: string): Buffer {
  if (/^(\d\d)+$/.test(data) && data.length >= 4) {
    const pairs = data.match(/\d\d/g) ?? [];
    return Buffer.from([0x7b, 0x43, ...pairs.map(Number)]);
  }
  const ascii = [...data].map((c) => (c >= ' ' && c <= '~' ? c : '?')).join('').replace(/\{/g, '{{');
  return Buffer.concat([Buffer.from('{B', 'ascii'), Buffer.from(ascii, 'ascii')]);
}

/** Builds one print job. Every method appends commands and returns the builder. */
export class EscPos {
  private readonly parts: Buffer[] = [];
  private page: CodePage;

  constructor(options: { codePage?: string; codePageNumber?: number } = {}) {
    this.page = codePage(options.codePage ?? 'cp437');
    if (options.codePageNumber !== undefined) this.page = { ...this.page, escpos: options.codePageNumber };
  }

  private push(...bytes: Array<number | Buffer>): this {
    for (const b of bytes) this.parts.push(typeof b === 'number' ? Buffer.from([b]) : b);
    return this;
  }

  /** ESC @ then ESC t: reset modes and select this job's code page. */
  init(): this {
    return this.push(Buffer.from([ESC, 0x40])).selectCodePage();
  }

  /** ESC t n for the builder's code page (or another one from now on). */
  selectCodePage(name?: string, number?: number): this {
    if (name) this.page = codePage(name);
    if (number !== undefined) this.page = { ...this.page, escpos: number };
    return this.push(Buffer.from([ESC, 0x74, this.page.escpos]));
  }

  text(text: string): this {
    return this.push(encodeText(text, this.page));
  }

  line(text = ''): this {
    return this.text(text).push(LF);
  }

  bold(on = true): this {
    return this.push(Buffer.from([ESC, 0x45, on ? 1 : 0]));
  }

  underline(on = true): this {
    return this.push(Buffer.from([ESC, 0x2d, on ? 1 : 0]));
  }

  /** ESC a n: takes effect at the start of a line. */
  align(align: Align): this {
    return this.push(Buffer.from([ESC, 0x61, ALIGN[align]]));
  }

  /** GS ! n: character width and height multipliers 1–8. */
  size(width = 1, height = width): this {
    return this.push(Buffer.from([GS, 0x21, ((clamp(width, 1, 8) - 1) << 4) | (clamp(height, 1, 8) - 1)]));
  }

  doubleSize(on = true): this {
    return on ? this.size(2, 2) : this.size(1, 1);
  }

  /** ESC d n: print and feed n lines. */
  feed(lines = 1): this {
    return this.push(Buffer.from([ESC, 0x64, clamp(lines, 0, 255)]));
  }

  barcode128(data: string, options: BarcodeOptions = {}): this {
    const payload = code128Data(data);
    return this.push(
      Buffer.from([GS, 0x68, clamp(options.height ?? 80, 1, 255)]),
      Buffer.from([GS, 0x77, clamp(options.moduleWidth ?? 2, 2, 6)]),
      Buffer.from([GS, 0x48, HRI[options.hri ?? 'below']]),
      Buffer.from([GS, 0x6b, 73, payload.length]),
      payload,
    );
  }

  /** QR code via GS ( k: model 2, module size, error level, store, print. Data is UTF-8. */
  qr(data: string, options: QrOptions = {}): this {
    const bytes = Buffer.from(data, 'utf8');
    const store = bytes.length + 3;
    return this.push(
      Buffer.from([GS, 0x28, 0x6b, 4, 0, 49, 65, 50, 0]),
      Buffer.from([GS, 0x28, 0x6b, 3, 0, 49, 67, clamp(options.size ?? 6, 1, 16)]),
      Buffer.from([GS, 0x28, 0x6b, 3, 0, 49, 69, QR_LEVEL[options.level ?? 'M']]),
      Buffer.from([GS, 0x28, 0x6b, store & 0xff, store >> 8, 49, 80, 48]),
      bytes,
      Buffer.from([GS, 0x28, 0x6b, 3, 0, 49, 81, 48]),
    );
  }

  /** GS V 65/66 n: feed to the cutter plus n motion units (dots), then cut (full or partial). */
  cut(options: { partial?: boolean; feed?: number } = {}): this {
    return this.push(Buffer.from([GS, 0x56, options.partial ? 66 : 65, clamp(options.feed ?? 3, 0, 255)]));
  }

  drawer(pin: 0 | 1 = 0): this {
    return this.push(drawerKick(pin));
  }

  raw(bytes: Uint8Array): this {
    return this.push(Buffer.from(bytes));
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}
