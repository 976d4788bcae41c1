// A monospaced bitmap font in BDF (Glyph Bitmap Distribution Format 2.1), for drawing receipt
// previews with the glyphs a printer prints: drivers/fonts/misc-fixed-10x20.bdf holds every
// character of the supported code pages (see drivers/fonts/README.md for its source and licence).
import { readFileSync } from 'node:fs';

export interface Glyph {
  /** Rows top to bottom across the font's cell (width × height), true = ink. */
  rows: boolean[][];
}

export interface BitmapFont {
  width: number;
  height: number;
  /** Pixels from the top of the cell to the baseline. */
  ascent: number;
  glyph(ch: string): Glyph;
  has(ch: string): boolean;
}

/** Parses BDF text; each glyph is placed in the font bounding box by its BBX offsets. */
export function parseBdf(text: string): BitmapFont {
  const box = /^FONTBOUNDINGBOX (\d+) (\d+) (-?\d+) (-?\d+)$/m.exec(text);
  if (!box) throw new Error('BDF: no FONTBOUNDINGBOX');
  const [width, height, , yOff] = box.slice(1).map(Number) as [number, number, number, number];
  const ascent = height + yOff;
  const glyphs = new Map<number, Glyph>();
  for (const block of text.split('STARTCHAR').slice(1)) {
    const enc = /ENCODING (-?\d+)/.exec(block);
    const bbx = /BBX (\d+) (\d+) (-?\d+) (-?\d+)/.exec(block);
    const bitmap = /BITMAP\n([\s\S]*?)ENDCHAR/.exec(block);
    if (!enc || !bbx || !bitmap) continue;
    const [w, h, x0, y0] = bbx.slice(1).map(Number) as [number, number, number, number];
    const rows = Array.from({ length: height }, () => new Array<boolean>(width).fill(false));
    const top = ascent - (h + y0);
    bitmap[1]!.trim().split('\n').forEach((hex, r) => {
      const bits = Number.parseInt(hex.trim(), 16);
      const span = hex.trim().length * 4;
      for (let c = 0; c < w; c++) {
        const y = top + r;
        const x = x0 + c;
        if (y >= 0 && y < height && x >= 0 && x < width && ((bits >> (span - 1 - c)) & 1) === 1) rows[y]![x] = true;
      }
    });
    glyphs.set(Number(enc[1]), { rows });
  }
  const fallback = glyphs.get(0x3f) ?? { rows: Array.from({ length: height }, () => new Array<boolean>(width).fill(false)) };
  return {
    width, height, ascent,
    glyph: (ch) => glyphs.get(ch.codePointAt(0) ?? 0x3f) ?? fallback,
    has: (ch) => glyphs.has(ch.codePointAt(0) ?? -1),
  };
}

let receiptFont: BitmapFont | undefined;

/** The preview font, read once on first use. */
export function previewFont(): BitmapFont {
  receiptFont ??= parseBdf(readFileSync(new URL('./fonts/misc-fixed-10x20.bdf', import.meta.url), 'utf8'));
  return receiptFont;
}
