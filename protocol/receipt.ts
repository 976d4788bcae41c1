// The receipt document a POS sends with receipt.print. Amounts in minor units of `currency`.
import { z } from 'zod';
import { currencyCode, minorUnits, quantity, signedMinorUnits } from './schema.ts';

const line = z.string().max(200);

export const receiptDocumentSchema = z.object({
  currency: currencyCode(),
  /** The POS's sale number, printed on the receipt (default: the txn_id, else the print job id). */
  sale_number: z.string().min(1).max(64).optional(),
  /** When the sale happened, ISO 8601 with an offset (default: when it is printed). */
  date: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time like 2026-03-14T09:41:00+01:00' }).optional(),
  header: z.array(line).max(20).default([]),
  items: z.array(z.object({
    name: z.string().min(1).max(200),
    qty: quantity().default(1),
    amount: signedMinorUnits(),
    sku: z.string().max(64).optional(),
  })).max(500).default([]),
  subtotal: signedMinorUnits().optional(),
  discounts: z.array(z.object({ name: line, amount: minorUnits() })).max(50).default([]),
  taxes: z.array(z.object({ name: line, amount: minorUnits() })).max(20).default([]),
  total: signedMinorUnits(),
  payments: z.array(z.object({ method: line, amount: signedMinorUnits() })).max(20).default([]),
  footer: z.array(line).max(20).default([]),
});

export type ReceiptDocument = z.output<typeof receiptDocumentSchema>;
