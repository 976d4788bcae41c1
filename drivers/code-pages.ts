// Printer code pages: the ESC t number the printer knows a table by, the iconv-lite name for
// encoding/decoding, and a text encoder that never prints garbage: characters the table
// lacks are transliterated to ASCII (ü→u, €→EUR) or become "?". Control characters in text
// are replaced, so text can never smuggle ESC/POS commands into a job.
import { createRequire } from 'node:module';

// iconv-lite is loaded on first use (a printer's first job), not with the config's code page names:
// start-up of a till without printers never needs it (issue #10, start to ready).
const requirePackage = createRequire(import.meta.url);
let loaded: typeof import('iconv-lite') | undefined;
const iconv = (): typeof import('iconv-lite') => (loaded ??= requirePackage('iconv-lite') as typeof import('iconv-lite'));

export interface CodePage {
  name: string;
  /** ESC t n on Epson-compatible printers (override per printer with code_page_number). */
  escpos: number;
  iconv: string;
}

const PAGES: readonly CodePage[] = [
  { name: 'cp437', escpos: 0, iconv: 'cp437' },
  { name: 'cp850', escpos: 2, iconv: 'cp850' },
  { name: 'cp860', escpos: 3, iconv: 'cp860' },
  { name: 'cp863', escpos: 4, iconv: 'cp863' },
  { name: 'cp865', escpos: 5, iconv: 'cp865' },
  { name: 'cp1252', escpos: 16, iconv: 'win1252' },
  { name: 'cp866', escpos: 17, iconv: 'cp866' },
  { name: 'cp852', escpos: 18, iconv: 'cp852' },
  { name: 'cp858', escpos: 19, iconv: 'cp858' },
];

export const CODE_PAGE_NAMES = PAGES.map((p) => p.name) as [string, ...string[]];
export const DEFAULT_CODE_PAGE = 'cp437';

export function codePage(name: string): CodePage {
  const page = PAGES.find((p) => p.name === name.toLowerCase());
  if (!page) throw new TypeError(`unknown code page "${name}" (known: ${CODE_PAGE_NAMES.join(', ')})`);
  return page;
}

/** The code page a printer selected with ESC t n (default table for unknown numbers). */
export function codePageByNumber(n: number, overrides: Readonly<Record<number, string>> = {}): CodePage {
  const named = overrides[n];
  if (named) return codePage(named);
  return PAGES.find((p) => p.escpos === n) ?? codePage(DEFAULT_CODE_PAGE);
}

// Characters each table can print, computed once from the table itself.
const printable = new Map<string, Map<string, number>>();
function charsOf(page: CodePage): Map<string, number> {
  let map = printable.get(page.name);
  if (!map) {
    map = new Map();
    for (let b = 0x20; b < 0x100; b++) {
      if (b === 0x7f) continue;
      const ch = iconv().decode(Buffer.from([b]), page.iconv);
      if (ch !== '\ufffd' && !map.has(ch)) map.set(ch, b);
    }
    printable.set(page.name, map);
  }
  return map;
}

const SPECIAL: Readonly<Record<string, string>> = {
  '€': 'EUR', '£': 'GBP', '¥': 'JPY', '¢': 'c', 'ß': 'ss', 'Æ': 'AE', 'æ': 'ae', 'Œ': 'OE', 'œ': 'oe',
  'Ø': 'O', 'ø': 'o', 'Ł': 'L', 'ł': 'l', 'Đ': 'D', 'đ': 'd', 'Þ': 'Th', 'þ': 'th', 'ı': 'i',
  '‘': "'", '’': "'", '‚': ',', '“': '"', '”': '"', '„': '"', '«': '"', '»': '"', '–': '-', '—': '-',
  '…': '...', '•': '*', '·': '.', '×': 'x', '÷': '/', '™': 'TM', '©': '(C)', '®': '(R)', '°': 'o',
  '½': '1/2', '¼': '1/4', '¾': '3/4', '\u00a0': ' ', '\u2009': ' ', '\u202f': ' ',
};

/** An ASCII stand-in for a character a table cannot print. */
export function transliterate(ch: string): string {
  const special = SPECIAL[ch];
  if (special !== undefined) return special;
  const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  return /^[\x20-\x7e]+$/.test(base) ? base : '?';
}

/**
 * Text → bytes in the table. "\n" stays LF, a tab becomes a space, other control characters
 * (ESC, GS, DLE, …) become "?": receipt text is data, never commands.
 */
export function encodeText(text: string, page: CodePage): Buffer {
  const chars = charsOf(page);
  const out: number[] = [];
  const put = (ch: string): boolean => {
    const b = chars.get(ch);
    if (b === undefined) return false;
    out.push(b);
    return true;
  };
  for (const ch of text) {
    if (ch === '\n') { out.push(0x0a); continue; }
    if (ch === '\t') { out.push(0x20); continue; }
    if (ch < ' ' || (ch >= '\x7f' && ch <= '\x9f')) { out.push(0x3f); continue; }
    if (put(ch)) continue;
    for (const sub of transliterate(ch)) if (!put(sub)) out.push(0x3f);
  }
  return Buffer.from(out);
}

export function decodeText(bytes: Uint8Array, page: CodePage): string {
  return iconv().decode(Buffer.from(bytes), page.iconv);
}
