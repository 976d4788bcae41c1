// A receipt document rebuilt from what the till recorded of a sale (the award's basket) or of a
// return (the refund's items), for `till-agent receipt preview`. Payments are shown when the basket carried them (protocol 2).
import type { Basket } from '../../protocol/basket.ts';
import type { ReceiptDocument } from '../../protocol/receipt.ts';
import type { OutboxRow } from '../upstream/outbox.ts';

/** null when the till has no record of the sale at all. */
export function saleDocument(rows: OutboxRow[], header: string[]): ReceiptDocument | null {
  if (rows.length === 0) return null;
  const basket = rows.find((r) => r.op === 'award')?.payload.basket as Basket | undefined;
  const footer = ["Preview from the till's records"];
  const refund = rows.find((r) => r.op === 'refund');
  if (!basket && refund) {
    // A return (its refund_id): the lines that came back, negative, as the POS prints a return.
    const items = (refund.payload.items as Array<{ sku: string; qty: number; amount: number }> | undefined) ?? [];
    const sale = refund.payload.sale_txn_id;
    return {
      currency: refund.currency ?? 'EUR',
      header,
      items: items.map((i) => ({ name: i.sku, qty: i.qty, amount: -i.amount, sku: i.sku })),
      discounts: [],
      taxes: [],
      total: -items.reduce((sum, i) => sum + i.amount, 0),
      payments: [],
      footer: [...(typeof sale === 'string' ? [`Return of sale ${sale}`] : []), ...footer],
    };
  }
  if (!basket) {
    // A spend or void without an award on this till: only the loyalty section is known.
    const currency = rows.find((r) => r.currency)?.currency ?? 'EUR';
    return { currency, header, items: [], discounts: [], taxes: [], total: 0, payments: [], footer: ['No basket recorded for this sale', ...footer] };
  }
  const discounts = (basket.discounts ?? []).map((d) => ({ name: d.code, amount: d.amount }));
  return {
    currency: basket.currency,
    header,
    items: basket.items.map((i) => ({ name: i.name ?? i.sku, qty: i.qty, amount: i.amount, sku: i.sku })),
    ...(discounts.length ? { subtotal: basket.items.reduce((sum, i) => sum + i.amount, 0) } : {}),
    discounts,
    taxes: basket.tax_total !== undefined ? [{ name: 'Tax', amount: basket.tax_total }] : [],
    total: basket.total,
    payments: (basket.payments ?? []).map((x) => ({ method: x.method, amount: x.amount })),
    footer,
  };
}
