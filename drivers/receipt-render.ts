// Draws an interpreted receipt as a PNG: monospace text from the 5×7 font (bold, underline,
// double width/height, alignment honoured), Code 128 barcodes as real bars, and QR codes as a
// framed placeholder block (finder squares and the encoded text), not a scannable symbol.
import { PNG } from 'pngjs';
import { code128Modules, code128Values } from './code128.ts';
import type { Align } from './escpos-encoder.ts';
import type { Block, Interpretation, TextRun } from './escpos-interpreter.ts';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphFor } from './font5x7.ts';

const SCALE = 2;
const CELL_W = (GLYPH_WIDTH + 1) * SCALE; // 12 px, like font A's 12 dots
const LINE_H = (GLYPH_HEIGHT + 2) * SCALE;
const MARGIN = 16;

class Canvas {
  readonly pixels: Uint8Array;
  constructor(readonly width: number, readonly height: number) {
    this.pixels = new Uint8Array(width * height).fill(255);
  }
  fill(x: number, y: number, w: number, h: number, value = 0): void {
    for (let yy = Math.max(0, Math.round(y)); yy < Math.min(this.height, Math.round(y + h)); yy++) {
      for (let xx = Math.max(0, Math.round(x)); xx < Math.min(this.width, Math.round(x + w)); xx++) this.pixels[yy * this.width + xx] = value;
    }
  }
  png(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    for (let p = 0; p < this.pixels.length; p++) {
      const v = this.pixels[p] ?? 255;
      png.data[p * 4] = v; png.data[p * 4 + 1] = v; png.data[p * 4 + 2] = v; png.data[p * 4 + 3] = 255;
    }
    return PNG.sync.write(png);
  }
}

const runWidth = (run: TextRun) => [...run.text].length * run.width * CELL_W;
const offset = (align: Align, content: number, room: number) =>
  align === 'center' ? Math.floor((room - content) / 2) : align === 'right' ? room - content : 0;

function drawRun(c: Canvas, run: TextRun, x0: number, baseY: number): number {
  const sx = SCALE * run.width;
  const sy = SCALE * run.height;
  const top = baseY - GLYPH_HEIGHT * sy;
  let x = x0;
  for (const ch of run.text) {
    const cols = glyphFor(ch);
    cols.forEach((bits, col) => {
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        if (((bits >> row) & 1) === 0) continue;
        c.fill(x + col * sx, top + row * sy, sx + (run.bold ? SCALE : 0), sy);
      }
    });
    if (run.underline) c.fill(x, baseY - SCALE, CELL_W * run.width, SCALE);
    x += CELL_W * run.width;
  }
  return x;
}

function drawCentered(c: Canvas, text: string, y: number, align: Align, room: number): void {
  const run: TextRun = { text, bold: false, underline: false, width: 1, height: 1 };
  drawRun(c, run, MARGIN + Math.max(0, offset(align, runWidth(run), room)), y + LINE_H - SCALE);
}

function blockHeight(block: Block): number {
  switch (block.type) {
    case 'text': return LINE_H * Math.max(1, ...block.runs.map((r) => r.height));
    case 'barcode': return Math.min(Math.max(block.height, 30), 240) + (block.hri === 'none' ? 0 : LINE_H) + 8;
    case 'qr': return qrSide(block) + LINE_H + 8;
    case 'cut': return LINE_H;
    case 'drawer': return 0;
  }
}

const qrSide = (block: { size: number }) => 25 * Math.max(2, Math.min(block.size, 8));

function drawBlock(c: Canvas, block: Block, y: number, room: number): void {
  if (block.type === 'text') {
    const height = blockHeight(block);
    const width = block.runs.reduce((w, r) => w + runWidth(r), 0);
    let x = MARGIN + Math.max(0, offset(block.align, width, room));
    for (const run of block.runs) x = drawRun(c, run, x, y + height - SCALE);
  } else if (block.type === 'barcode') {
    const barH = Math.min(Math.max(block.height, 30), 240);
    const textY = block.hri === 'above' ? y : y + barH;
    const barY = block.hri === 'above' ? y + LINE_H : y;
    if (block.symbology === 'CODE128') {
      const modules = code128Modules(code128Values(block.data));
      const unit = Math.max(1, Math.min(block.moduleWidth, Math.floor(room / (modules.length + 20))));
      let x = MARGIN + Math.max(0, offset(block.align, modules.length * unit, room));
      for (const bar of modules) { if (bar) c.fill(x, barY, unit, barH); x += unit; }
    } else {
      c.fill(MARGIN, barY, room, 2); c.fill(MARGIN, barY + barH - 2, room, 2);
      drawCentered(c, `${block.symbology} (not drawn)`, barY + barH / 2 - LINE_H / 2, 'center', room);
    }
    if (block.hri !== 'none') drawCentered(c, block.data, textY, block.align, room);
  } else if (block.type === 'qr') {
    const side = qrSide(block);
    const x = MARGIN + Math.max(0, offset(block.align, side, room));
    c.fill(x, y, side, 2); c.fill(x, y + side - 2, side, 2); c.fill(x, y, 2, side); c.fill(x + side - 2, y, 2, side);
    const u = Math.floor(side / 28); // finder squares: 7×7 modules, ring, 3×3 centre
    for (const [fx, fy] of [[x + 2 * u, y + 2 * u], [x + side - 9 * u, y + 2 * u], [x + 2 * u, y + side - 9 * u]] as const) {
      c.fill(fx, fy, 7 * u, 7 * u);
      c.fill(fx + u, fy + u, 5 * u, 5 * u, 255);
      c.fill(fx + 2 * u, fy + 2 * u, 3 * u, 3 * u);
    }
    drawCentered(c, 'QR', y + side / 2 - LINE_H / 2, block.align === 'left' ? 'left' : 'center', block.align === 'left' ? side : room);
    drawCentered(c, block.data.slice(0, Math.floor(room / CELL_W)), y + side + 4, block.align, room);
  } else if (block.type === 'cut') {
    for (let x = MARGIN; x < MARGIN + room; x += 12) c.fill(x, y + LINE_H / 2, 6, 2);
  }
}

/** The receipt as a PNG: `columns` characters of font A wide. */
export function renderPng(doc: Interpretation, columns = 42): Buffer {
  const room = columns * CELL_W;
  const height = doc.blocks.reduce((h, b) => h + blockHeight(b), 0);
  const canvas = new Canvas(room + 2 * MARGIN, Math.max(height, LINE_H) + 2 * MARGIN);
  let y = MARGIN;
  for (const block of doc.blocks) {
    drawBlock(canvas, block, y, room);
    y += blockHeight(block);
  }
  return canvas.png();
}
