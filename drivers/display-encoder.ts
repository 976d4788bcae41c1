// Pure encoding and decoding of the Epson ESC/POS customer display command set (DM-D series
// and the many 2×20 VFDs that follow it):
//   ESC @        initialize (clears the screen)      ESC t n    character code table
//   US $ x y     cursor to column x, row y (1-based)  CLR (0x0C) clear    HOM (0x0B) home
//   CR / LF      start of line / next line           other bytes ≥ 0x20: characters in the table
// A frame writes both rows in full at fixed positions, so a frame is idempotent and a display
// that was power-cycled shows the right text again with the next one.
import { codePage, codePageByNumber, decodeText, encodeText, type CodePage } from './code-pages.ts';

const ESC = 0x1b;
const US = 0x1f;

export interface DisplayPage {
  page: CodePage;
  columns: number;
}

export function displayPage(name: string, columns: number, number?: number): DisplayPage {
  const page = codePage(name);
  return { page: number === undefined ? page : { ...page, escpos: number }, columns };
}

/** What the display will show for `text` on one row: code page fallback applied, cut to the columns. */
export function fitRow(text: string, p: DisplayPage): string {
  const printable = decodeText(encodeText(text.replace(/[\r\n\t]+/g, ' '), p.page), p.page);
  return [...printable].slice(0, p.columns).join('');
}

export function initBytes(p: DisplayPage): Buffer {
  return Buffer.from([ESC, 0x40, ESC, 0x74, p.page.escpos]);
}

/** Both rows, each padded to the full width at its own position. */
export function frameBytes(rows: readonly [string, string], p: DisplayPage): Buffer {
  const parts: Buffer[] = [];
  rows.forEach((row, i) => {
    const text = fitRow(row, p);
    parts.push(Buffer.from([US, 0x24, 1, i + 1]), encodeText(text + ' '.repeat(p.columns - [...text].length), p.page));
  });
  return Buffer.concat(parts);
}

/** Replays display bytes onto a 2-row screen (the virtual display, tests). Unknown bytes are skipped. */
export class DisplayScreen {
  private rows: string[][];
  private x = 0;
  private y = 0;
  private page: CodePage;

  constructor(private readonly columns = 20, codePageName = 'cp437', private readonly numbers: Readonly<Record<number, string>> = {}) {
    this.rows = this.blank();
    this.page = codePage(codePageName);
  }

  private blank(): string[][] {
    return [0, 1].map(() => new Array<string>(this.columns).fill(' '));
  }

  feed(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i] as number;
      if (b === ESC && bytes[i + 1] === 0x40) { this.rows = this.blank(); this.x = this.y = 0; i++; }
      else if (b === ESC && bytes[i + 1] === 0x74 && i + 2 < bytes.length) { this.page = codePageByNumber(bytes[i + 2] as number, this.numbers); i += 2; }
      else if (b === ESC) i++; // other ESC x: skip its selector byte
      else if (b === US && bytes[i + 1] === 0x24 && i + 3 < bytes.length) {
        this.x = Math.min(this.columns, Math.max(1, bytes[i + 2] as number)) - 1;
        this.y = Math.min(2, Math.max(1, bytes[i + 3] as number)) - 1;
        i += 3;
      } else if (b === US) i++;
      else if (b === 0x0c) { this.rows = this.blank(); this.x = this.y = 0; }
      else if (b === 0x0b) { this.x = this.y = 0; }
      else if (b === 0x0d) this.x = 0;
      else if (b === 0x0a) this.y = Math.min(1, this.y + 1);
      else if (b >= 0x20 && b !== 0x7f) {
        if (this.x >= this.columns) { this.x = 0; this.y = (this.y + 1) % 2; }
        this.rows[this.y]![this.x++] = decodeText(Uint8Array.of(b), this.page);
      }
    }
  }

  lines(): [string, string] {
    return [this.rows[0]!.join('').trimEnd(), this.rows[1]!.join('').trimEnd()];
  }
}
