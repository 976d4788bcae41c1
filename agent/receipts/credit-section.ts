// The receipt lines of refund vouchers and returns, from the outbox rows of one sale or return.
// A back-end sale prints its voucher (code and amount: the customer paid in full and is credited
// this voucher, CRM.COM guide: "credit him through a payment gateway system or by generating a
// refund voucher"); a return (receipt.print with the refund_id) prints what came back.
import { isPointsUnit, type Money } from '../../protocol/money.ts';
import { resultOf } from '../upstream/host-results.ts';
import type { OutboxRow } from '../upstream/outbox.ts';

export interface VoucherLine {
  code: string;
  amount: number;
  state: 'issued' | 'voided' | 'redeemed';
}

export interface RefundLines {
  returned: number;
  reversed_award: number;
  credited_spend: number;
  /** Points the return took back, per points unit (printed as whole points). */
  reversed_points?: Money[];
  queued: boolean;
}

export interface CreditLines {
  vouchers: VoucherLine[];
  refund?: RefundLines;
  balance?: number;
  /** Points wallets after the return. */
  points_balances?: Money[];
  notes: string[];
}

/** A done row whose answer the till could not read (host-results.ts): applied by the host, amounts unknown here. */
export const UNREADABLE_NOTE = 'The loyalty host\'s answer could not be read; staff have been notified';

const pointsOf = (v: Money[] | undefined): Money[] => (v ?? []).filter((p) => isPointsUnit(p.currency));

/** A payload field (what the till sent, not an answer). */
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

export function creditLines(rows: OutboxRow[]): CreditLines {
  const out: CreditLines = { vouchers: [], notes: [] };
  const voided = rows.find((r) => r.op === 'void' && r.state === 'done');
  const after = voided ? resultOf(voided, 'void')?.vouchers : undefined;
  // The award's voucher (back_end redemption) and those of online spends on the same sale.
  for (const row of rows) {
    const v = resultOf(row, 'award')?.voucher ?? resultOf(row, 'spend')?.voucher;
    if (!v) continue;
    const s = after?.find((x) => x.code === v.code)?.state;
    const state = s === 'voided' ? 'voided' : s === 'redeemed' ? 'redeemed' : 'issued';
    out.vouchers.push({ code: v.code, amount: v.amount, state });
  }
  const states = new Set(out.vouchers.map((v) => v.state));
  if (states.has('issued')) out.notes.push('Refund voucher: present this code at your next purchase (valid once)');
  if (states.has('voided')) out.notes.push('Refund voucher voided with this sale');
  if (states.has('redeemed')) out.notes.push('Refund voucher already redeemed');
  const refund = rows.find((r) => r.op === 'refund');
  if (refund) {
    const items = refund.payload.items as Array<{ amount: number }> | undefined;
    const returned = (items ?? []).reduce((sum, i) => sum + num(i.amount), 0);
    const r = resultOf(refund, 'refund');
    out.refund = {
      returned,
      reversed_award: r?.reversed_award_amount ?? 0,
      credited_spend: r?.credited_spend_amount ?? 0,
      queued: refund.state === 'pending',
    };
    const points = pointsOf(r?.reversed_points).filter((p) => p.amount > 0);
    if (points.length > 0) out.refund.reversed_points = points;
    if (r?.balance) out.balance = r.balance.amount;
    const balances = pointsOf(r?.wallets);
    if (balances.length > 0) out.points_balances = balances;
    if (refund.state === 'done' && !r) out.notes.push(UNREADABLE_NOTE);
    if (refund.state === 'pending') out.notes.push('Return queued offline; points adjusted when the till reconnects');
    if (refund.state === 'dead') out.notes.push('Points for this return could not be adjusted; staff have been notified');
  }
  return out;
}
