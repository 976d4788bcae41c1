// Draws an interpreted receipt as a PNG: monospace text from the 5×7 font (bold, underline,
// double width/height, alignment honoured), Code 128 barcodes as real bars, and QR codes as real
// symbols (qr-encode.ts) with their four-module quiet zone. One pixel is one printer dot.
import { PNG } from 'pngjs';
import { code128Modules, code128Values } from './code128.ts';
import type { Align } from './escpos-encoder.ts';
import type { Block, Interpretation, TextRun } from './escpos-interpreter.ts';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphFor } from './font5x7.ts';
import { encodeQr, QR_LEVELS, type QrSymbol } from './qr-encode.ts';

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

type QrBlock = Extract<Block, { type: 'qr' }>;
const QUIET_ZONE = 4;

/** The symbol (null when the data fits no version: the printer prints nothing) and its size in pixels. */
interface QrLayout { symbol: QrSymbol | null; unit: number; side: number }

function qrLayout(block: QrBlock, room: number): QrLayout {
  const level = QR_LEVELS.find((l) => l === block.level) ?? 'L';
  let symbol: QrSymbol;
  try {
    symbol = encodeQr(block.data, { level });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return { symbol: null, unit: 0, side: 2 * LINE_H }; // drawn as a framed note saying so
  }
  const modules = symbol.size + 2 * QUIET_ZONE;
  // The block's module size in dots, shrunk only if the symbol would not fit the paper.
  const unit = Math.max(1, Math.min(block.size, Math.floor(room / modules)));
  return { symbol, unit, side: modules * unit };
}

function blockHeight(block: Block, qr?: QrLayout): number {
  switch (block.type) {
    case 'text': return LINE_H * Math.max(1, ...block.runs.map((r) => r.height));
    case 'barcode': return Math.min(Math.max(block.height, 30), 240) + (block.hri === 'none' ? 0 : LINE_H) + 8;
    case 'qr': return qr?.side ?? 0;
    case 'cut': return LINE_H;
    case 'drawer': return 0;
  }
}

function drawQr(c: Canvas, block: QrBlock, qr: QrLayout, y: number, room: number): void {
  if (!qr.symbol) {
    c.fill(MARGIN, y + 2, room, 2); c.fill(MARGIN, y + qr.side - 4, room, 2);
    drawCentered(c, `QR too long (${Buffer.byteLength(block.data)} bytes)`, y + LINE_H / 2, 'center', room);
    return;
  }
  const x0 = MARGIN + Math.max(0, offset(block.align, qr.side, room)) + QUIET_ZONE * qr.unit;
  const y0 = y + QUIET_ZONE * qr.unit;
  qr.symbol.modules.forEach((row, my) => row.forEach((dark, mx) => {
    if (dark) c.fill(x0 + mx * qr.unit, y0 + my * qr.unit, qr.unit, qr.unit);
  }));
}

function drawBlock(c: Canvas, block: Block, y: number, room: number, qr?: QrLayout): void {
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
    if (qr) drawQr(c, block, qr, y, room);
  } else if (block.type === 'cut') {
    for (let x = MARGIN; x < MARGIN + room; x += 12) c.fill(x, y + LINE_H / 2, 6, 2);
  }
}

/** The receipt as a PNG: `columns` characters of font A wide. */
export function renderPng(doc: Interpretation, columns = 42): Buffer {
  const room = columns * CELL_W;
  const items = doc.blocks.map((block) => ({ block, qr: block.type === 'qr' ? qrLayout(block, room) : undefined }));
  const height = items.reduce((h, { block, qr }) => h + blockHeight(block, qr), 0);
  const canvas = new Canvas(room + 2 * MARGIN, Math.max(height, LINE_H) + 2 * MARGIN);
  let y = MARGIN;
  for (const { block, qr } of items) {
    drawBlock(canvas, block, y, room, qr);
    y += blockHeight(block, qr);
  }
  return canvas.png();
}
