// Print ops → ESC/POS bytes for one printer (its code page; unmappable text falls back
// to ASCII in the encoder, never to garbage).
import { codePage, decodeText, encodeText } from '../../drivers/code-pages.ts';
import { EscPos } from '../../drivers/escpos-encoder.ts';
import type { PrintOp } from './print-ops.ts';

export function encodeEscPos(ops: PrintOp[], options: { codePage: string; codePageNumber?: number }): Buffer {
  const p = new EscPos(options).init().selectCodePage();
  for (const op of ops) {
    switch (op.kind) {
      case 'text':
        p.align(op.align ?? 'left').bold(Boolean(op.bold)).doubleSize(op.size === 2).line(op.text);
        if (op.bold) p.bold(false);
        if (op.size === 2) p.doubleSize(false);
        break;
      case 'feed':
        p.feed(op.lines);
        break;
      case 'qr':
        p.align('center').qr(op.data, { size: 6, level: 'M' }).align('left');
        break;
      case 'barcode':
        p.align('center').barcode128(op.data, { hri: 'below' }).align('left');
        break;
      case 'cut':
        p.cut();
        break;
      case 'drawer':
        p.drawer(0);
        break;
    }
  }
  return p.build();
}

/** The text a printer with this code page will actually print (used by the layout to measure). */
export function printableIn(pageName: string): (text: string) => string {
  const page = codePage(pageName);
  return (text) => decodeText(encodeText(text, page), page);
}
