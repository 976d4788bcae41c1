// Receipt templates: the one place that decides what goes where on the paper.
// Works in Unicode; the printer's code page (with its ASCII fallback) is encode.ts's job.
import { formatMoney, type Money } from '../../protocol/money.ts';
import type { ReceiptDocument } from '../../protocol/receipt.ts';
import type { LoyaltySection } from './loyalty-section.ts';
import type { PrintOp } from './print-ops.ts';

export const RECEIPT_WIDTHS = [32, 42, 48] as const;

/** An award the platform computes after the sale (award_pending), on the receipt and the customer display. */
export const AWARD_PENDING_TEXT = 'added later';

/** Word-wrap to width; words longer than a line are cut. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let w = word;
    while ([...w].length > width) {
      if (current) { out.push(current); current = ''; }
      out.push([...w].slice(0, width).join(''));
      w = [...w].slice(width).join('');
    }
    if (!current) current = w;
    else if ([...current].length + 1 + [...w].length <= width) current += ` ${w}`;
    else { out.push(current); current = w; }
  }
  if (current) out.push(current);
  return out.length ? out : [''];
}

/** Left text and right-aligned amount on one line; the text wraps above when too long. */
export function columns(left: string, right: string, width: number): string[] {
  const room = width - [...right].length - 1;
  const lines = wrap(left, Math.max(room, 1));
  const last = lines.pop()!;
  const pad = width - [...last].length - [...right].length;
  return [...lines, pad >= 1 ? last + ' '.repeat(pad) + right : last, ...(pad >= 1 ? [] : [right.padStart(width)])];
}

const text = (t: string, extra: Partial<Extract<PrintOp, { kind: 'text' }>> = {}): PrintOp => ({ kind: 'text', text: t, ...extra });

export interface ReceiptMeta {
  /** The sale's date and time (the document's `date`, else when it is printed). */
  at: Date;
  /** IANA zone for `at` (default: the agent's local time). */
  timeZone?: string;
  /** The document's sale_number, else its txn_id, else the print job id. */
  saleNumber: string;
  /** Printed when the document brings no header of its own (the store's name). */
  storeHeader: string[];
  /** "Till T1", right of the date. */
  till?: string;
  /** A reprint: marked COPY at the top and the bottom. */
  copy?: boolean;
}

export interface LayoutOptions {
  width: number;
  /** What the printer will actually print for a string (code page fallback), so widths are right. */
  printable?: (text: string) => string;
  /** Date and time, store header and sale number: on every receipt the agent prints. */
  meta?: ReceiptMeta;
}

/** "2026-03-14 09:41" in the given zone (local time by default). */
export function formatDateTime(at: Date, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

export function layoutReceipt(doc: ReceiptDocument, options: LayoutOptions, loyalty?: LoyaltySection, txnId?: string): PrintOp[] {
  const meta = options.meta;
  if (meta && doc.header.length === 0) doc = { ...doc, header: meta.storeHeader };
  const p = options.printable;
  if (!p) return withMeta(layoutBody(doc, options.width, loyalty, txnId), options.width, meta);
  // Convert the words first, then measure: "€" may print as "EUR" on a page without it.
  const printableDoc: ReceiptDocument = {
    ...doc,
    header: doc.header.map(p),
    items: doc.items.map((i) => ({ ...i, name: p(i.name) })),
    discounts: doc.discounts.map((d) => ({ ...d, name: p(d.name) })),
    taxes: doc.taxes.map((x) => ({ ...x, name: p(x.name) })),
    payments: doc.payments.map((x) => ({ ...x, method: p(x.method) })),
    footer: doc.footer.map(p),
  };
  const printableLoyalty = loyalty && {
    ...loyalty,
    ...(loyalty.customer ? { customer: p(loyalty.customer) } : {}),
    offers: loyalty.offers.map((o) => ({ ...o, name: p(o.name) })),
    ...(loyalty.redeemed_offers ? { redeemed_offers: loyalty.redeemed_offers.map((o) => ({ ...o, name: p(o.name) })) } : {}),
    notes: loyalty.notes.map(p),
  };
  return withMeta(layoutBody(printableDoc, options.width, printableLoyalty, txnId), options.width, meta && {
    ...meta, saleNumber: p(meta.saleNumber), ...(meta.till ? { till: p(meta.till) } : {}),
  });
}

/** Date, till and sale number under the header; COPY marks at both ends of a reprint. */
function withMeta(ops: PrintOp[], width: number, meta?: ReceiptMeta): PrintOp[] {
  if (!meta) return ops;
  const lines = [
    ...columns(formatDateTime(meta.at, meta.timeZone), meta.till ?? '', width),
    ...wrap(`Sale ${meta.saleNumber}`, width),
  ].map((l) => text(l));
  // After the header block (the centred lines at the top), before its rule.
  let at = 0;
  while (at < ops.length && ops[at]?.kind === 'text' && (ops[at] as { align?: string }).align === 'center') at++;
  const out = [...ops.slice(0, at), ...lines, ...ops.slice(at)];
  if (!meta.copy) return out;
  const mark = text('*** COPY ***', { align: 'center', bold: true });
  let end = out.length;
  while (end > 0 && out[end - 1]?.kind !== 'feed') end--;
  end = Math.max(0, end - 1);
  return [mark, ...out.slice(0, end), mark, ...out.slice(end)];
}

function layoutBody(doc: ReceiptDocument, width: number, loyalty?: LoyaltySection, txnId?: string): PrintOp[] {
  const m = (amount: number) => formatMoney({ amount, currency: doc.currency });
  const rule = text('-'.repeat(width));
  const ops: PrintOp[] = [];
  for (const [i, h] of doc.header.entries()) {
    for (const l of wrap(h, i === 0 ? Math.floor(width / 2) : width)) ops.push(text(l, { align: 'center', ...(i === 0 ? { bold: true, size: 2 as const } : {}) }));
  }
  if (doc.header.length) ops.push(rule);
  for (const item of doc.items) {
    const qty = item.qty === 1 ? '' : `${item.qty} x `;
    for (const l of columns(`${qty}${item.name}`, m(item.amount), width)) ops.push(text(l));
  }
  ops.push(rule);
  if (doc.subtotal !== undefined) for (const l of columns('Subtotal', m(doc.subtotal), width)) ops.push(text(l));
  for (const d of doc.discounts) for (const l of columns(d.name, m(-d.amount), width)) ops.push(text(l));
  for (const l of columns('TOTAL', m(doc.total), width)) ops.push(text(l, { bold: true }));
  for (const tax of doc.taxes) for (const l of columns(tax.name, m(tax.amount), width)) ops.push(text(l));
  if (doc.payments.length) ops.push(rule);
  for (const p of doc.payments) for (const l of columns(p.method, m(p.amount), width)) ops.push(text(l));
  if (loyalty) ops.push(rule, ...layoutLoyalty(loyalty, width));
  if (doc.footer.length) ops.push(rule);
  for (const f of doc.footer) for (const l of wrap(f, width)) ops.push(text(l, { align: 'center' }));
  if (txnId) ops.push({ kind: 'feed', lines: 1 }, { kind: 'qr', data: txnId }, text(txnId, { align: 'center' }));
  ops.push({ kind: 'feed', lines: 3 }, { kind: 'cut' });
  return ops;
}

export function layoutLoyalty(l: LoyaltySection, width: number): PrintOp[] {
  const m = (amount: number) => formatMoney({ amount, currency: l.currency });
  const ops: PrintOp[] = [text('LOYALTY', { align: 'center', bold: true })];
  const row = (label: string, amount: number) => { for (const t of columns(label, m(amount), width)) ops.push(text(t)); };
  if (l.customer) for (const t of wrap(`Customer: ${l.customer}`, width)) ops.push(text(t));
  const pointsRow = (label: string, p: Money, bold = false) => { for (const t of columns(label, formatMoney(p), width)) ops.push(text(t, bold ? { bold } : {})); };
  if (l.awarded !== undefined) row('Awarded', l.awarded);
  // Not known when the sale was sent (SessionM): the customer is told so, not "Awarded 0.00".
  if (l.award_pending) for (const t of columns('Points', AWARD_PENDING_TEXT, width)) ops.push(text(t));
  for (const o of l.offers) {
    if (o.points) pointsRow(`+ ${o.name}`, o.points);
    else row(`+ ${o.name}`, o.award_amount);
  }
  for (const p of l.points ?? []) pointsRow('Points earned', p);
  if (l.instant_spend) row('Instant spend', -l.instant_spend);
  if (l.automatic_spend) row('Automatic spend', -l.automatic_spend);
  if (l.additional_spend) row('Additional spend', -l.additional_spend);
  if (l.redemption_total) row('Redemption total', -l.redemption_total);
  for (const o of l.redeemed_offers ?? []) row(`Offer: ${o.name}`, -o.discount_amount);
  for (const v of l.vouchers ?? []) row(`Refund voucher ${v.code}`, v.amount);
  if (l.refund) {
    row('Returned', -l.refund.returned);
    if (l.refund.reversed_award) row('Award reversed', -l.refund.reversed_award);
    for (const p of l.refund.reversed_points ?? []) pointsRow('Points reversed', { amount: -p.amount, currency: p.currency });
    if (l.refund.credited_spend) row('Spend credited back', l.refund.credited_spend);
  }
  // With the award still to come the balance is the last one known: it may not count this sale's points yet.
  if (l.balance !== undefined) for (const t of columns(l.award_pending ? 'Balance' : 'New balance', m(l.balance), width)) ops.push(text(t, { bold: true }));
  for (const p of l.points_balances ?? []) pointsRow('Points balance', p, true);
  for (const note of l.notes) for (const t of wrap(`* ${note}`, width)) ops.push(text(t));
  return ops;
}
