// Layout → ESC/POS bytes → the interpreter, line by line, in the code pages that matter.
import t from 'tap';
import { interpret } from '../../../drivers/escpos-interpreter.ts';
import { layoutReceipt } from '../../../agent/receipts/layout.ts';
import { encodeEscPos } from '../../../agent/receipts/encode.ts';
import { receiptDocumentSchema } from '../../../protocol/receipt.ts';
import { printableIn } from '../../../agent/receipts/encode.ts';

const doc = receiptDocumentSchema.parse({
  currency: 'EUR',
  header: ['Café', 'Straße 1'],
  items: [{ name: 'Piña colada', amount: 650 }, { name: 'Müsli', amount: 350 }],
  total: 1000,
  payments: [{ method: 'Cash €', amount: 1000 }],
});

t.test('CP858: €, ü, ñ print and decode back exactly', async (t) => {
  const bytes = encodeEscPos(layoutReceipt(doc, { width: 32, printable: printableIn('cp858') }, undefined, 'sale-7'), { codePage: 'cp858' });
  const lines = interpret(bytes, { columns: 32 }).lines;
  t.ok(lines.some((l) => l.includes('Piña colada')), 'ñ');
  t.ok(lines.some((l) => l.includes('Müsli')), 'ü');
  t.ok(lines.some((l) => /Cash € +10\.00 EUR/.test(l)), '€');
  t.ok(lines.some((l) => l.includes('[QR sale-7]')), 'QR code of the txn id');
});

t.test('CP437 has no €: it falls back to ASCII, never garbage', async (t) => {
  const bytes = encodeEscPos(layoutReceipt(doc, { width: 32, printable: printableIn('cp437') }), { codePage: 'cp437' });
  const lines = interpret(bytes, { columns: 32 }).lines;
  t.ok(lines.some((l) => l.includes('Piña colada')), 'ñ exists in CP437');
  t.ok(lines.some((l) => /Cash EUR +10\.00 EUR/.test(l)), '€ transliterated');
  t.notOk(lines.join('\n').includes('\uFFFD'), 'no replacement characters');
});
