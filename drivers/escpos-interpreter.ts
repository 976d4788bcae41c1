// Turns the exact bytes sent to a printer back into what it would print: physical text lines
// (code page decoded, wrapped at the printer's columns, with bold/underline/size per run and
// the line's alignment), barcodes, QR codes, feeds, cuts and drawer kicks. Unknown commands
// are skipped by their documented length and listed. Pure; receipt-render.ts draws the result.
import { codePageByNumber, decodeText, type CodePage } from './code-pages.ts';
import type { Align } from './escpos-encoder.ts';

export interface TextRun {
  text: string;
  bold: boolean;
  underline: boolean;
  width: number;
  height: number;
}

export type Block =
  | { type: 'text'; align: Align; runs: TextRun[]; text: string }
  | { type: 'barcode'; symbology: string; data: string; align: Align; height: number; moduleWidth: number; hri: 'none' | 'above' | 'below' }
  | { type: 'qr'; data: string; align: Align; size: number; level: string }
  | { type: 'cut'; partial: boolean }
  | { type: 'drawer'; pin: number };

export interface Interpretation {
  blocks: Block[];
  /** Printed content line by line: text lines (trailing spaces trimmed), "[CODE128 data]", "[QR data]". */
  lines: string[];
  statusRequests: number[];
  unknown: string[];
}

export interface InterpretOptions {
  columns?: number;
  /** ESC t numbers that a printer maps differently from the Epson defaults. */
  codePageNumbers?: Readonly<Record<number, string>>;
}

const ALIGNS: readonly Align[] = ['left', 'center', 'right'];
const SYMBOLOGY_A = ['UPC-A', 'UPC-E', 'EAN13', 'EAN8', 'CODE39', 'ITF', 'CODABAR'];
const SYMBOLOGY_B = ['UPC-A', 'UPC-E', 'EAN13', 'EAN8', 'CODE39', 'ITF', 'CODABAR', 'CODE93', 'CODE128', 'GS1-128'];
const HRI = ['none', 'above', 'below', 'below'] as const;

const tables = new Map<string, string[]>();
function decodeTable(page: CodePage): string[] {
  let table = tables.get(page.name);
  if (!table) {
    table = Array.from({ length: 256 }, (_, b) => decodeText(Uint8Array.of(b), page));
    tables.set(page.name, table);
  }
  return table;
}

/** Human-readable content of GS k 73 data: code sets A/B are ASCII, C packs two digits per byte. */
export function decodeCode128(bytes: Uint8Array): string {
  let set: 'A' | 'B' | 'C' = 'B';
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 0x7b && i + 1 < bytes.length) {
      const next = String.fromCharCode(bytes[i + 1] as number);
      if (next === 'A' || next === 'B' || next === 'C') { set = next; i++; continue; }
      if (next === '{') { out += '{'; i++; continue; }
      i++; // FNC1–4 and shifts: no printable content
      continue;
    }
    out += set === 'C' ? String(b).padStart(2, '0') : String.fromCharCode(b);
  }
  return out;
}

export function interpret(input: Uint8Array, options: InterpretOptions = {}): Interpretation {
  const bytes = Buffer.from(input);
  const columns = options.columns ?? 42;
  const result: Interpretation = { blocks: [], lines: [], statusRequests: [], unknown: [] };
  const initial = () => ({
    align: 'left' as Align, bold: false, underline: false, width: 1, height: 1,
    page: codePageByNumber(0, options.codePageNumbers),
    barcode: { height: 162, moduleWidth: 3, hri: 'none' as 'none' | 'above' | 'below' },
    qr: { size: 3, level: 'L', data: '' },
  });
  let s = initial();
  let runs: TextRun[] = [];
  let used = 0;
  let lineAlign: Align | undefined;

  const endLine = () => {
    const text = runs.map((r) => r.text).join('');
    result.blocks.push({ type: 'text', align: lineAlign ?? s.align, runs, text });
    result.lines.push(text.replace(/\s+$/, ''));
    runs = [];
    used = 0;
    lineAlign = undefined;
  };
  const addChar = (ch: string) => {
    if (used + s.width > columns && used > 0) endLine();
    lineAlign ??= s.align;
    const last = runs[runs.length - 1];
    if (last && last.bold === s.bold && last.underline === s.underline && last.width === s.width && last.height === s.height) {
      last.text += ch;
    } else {
      runs.push({ text: ch, bold: s.bold, underline: s.underline, width: s.width, height: s.height });
    }
    used += s.width;
  };
  const flushForBlock = () => { if (runs.length > 0) endLine(); };
  const at = (k: number) => bytes[k] ?? 0;
  const u16 = (k: number) => at(k) + at(k + 1) * 256;

  let i = 0;
  while (i < bytes.length) {
    const b = at(i);
    const c1 = String.fromCharCode(at(i + 1));
    if (b >= 0x20 && b !== 0x7f) {
      addChar(decodeTable(s.page)[b] ?? '?');
      i++;
    } else if (b === 0x0a) {
      endLine();
      i++;
    } else if (b === 0x09) {
      do addChar(' '); while (used % 8 !== 0 && used < columns);
      i++;
    } else if (b === 0x10) { // DLE
      if (at(i + 1) === 0x04) { result.statusRequests.push(at(i + 2)); i += 3; }
      else if (at(i + 1) === 0x05) i += 3;
      else if (at(i + 1) === 0x14) {
        if (at(i + 2) === 1) { flushForBlock(); result.blocks.push({ type: 'drawer', pin: at(i + 3) === 1 ? 5 : 2 }); }
        i += 5;
      } else i += 2;
    } else if (b === 0x1b) { // ESC
      const n = at(i + 2);
      switch (c1) {
        case '@': s = initial(); i += 2; break;
        case 'E': case 'G': s.bold = (n & 1) === 1; i += 3; break;
        case '-': s.underline = (n & 3) !== 0; i += 3; break;
        case 'a': if (runs.length === 0) s.align = ALIGNS[n % 48] ?? 'left'; i += 3; break; // only at a line start
        case '!': s.bold = (n & 0x08) !== 0; s.height = n & 0x10 ? 2 : 1; s.width = n & 0x20 ? 2 : 1; s.underline = (n & 0x80) !== 0; i += 3; break;
        case 't': s.page = codePageByNumber(n, options.codePageNumbers); i += 3; break;
        case 'd': for (let k = 0; k < n; k++) endLine(); i += 3; break;
        case 'p': flushForBlock(); result.blocks.push({ type: 'drawer', pin: n % 48 === 1 ? 5 : 2 }); i += 5; break;
        case 'i': case 'm': flushForBlock(); result.blocks.push({ type: 'cut', partial: true }); i += 2; break;
        case '2': case '<': i += 2; break;
        case 'c': i += 4; break;
        case 'B': i += 4; break;
        case '$': case '\\': i += 4; break;
        case 'W': i += 10; break;
        case '*': i += 5 + u16(i + 3) * (n === 32 || n === 33 ? 3 : 1); break;
        case 'D': { let k = i + 2; while (k < bytes.length && at(k) !== 0) k++; i = k + 1; break; }
        case 'J': case 'K': case 'M': case 'R': case 'V': case '{': case 'r': case ' ': case '3': case 'U':
        case 'e': case '=': case '%': case '?': case 'S': case 'L': case 'T':
          i += c1 === 'S' || c1 === 'L' ? 2 : 3; break;
        default: result.unknown.push(`ESC 0x${at(i + 1).toString(16)}`); i += 2;
      }
    } else if (b === 0x1d) { // GS
      const n = at(i + 2);
      switch (c1) {
        case '!': s.width = ((n >> 4) & 7) + 1; s.height = (n & 7) + 1; i += 3; break;
        case 'V': flushForBlock(); result.blocks.push({ type: 'cut', partial: [1, 49, 66, 98, 104].includes(n) });
          i += n >= 65 ? 4 : 3; break;
        case 'h': s.barcode.height = n; i += 3; break;
        case 'w': s.barcode.moduleWidth = n; i += 3; break;
        case 'H': s.barcode.hri = HRI[n % 48 & 3] ?? 'none'; i += 3; break;
        case 'k': {
          flushForBlock();
          let data: Uint8Array;
          let symbology: string;
          if (n <= 6) {
            let k = i + 3;
            while (k < bytes.length && at(k) !== 0) k++;
            data = bytes.subarray(i + 3, k);
            symbology = SYMBOLOGY_A[n] ?? `barcode ${n}`;
            i = k + 1;
          } else {
            const len = at(i + 3);
            data = bytes.subarray(i + 4, i + 4 + len);
            symbology = SYMBOLOGY_B[n - 65] ?? `barcode ${n}`;
            i += 4 + len;
          }
          const text = n === 73 ? decodeCode128(data) : Buffer.from(data).toString('latin1');
          result.blocks.push({ type: 'barcode', symbology, data: text, align: s.align, ...s.barcode });
          result.lines.push(`[${symbology} ${text}]`);
          break;
        }
        case '(': {
          const len = u16(i + 3);
          const body = bytes.subarray(i + 5, i + 5 + len);
          if (n === 0x6b && body[0] === 49) { // GS ( k, cn 49 = QR code
            const fn = body[1];
            if (fn === 67) s.qr.size = body[2] ?? 3;
            else if (fn === 69) s.qr.level = 'LMQH'.charAt((body[2] ?? 48) - 48) || 'L';
            else if (fn === 80) s.qr.data = Buffer.from(body.subarray(3)).toString('utf8');
            else if (fn === 81) {
              flushForBlock();
              result.blocks.push({ type: 'qr', data: s.qr.data, align: s.align, size: s.qr.size, level: s.qr.level });
              result.lines.push(`[QR ${s.qr.data}]`);
            }
          }
          i += 5 + len;
          break;
        }
        case 'v': i += 8 + u16(i + 4) * u16(i + 6); break;
        case '*': i += 4 + n * at(i + 3) * 8; break;
        case 'L': case 'W': case '$': case '\\': case 'P': i += 4; break;
        case '^': i += 5; break;
        case ':': i += 2; break;
        default: i += 3;
      }
    } else if (b === 0x1c) { // FS
      if (c1 === 'p') i += 4; else if (c1 === 'C' || c1 === '!' || c1 === '-' || c1 === 'S' || c1 === 'W') i += 3; else i += 2;
    } else {
      i++; // CR, FF and other controls do not print
    }
  }
  if (runs.length > 0) endLine();
  return result;
}

function pad(text: string, align: Align, columns: number): string {
  const room = Math.max(0, columns - text.length);
  if (align === 'center') return ' '.repeat(Math.floor(room / 2)) + text;
  if (align === 'right') return ' '.repeat(room) + text;
  return text;
}

/** A plain-text preview: aligned lines, double width spread out, barcodes and cuts marked. */
export function toText(doc: Interpretation, columns = 42): string {
  const out: string[] = [];
  for (const block of doc.blocks) {
    if (block.type === 'text') {
      const text = block.runs.map((r) => (r.width > 1 ? [...r.text].join(' '.repeat(r.width - 1)) + ' '.repeat(r.width - 1) : r.text)).join('');
      out.push(pad(text.replace(/\s+$/, ''), block.align, columns).replace(/\s+$/, ''));
    } else if (block.type === 'barcode') out.push(pad(`[${block.symbology} ${block.data}]`, block.align, columns));
    else if (block.type === 'qr') out.push(pad(`[QR ${block.data}]`, block.align, columns));
    else if (block.type === 'cut') out.push('- '.repeat(Math.floor(columns / 2)).trimEnd());
    else out.push(`[drawer pin ${block.pin}]`);
  }
  return out.join('\n') + '\n';
}
