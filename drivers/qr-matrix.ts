// The QR Code symbol grid (ISO/IEC 18004 §6.3, §7.7–7.10): function patterns (finders with
// separators, timing, alignment, dark module), format and version information, codeword
// placement, the eight data masks and the penalty score that picks one. Pure; qr-encode.ts
// decides what goes in.
import type { QrErrorLevel } from './escpos-encoder.ts';

/** Format information error correction level indicators (Table 12): note L = 01, M = 00. */
const LEVEL_BITS: Readonly<Record<QrErrorLevel, number>> = { L: 1, M: 0, Q: 3, H: 2 };
const FORMAT_GENERATOR = 0x537; // BCH(15,5): x¹⁰ + x⁸ + x⁵ + x⁴ + x² + x + 1
const FORMAT_MASK = 0x5412;
const VERSION_GENERATOR = 0x1f25; // BCH(18,6): x¹² + x¹¹ + x¹⁰ + x⁹ + x⁸ + x⁵ + x² + 1

/** Remainder of value·x^degree divided by a generator of that degree, over GF(2). */
function bchRemainder(value: number, generator: number, degree: number): number {
  let rest = value << degree;
  for (let bit = 31 - Math.clz32(rest); bit >= degree; bit--) {
    if ((rest >> bit) & 1) rest ^= generator << (bit - degree);
  }
  return rest;
}

/** The 15 format bits for a level and mask, masked with 0x5412 so they are never all light. */
export function formatBits(level: QrErrorLevel, mask: number): number {
  const data = (LEVEL_BITS[level] << 3) | mask;
  return ((data << 10) | bchRemainder(data, FORMAT_GENERATOR, 10)) ^ FORMAT_MASK;
}

/** The 18 version bits (versions 7–40); not masked. */
export function versionBits(version: number): number {
  return (version << 12) | bchRemainder(version, VERSION_GENERATOR, 12);
}

/** Alignment pattern centre coordinates (Annex E): from 6 to size − 7, evenly spaced by an even step. */
export function alignmentPositions(version: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const last = 4 * version + 10;
  // Version 32 is the one the annex spaces by 26 rather than the rounded-up 28.
  const step = version === 32 ? 26 : Math.ceil((last - 6) / (2 * (count - 1))) * 2;
  const positions = [6];
  for (let i = count - 2; i >= 0; i--) positions.push(last - i * step);
  return positions;
}

/** Modules left for data and error correction codewords, remainder bits included (Table 1). */
export function dataModuleCount(version: number): number {
  // (4v+17)² minus finders+separators (192), format (31 with the dark module), timing (2·(size−16)).
  let modules = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const a = Math.floor(version / 7) + 2;
    modules -= (25 * a - 10) * a - 55; // a² − 3 alignment patterns, less their overlap with timing
  }
  if (version >= 7) modules -= 36;
  return modules;
}

export class QrGrid {
  readonly dark: Uint8Array;
  /** 1 where a function pattern or format/version area sits: never data, never masked. */
  readonly fixed: Uint8Array;

  constructor(readonly size: number, from?: QrGrid) {
    this.dark = from ? from.dark.slice() : new Uint8Array(size * size);
    this.fixed = from ? from.fixed.slice() : new Uint8Array(size * size);
  }

  isDark(x: number, y: number): boolean {
    return this.dark[y * this.size + x] === 1;
  }

  isFixed(x: number, y: number): boolean {
    return this.fixed[y * this.size + x] === 1;
  }

  setFunction(x: number, y: number, dark: boolean): void {
    if (x < 0 || y < 0 || x >= this.size || y >= this.size) return;
    this.dark[y * this.size + x] = dark ? 1 : 0;
    this.fixed[y * this.size + x] = 1;
  }

  rows(): boolean[][] {
    return Array.from({ length: this.size }, (_, y) => Array.from({ length: this.size }, (_, x) => this.isDark(x, y)));
  }
}

/** A grid with every function pattern drawn and the format area reserved (drawn light). */
export function functionGrid(version: number): QrGrid {
  const size = 4 * version + 17;
  const g = new QrGrid(size);
  for (let i = 0; i < size; i++) {
    g.setFunction(6, i, i % 2 === 0);
    g.setFunction(i, 6, i % 2 === 0);
  }
  for (const [fx, fy] of [[0, 0], [size - 7, 0], [0, size - 7]] as const) {
    // 7×7 finder (dark ring, light ring, 3×3 core) and its one-module light separator.
    for (let dy = -1; dy <= 7; dy++) {
      for (let dx = -1; dx <= 7; dx++) {
        const ring = Math.max(Math.abs(dx - 3), Math.abs(dy - 3));
        g.setFunction(fx + dx, fy + dy, ring !== 2 && ring !== 4);
      }
    }
  }
  const centres = alignmentPositions(version);
  const end = centres.length - 1;
  centres.forEach((cy, i) => centres.forEach((cx, j) => {
    if ((i === 0 && j === 0) || (i === 0 && j === end) || (i === end && j === 0)) return; // finder corners
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) g.setFunction(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  }));
  drawFormat(g, 0);
  g.setFunction(8, size - 8, true); // the dark module
  if (version >= 7) {
    const bits = versionBits(version);
    for (let i = 0; i < 18; i++) {
      const dark = ((bits >> i) & 1) === 1;
      const a = size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      g.setFunction(a, b, dark); // 3 wide × 6 high, left of the top-right finder
      g.setFunction(b, a, dark); // the same transposed, above the bottom-left finder
    }
  }
  return g;
}

/** Writes the 15 format bits twice: around the top-left finder, and split between the other two. */
export function drawFormat(g: QrGrid, bits: number): void {
  const n = g.size;
  const bit = (i: number) => ((bits >> i) & 1) === 1;
  for (let i = 0; i <= 5; i++) g.setFunction(8, i, bit(i));
  g.setFunction(8, 7, bit(6));
  g.setFunction(8, 8, bit(7));
  g.setFunction(7, 8, bit(8));
  for (let i = 9; i < 15; i++) g.setFunction(14 - i, 8, bit(i));
  for (let i = 0; i < 8; i++) g.setFunction(n - 1 - i, 8, bit(i));
  for (let i = 8; i < 15; i++) g.setFunction(8, n - 15 + i, bit(i));
}

/**
 * Places codewords MSB first in two-module columns, zigzagging up then down from the bottom
 * right corner and skipping the vertical timing column; bits left over stay light (remainder bits).
 */
export function placeCodewords(g: QrGrid, codewords: Uint8Array): void {
  const n = g.size;
  const total = codewords.length * 8;
  let k = 0;
  let upward = true;
  for (let col = n - 1; col > 0; col -= 2) {
    if (col === 6) col--;
    for (let step = 0; step < n; step++) {
      const y = upward ? n - 1 - step : step;
      for (const x of [col, col - 1]) {
        if (g.isFixed(x, y) || k >= total) continue;
        g.dark[y * n + x] = ((codewords[k >> 3] ?? 0) >> (7 - (k & 7))) & 1;
        k++;
      }
    }
    upward = !upward;
  }
}

/** Data mask conditions (Table 10), i = row, j = column: where true, the module is inverted. */
const MASKS: ReadonlyArray<(i: number, j: number) => boolean> = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i + j) % 2) + ((i * j) % 3)) % 2 === 0,
];

export function applyMask(g: QrGrid, mask: number): void {
  const condition = MASKS[mask];
  if (!condition) throw new RangeError(`QR mask ${mask}`);
  for (let y = 0; y < g.size; y++) {
    for (let x = 0; x < g.size; x++) {
      const i = y * g.size + x;
      if (!g.isFixed(x, y) && condition(y, x)) g.dark[i] = (g.dark[i] ?? 0) ^ 1;
    }
  }
}

const FINDER_LIKE = [1, 0, 1, 1, 1, 0, 1];

/** Penalty score of a masked symbol (§7.8.3): N1 = 3, N2 = 3, N3 = 40, N4 = 10. */
export function penalty(g: QrGrid): number {
  const n = g.size;
  let score = 0;
  for (const horizontal of [true, false]) {
    for (let a = 0; a < n; a++) {
      const at = (b: number) => (b < 0 || b >= n ? 0 : horizontal ? g.dark[a * n + b] : g.dark[b * n + a]) ?? 0;
      // Rule 1: runs of five or more of one colour in a row or column.
      let run = 1;
      for (let b = 1; b <= n; b++) {
        if (b < n && at(b) === at(b - 1)) { run++; continue; }
        if (run >= 5) score += 3 + run - 5;
        run = 1;
      }
      // Rule 3: 1:1:3:1:1 with four light modules on either side; outside the symbol counts as light.
      for (let b = -4; b < n; b++) {
        if (!FINDER_LIKE.every((v, k) => at(b + k) === v)) continue;
        if ([1, 2, 3, 4].every((k) => at(b - k) === 0)) score += 40;
        if ([7, 8, 9, 10].every((k) => at(b + k) === 0)) score += 40;
      }
    }
  }
  // Rule 2: every 2×2 block of one colour (overlapping blocks each count).
  for (let y = 0; y + 1 < n; y++) {
    for (let x = 0; x + 1 < n; x++) {
      const c = g.dark[y * n + x];
      if (c === g.dark[y * n + x + 1] && c === g.dark[(y + 1) * n + x] && c === g.dark[(y + 1) * n + x + 1]) score += 3;
    }
  }
  // Rule 4: 10 points per whole 5 % the dark share strays from 50 %.
  const dark = g.dark.reduce((s, v) => s + v, 0);
  score += 10 * Math.floor(Math.abs(20 * dark - 10 * n * n) / (n * n));
  return score;
}
