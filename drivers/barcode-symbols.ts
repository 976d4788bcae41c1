// Barcode and QR modules for receipt previews, from bwip-js (Barcode Writer in Pure PostScript):
// the PNG shows symbols that scan like the printer's. The printer draws its own; only the
// preview uses these.
import bwipjs from 'bwip-js';
import type { QrErrorLevel } from './escpos-encoder.ts';

export interface Matrix {
  size: number;
  /** Rows of modules, true = dark. */
  modules: boolean[][];
}

/**
 * QR code (model 2) of `data` at `level`. Non-ASCII text gets an ECI 26 (UTF-8) header:
 * without it byte mode means ISO-8859-1 and decoders guess (zbar reads short UTF-8 as Shift JIS).
 * Throws when the data fits no version.
 */
export function qrMatrix(data: string, level: QrErrorLevel): Matrix {
  const ascii = /^[\x20-\x7e]*$/.test(data);
  // With parsefnc, "^" starts a function character: a literal one is "^^".
  const text = ascii ? data : `^ECI000026${data.replace(/\^/g, '^^')}`;
  const [symbol] = bwipjs.raw('qrcode', text, `eclevel=${level}${ascii ? '' : ' parsefnc'}`) as Array<{ pixs: number[]; pixx: number; pixy: number }>;
  if (!symbol?.pixs) throw new Error('no QR symbol');
  const size = symbol.pixx;
  return { size, modules: Array.from({ length: symbol.pixy }, (_, y) => Array.from({ length: size }, (_, x) => symbol.pixs[y * size + x] === 1)) };
}

// The interpreter's names (GS k m) → bwip-js encoder names.
const LINEAR: Readonly<Record<string, string>> = {
  'UPC-A': 'upca', 'UPC-E': 'upce', EAN13: 'ean13', EAN8: 'ean8', CODE39: 'code39', ITF: 'interleaved2of5',
  CODABAR: 'rationalizedCodabar', CODE93: 'code93', CODE128: 'code128', 'GS1-128': 'gs1-128',
};

export function linearSymbologies(): string[] {
  return Object.keys(LINEAR);
}

/** Bar modules (true = bar) of a 1D symbol; throws when the data is not valid for it. */
export function linearModules(symbology: string, data: string): boolean[] {
  const bcid = LINEAR[symbology];
  if (!bcid) throw new Error(`${symbology} is not drawn`);
  const [symbol] = bwipjs.raw(bcid, data, bcid === 'code39' ? { includecheck: false } : {}) as Array<{ sbs: number[] }>;
  if (!symbol?.sbs) throw new Error(`no ${symbology} symbol`);
  const modules: boolean[] = [];
  symbol.sbs.forEach((w, i) => { for (let k = 0; k < Math.round(w); k++) modules.push(i % 2 === 0); });
  return modules;
}
