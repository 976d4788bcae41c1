// Magnetic-stripe card reader: lines → parseSwipe → `scan {kind: "card", data}` for loyalty
// cards, `scan {kind: "payment_card", masked}` for payment cards (never the PAN), or
// `scan_error {reason}` for garbage and partial swipes.
import { LineReader, type LineParse, type LineReaderOptions } from './line-reader.ts';
import { parseSwipe } from './msr-tracks.ts';

export type CardReaderOptions = Omit<LineReaderOptions, 'kind' | 'parse'>;

export function createCardReader(options: CardReaderOptions): LineReader {
  return new LineReader({
    ...options,
    kind: 'card-reader',
    parse: parseCardLine,
  });
}

export function parseCardLine(line: string): LineParse {
  const result = parseSwipe(line);
  if (!result.ok) return result;
  if (result.kind === 'payment_card') return { ok: true, scan: { kind: 'payment_card', masked: result.masked } };
  return { ok: true, scan: { kind: 'card', data: result.data } };
}
