// The receipt document a POS sends with receipt.print. Amounts in minor units of `currency`.
import { z } from 'zod';
import { currencyCode, freeText, minorUnits, quantity, signedMinorUnits } from './schema.ts';

// Free text: a payment card number in any line is refused (never printed in clear).
const line = freeText(200);

export const receiptDocumentSchema = z.object({
  currency: currencyCode(),
  /** The POS's sale number, printed on the receipt (default: the txn_id, else the print job id). */
  sale_number: freeText(64).min(1).optional(),
  /** When the sale happened, ISO 8601 with an offset (default: when it is printed). */
  date: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time like 2026-03-14T09:41:00+01:00' }).optional(),
  header: z.array(line).max(20).default([]),
  items: z.array(z.object({
    name: freeText(200).min(1),
    qty: quantity().default(1),
    amount: signedMinorUnits(),
    sku: freeText(64).optional(),
  })).max(500).default([]),
  subtotal: signedMinorUnits().optional(),
  discounts: z.array(z.object({ name: line, amount: minorUnits() })).max(50).default([]),
  taxes: z.array(z.object({ name: line, amount: minorUnits() })).max(20).default([]),
  total: signedMinorUnits(),
  payments: z.array(z.object({ method: line, amount: signedMinorUnits() })).max(20).default([]),
  footer: z.array(line).max(20).default([]),
});

export type ReceiptDocument = z.output<typeof receiptDocumentSchema>;
