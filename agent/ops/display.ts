// display.show and "follow the sale": what the customer display shows. The POS sends two rows,
// or an item and the total for the agent to lay out; displays with follow_sale also show the
// last item and total of each preview, then the points and the new balance after an award, and
// what a spend or a void took and the balance after it (the balance an award showed is stale then).
import { isDriverError } from '../../drivers/errors.ts';
import type { LineDisplay } from '../../drivers/line-display.ts';
import type { Basket } from '../../protocol/basket.ts';
import { AgentError } from '../../protocol/errors.ts';
import type { AwardResult, Params, SpendResult, VoidResult } from '../../protocol/local.ts';
import type { Money } from '../../protocol/money.ts';
import { formatMoney } from '../../protocol/money.ts';
import { AWARD_PENDING_TEXT, columns } from '../receipts/layout.ts';
import type { OpsContext } from './context.ts';
import { asAgentError } from './devices.ts';

function displayOf(ctx: OpsContext, name: string | undefined): LineDisplay {
  const display = ctx.devices.display(name);
  if (display) return display;
  if (name) throw new AgentError('NOT_FOUND', `no display named ${name} is configured`);
  throw new AgentError('DEVICE_UNAVAILABLE', 'no customer display is configured on this till');
}

/** "Label        12.50 EUR" on one row of the display: the amount wins, the label is cut. */
export function row(label: string, amount: string, width: number): string {
  const room = Math.max(0, width - [...amount].length - 1);
  const cut = [...label].slice(0, room).join('');
  return columns(cut, amount, width)[0] ?? amount;
}

export function saleRows(width: number, currency: string, item?: { name: string; amount: number }, total?: number): [string, string] {
  const m = (amount: number) => formatMoney({ amount, currency });
  return [item ? row(item.name, m(item.amount), width) : '', total !== undefined ? row('TOTAL', m(total), width) : ''];
}

export async function displayShow(ctx: OpsContext, p: Params<'display.show'>) {
  const display = displayOf(ctx, p.display);
  const rows: [string, string] = p.lines
    ? [p.lines[0] ?? '', p.lines[1] ?? '']
    : saleRows(display.page.columns, p.currency ?? '', p.item, p.total);
  try {
    return { display: display.name, lines: await display.show(rows) };
  } catch (error) {
    throw asAgentError(error);
  }
}

/** The second row after a loyalty answer: the balance when the answer has one. */
function balanceRow(balance: Money | undefined, width: number): string {
  return balance ? row('Balance', formatMoney(balance), width) : 'Thank you!';
}

/** After a spend or a void: what it took (a back-end spend: the voucher credited) and the balance. */
function afterSale(op: string, result: unknown, width: number): [string, string] | undefined {
  if (op === 'spend') {
    const r = result as SpendResult;
    const first = r.voucher
      ? row('Voucher', formatMoney(r.voucher), width)
      : row('Spent', `${r.spent_amount > 0 ? '-' : ''}${formatMoney({ amount: r.spent_amount, currency: r.currency })}`, width);
    return [first, balanceRow(r.balance, width)];
  }
  if (op === 'void') return ['Sale voided', balanceRow((result as VoidResult).balance, width)];
  return undefined;
}

/** After an op: displays with follow_sale show the basket's last item and total, then the award, a spend, a void. */
export function followSale(ctx: OpsContext, op: string, params: unknown, result: unknown): void {
  const displays = ctx.devices.followers();
  if (displays.length === 0) return;
  for (const display of displays) {
    const width = display.page.columns;
    let rows: [string, string] | undefined;
    if (op === 'preview' || (op === 'award' && (result as AwardResult).status === 'queued')) {
      const basket = (params as { basket: Basket }).basket;
      const last = basket.items.at(-1);
      rows = saleRows(width, basket.currency, last && { name: last.name ?? last.sku, amount: last.amount }, basket.total);
    }
    if (op === 'award' && (result as AwardResult).status === 'awarded') {
      const r = result as AwardResult;
      const m = (amount: number) => formatMoney({ amount, currency: r.currency });
      // An award the platform computes later (SessionM) is not "+0.00": it is shown as to come.
      const points = r.award_pending ? AWARD_PENDING_TEXT : `+${m(r.award_amount ?? 0)}`;
      rows = [row('Points', points, width), balanceRow(r.balance, width)];
    }
    rows ??= afterSale(op, result, width);
    if (!rows) continue;
    display.show(rows).catch((error: unknown) => {
      // The sale goes on without the display; the failure is visible in the log and devices.list.
      ctx.log.warn({ display: display.name, reason: isDriverError(error) ? error.reason : String(error) }, 'customer display not updated');
    });
  }
}
