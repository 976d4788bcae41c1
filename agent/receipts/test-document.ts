// The print test receipt (till-agent print-test, the status page's button): code pages, a
// wrapped long name, rulers that show the printer's width. Nothing is sold.
import type { ReceiptDocument } from '../../protocol/receipt.ts';

/** "42:------1---------2---------3---------4-|": n columns, tens marked, "|" in the last one. */
export function ruler(n: number): string {
  const label = `${n}:`;
  let out = label;
  for (let col = label.length + 1; col <= n; col++) out += col === n ? '|' : col % 10 === 0 ? String((col / 10) % 10) : '-';
  return out;
}

/** The test receipt; amounts are there to show the right-aligned column, nothing is sold. */
export function testDocument(printer: string, now: Date): ReceiptDocument {
  return {
    currency: 'EUR',
    header: ['PRINT TEST', `printer ${printer}`, now.toISOString().replace('T', ' ').slice(0, 19) + ' UTC'],
    items: [
      { name: 'Euro sign: €', qty: 1, amount: 100 },
      { name: 'German: Grüße aus Zürich, Straße', qty: 1, amount: 200 },
      { name: 'Spanish: Año, señor, niño', qty: 2, amount: 300 },
      { name: 'French: café, élève, garçon', qty: 1, amount: 400 },
      { name: 'A long item name that has to wrap onto a second line on every printer width', qty: 1, amount: 500 },
    ],
    discounts: [],
    taxes: [],
    total: 1500,
    payments: [{ method: 'No sale (test)', amount: 1500 }],
    footer: ['Width = the longest ruler', 'printed on one line:', ruler(32), ruler(42), ruler(48), 'End of print test'],
  };
}
