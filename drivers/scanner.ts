// Barcode scanner: lines from the transport → parseBarcode → `scan {kind: "barcode"}`.
import { parseBarcode, type BarcodeOptions } from './barcode.ts';
import { LineReader, type LineParse, type LineReaderOptions } from './line-reader.ts';

export type ScannerOptions = Omit<LineReaderOptions, 'kind' | 'parse'> & { barcode?: BarcodeOptions };

export function createBarcodeScanner(options: ScannerOptions): LineReader {
  const { barcode, ...rest } = options;
  return new LineReader({
    ...rest,
    kind: 'barcode-scanner',
    parse: (line) => parseScannerLine(line, barcode),
  });
}

export function parseScannerLine(line: string, options?: BarcodeOptions): LineParse {
  const result = parseBarcode(line, options);
  if (!result.ok) return result;
  return { ok: true, scan: { kind: 'barcode', data: result.data, ...(result.symbology ? { symbology: result.symbology } : {}) } };
}
