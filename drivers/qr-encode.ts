// QR Code (model 2, ISO/IEC 18004) encoder for receipt previews: one byte-mode segment, the
// smallest of versions 1–40 that holds it at the requested error correction level, Reed–Solomon
// blocks interleaved, and the mask with the lowest penalty. Text that is not plain ASCII gets an
// ECI 26 (UTF-8) header: byte mode otherwise means ISO-8859-1, and decoders guessing otherwise
// read short UTF-8 as Shift JIS (zbar does). An Epson printer's GS ( k adds no ECI, so its symbol
// differs from the preview's; for ASCII data both scan to the same text.
import type { QrErrorLevel } from './escpos-encoder.ts';
import { applyMask, dataModuleCount, drawFormat, formatBits, functionGrid, penalty, placeCodewords, QrGrid } from './qr-matrix.ts';
import { rsRemainder } from './qr-reed-solomon.ts';

export const QR_LEVELS: readonly QrErrorLevel[] = ['L', 'M', 'Q', 'H'];

// Table 9, versions 1–40: error correction codewords per block, and the number of blocks.
const EC_PER_BLOCK: Readonly<Record<QrErrorLevel, readonly number[]>> = {
  L: [7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
  M: [10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
  Q: [13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
  H: [17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
};
const BLOCKS: Readonly<Record<QrErrorLevel, readonly number[]>> = {
  L: [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
  M: [1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
  Q: [1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
  H: [1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
};

const MODE_BYTE = 0b0100;
const MODE_ECI = 0b0111;
const ECI_UTF8 = 26;
const ECI_HEADER_BITS = 4 + 8;
const PAD = [0xec, 0x11];

export interface QrSymbol {
  version: number;
  level: QrErrorLevel;
  mask: number;
  size: number;
  /** modules[y][x], true = dark; no quiet zone. */
  modules: boolean[][];
}

export interface QrEncodeOptions {
  level?: QrErrorLevel;
  /** Use this mask (0–7) instead of the lowest-penalty one. */
  mask?: number;
}

export const totalCodewords = (version: number) => Math.floor(dataModuleCount(version) / 8);
const at = (table: readonly number[], version: number) => table[version - 1] ?? 0;

/** Data codewords (after error correction is taken out) of a version and level. */
export function dataCodewordCount(version: number, level: QrErrorLevel): number {
  return totalCodewords(version) - at(EC_PER_BLOCK[level], version) * at(BLOCKS[level], version);
}

const countBits = (version: number) => (version <= 9 ? 8 : 16);

/** The most bytes one byte-mode segment (after an ECI header, if `eci`) can carry in this version and level. */
export function byteCapacity(version: number, level: QrErrorLevel, eci = false): number {
  const bits = dataCodewordCount(version, level) * 8 - (eci ? ECI_HEADER_BITS : 0) - 4 - countBits(version);
  return Math.min(Math.floor(bits / 8), 2 ** countBits(version) - 1);
}

/**
 * [ECI 26,] mode indicator, character count, data, terminator, zero bits to a byte boundary,
 * then 0xEC 0x11 pad codewords.
 */
export function dataCodewords(data: Uint8Array, version: number, level: QrErrorLevel, eci = false): Uint8Array {
  const capacity = dataCodewordCount(version, level);
  if (data.length > byteCapacity(version, level, eci)) throw new RangeError(`${data.length} bytes do not fit QR version ${version}-${level}`);
  const out = new Uint8Array(capacity);
  let bit = 0;
  const put = (value: number, width: number) => {
    for (let i = width - 1; i >= 0; i--, bit++) if ((value >> i) & 1) out[bit >> 3] = (out[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  };
  if (eci) { put(MODE_ECI, 4); put(ECI_UTF8, 8); } // designators below 128 take one byte
  put(MODE_BYTE, 4);
  put(data.length, countBits(version));
  for (const byte of data) put(byte, 8);
  bit += Math.min(4, capacity * 8 - bit); // terminator 0000, shortened when the symbol is full
  for (let i = Math.ceil(bit / 8), p = 0; i < capacity; i++, p++) out[i] = PAD[p % 2] ?? 0;
  return out;
}

/**
 * Splits data codewords into blocks (the shorter blocks first, each later block one codeword
 * longer), adds each block's Reed–Solomon codewords, and interleaves: data column by column, then EC.
 */
export function interleave(data: Uint8Array, version: number, level: QrErrorLevel): Uint8Array {
  const blocks = at(BLOCKS[level], version);
  const ecLength = at(EC_PER_BLOCK[level], version);
  const total = totalCodewords(version);
  const shortBlocks = blocks - (total % blocks);
  const shortData = Math.floor(total / blocks) - ecLength;
  const parts: { data: Uint8Array; ec: Uint8Array }[] = [];
  for (let b = 0, offset = 0; b < blocks; b++) {
    const length = shortData + (b < shortBlocks ? 0 : 1);
    const part = data.subarray(offset, offset + length);
    parts.push({ data: part, ec: rsRemainder(part, ecLength) });
    offset += length;
  }
  const out: number[] = [];
  for (let i = 0; i <= shortData; i++) for (const p of parts) if (i < p.data.length) out.push(p.data[i] ?? 0);
  for (let i = 0; i < ecLength; i++) for (const p of parts) out.push(p.ec[i] ?? 0);
  return Uint8Array.from(out);
}

/** The symbol for already interleaved codewords: placed, masked (the given mask or the best), formatted. */
export function buildSymbol(codewords: Uint8Array, version: number, level: QrErrorLevel, mask?: number): QrSymbol {
  const base = functionGrid(version);
  placeCodewords(base, codewords);
  let best: { mask: number; score: number; grid: QrGrid } | undefined;
  for (const m of mask === undefined ? [0, 1, 2, 3, 4, 5, 6, 7] : [mask]) {
    const grid = new QrGrid(base.size, base);
    applyMask(grid, m);
    drawFormat(grid, formatBits(level, m));
    const score = mask === undefined ? penalty(grid) : 0;
    if (!best || score < best.score) best = { mask: m, score, grid };
  }
  if (!best) throw new RangeError(`QR mask ${mask}`);
  return { version, level, mask: best.mask, size: best.grid.size, modules: best.grid.rows() };
}

/**
 * Encodes text (as UTF-8, with ECI 26 unless plain ASCII) or bytes (as they are, no ECI) in the
 * smallest version that fits; RangeError beyond version 40.
 */
export function encodeQr(data: string | Uint8Array, options: QrEncodeOptions = {}): QrSymbol {
  const level = options.level ?? 'M';
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const eci = typeof data === 'string' && bytes.some((b) => b >= 0x80);
  if (options.mask !== undefined && !(Number.isInteger(options.mask) && options.mask >= 0 && options.mask <= 7)) {
    throw new RangeError(`QR mask must be 0–7, got ${options.mask}`);
  }
  for (let version = 1; version <= 40; version++) {
    if (bytes.length > byteCapacity(version, level, eci)) continue;
    return buildSymbol(interleave(dataCodewords(bytes, version, level, eci), version, level), version, level, options.mask);
  }
  throw new RangeError(`QR data of ${bytes.length} bytes exceeds the ${byteCapacity(40, level, eci)}-byte capacity of version 40-${level}`);
}
