// Draws an interpreted receipt as a PNG, one pixel per printer dot: text in a real bitmap font
// (bdf-font.ts: the characters the code page prints, € ß ñ included) in font A's 12×24 cell,
// bold, underline, double width/height and alignment honoured; barcodes and QR codes as real
// symbols from bwip-js (barcode-symbols.ts) that scan like the printer's, QR with its four-module
// quiet zone at the block's module size.
import { PNG } from 'pngjs';
import { linearModules, qrMatrix, type Matrix } from './barcode-symbols.ts';
import { previewFont } from './bdf-font.ts';
import { QR_LEVELS, type Align } from './escpos-encoder.ts';
import type { Block, Interpretation, TextRun } from './escpos-interpreter.ts';

const CELL_W = 12; // font A: 12 × 24 dots
const CELL_H = 24;
const LINE_H = 30; // the default line spacing (1/6 inch)
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

/** Draws a run with its bottom at `bottom`; returns the x after it. */
function drawRun(c: Canvas, run: TextRun, x0: number, bottom: number): number {
  const font = previewFont();
  const sx = run.width;
  const sy = run.height;
  // The font's cell centred in font A's cell.
  const dx = Math.floor((CELL_W - font.width) / 2) * sx;
  const top = bottom - CELL_H * sy + Math.floor((CELL_H - font.height) / 2) * sy;
  let x = x0;
  for (const ch of run.text) {
    font.glyph(ch).rows.forEach((row, ry) => row.forEach((ink, rx) => {
      if (ink) c.fill(x + dx + rx * sx, top + ry * sy, sx + (run.bold ? 1 : 0), sy);
    }));
    if (run.underline) c.fill(x, bottom - 2, CELL_W * sx, 2);
    x += CELL_W * sx;
  }
  return x;
}

function drawNote(c: Canvas, text: string, y: number, room: number): void {
  const run: TextRun = { text, bold: false, underline: false, width: 1, height: 1 };
  drawRun(c, run, MARGIN + Math.max(0, offset('center', runWidth(run), room)), y + CELL_H);
}

type QrBlock = Extract<Block, { type: 'qr' }>;
const QUIET_ZONE = 4;

/** The symbol (null when the data fits no version: the printer prints nothing) and its size in pixels. */
interface QrLayout { symbol: Matrix | null; unit: number; side: number }

function qrLayout(block: QrBlock, room: number): QrLayout {
  const level = QR_LEVELS.find((l) => l === block.level) ?? 'L';
  let symbol: Matrix;
  try {
    symbol = qrMatrix(block.data, level);
  } catch {
    return { symbol: null, unit: 0, side: 2 * LINE_H }; // drawn as a framed note saying so
  }
  const modules = symbol.size + 2 * QUIET_ZONE;
  // The block's module size in dots, shrunk only if the symbol would not fit the paper.
  const unit = Math.max(1, Math.min(block.size, Math.floor(room / modules)));
  return { symbol, unit, side: modules * unit };
}

const barHeight = (block: Extract<Block, { type: 'barcode' }>) => Math.min(Math.max(block.height, 30), 240);

function blockHeight(block: Block, qr?: QrLayout): number {
  switch (block.type) {
    case 'text': return LINE_H * Math.max(1, ...block.runs.map((r) => r.height));
    case 'barcode': return barHeight(block) + (block.hri === 'none' ? 0 : LINE_H) + 8;
    case 'qr': return qr?.side ?? 0;
    case 'cut': return LINE_H;
    case 'drawer': return 0;
  }
}

function drawQr(c: Canvas, block: QrBlock, qr: QrLayout, y: number, room: number): void {
  if (!qr.symbol) {
    c.fill(MARGIN, y + 2, room, 2); c.fill(MARGIN, y + qr.side - 4, room, 2);
    drawNote(c, `QR too long (${Buffer.byteLength(block.data)} bytes)`, y + LINE_H / 2, room);
    return;
  }
  const x0 = MARGIN + Math.max(0, offset(block.align, qr.side, room)) + QUIET_ZONE * qr.unit;
  const y0 = y + QUIET_ZONE * qr.unit;
  qr.symbol.modules.forEach((row, my) => row.forEach((dark, mx) => {
    if (dark) c.fill(x0 + mx * qr.unit, y0 + my * qr.unit, qr.unit, qr.unit);
  }));
}

function drawBarcode(c: Canvas, block: Extract<Block, { type: 'barcode' }>, y: number, room: number): void {
  const barH = barHeight(block);
  const barY = block.hri === 'above' ? y + LINE_H : y;
  let modules: boolean[] | undefined;
  let why = '';
  try {
    modules = linearModules(block.symbology, block.data);
  } catch (error) {
    why = (error as Error).message.replace(/^bwipp\.\w+#?\d*:?\s*/, '').slice(0, 30);
  }
  if (modules) {
    const unit = Math.max(1, Math.min(block.moduleWidth, Math.floor(room / (modules.length + 20))));
    let x = MARGIN + Math.max(0, offset(block.align, modules.length * unit, room));
    for (const bar of modules) { if (bar) c.fill(x, barY, unit, barH); x += unit; }
  } else {
    c.fill(MARGIN, barY, room, 2); c.fill(MARGIN, barY + barH - 2, room, 2);
    drawNote(c, `${block.symbology} not drawn: ${why}`, barY + barH / 2 - CELL_H / 2, room);
  }
  if (block.hri !== 'none') {
    const run: TextRun = { text: block.data, bold: false, underline: false, width: 1, height: 1 };
    drawRun(c, run, MARGIN + Math.max(0, offset(block.align, runWidth(run), room)), (block.hri === 'above' ? y : y + barH) + CELL_H + 2);
  }
}

function drawBlock(c: Canvas, block: Block, y: number, room: number, qr?: QrLayout): void {
  if (block.type === 'text') {
    const height = blockHeight(block);
    const width = block.runs.reduce((w, r) => w + runWidth(r), 0);
    let x = MARGIN + Math.max(0, offset(block.align, width, room));
    for (const run of block.runs) x = drawRun(c, run, x, y + height - (LINE_H - CELL_H));
  } else if (block.type === 'barcode') {
    drawBarcode(c, block, y, room);
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
