// What the host answered a delivered message, in one line of `till-agent outbox list --state done`:
// the question a support engineer is asked is "did the customer get their points?", and the answer
// is the award (money and points), the spend, the reversal and the balance after it. Read from the
// row's stored result (protocol/upstream.ts hostResultSchemas); fields a result lacks are left out.
import { formatMoney } from '../../protocol/money.ts';

type Result = Record<string, unknown>;
interface Amount { amount: number; currency: string }

const isAmount = (v: unknown): v is Amount =>
  typeof v === 'object' && v !== null && Number.isInteger((v as Amount).amount) && typeof (v as Amount).currency === 'string';

/** `amount` of the result's currency, when both are there. */
function moneyOf(result: Result, key: string): string | undefined {
  const amount = result[key];
  const currency = result.currency;
  return Number.isInteger(amount) && typeof currency === 'string' ? formatMoney({ amount: amount as number, currency }) : undefined;
}

/** "1.16 EUR + 37 PTS": money, then each points unit. */
function withPoints(money: string | undefined, points: unknown): string | undefined {
  const units = Array.isArray(points) ? points.filter(isAmount).map(formatMoney) : [];
  const parts = [money, ...units].filter((p): p is string => p !== undefined);
  return parts.length > 0 ? parts.join(' + ') : undefined;
}

/** "balance 25.66 EUR, 287 PTS": every wallet when the answer lists them, else the balance. */
function balanceOf(result: Result): string | undefined {
  const wallets = Array.isArray(result.wallets) ? result.wallets.filter(isAmount) : [];
  if (wallets.length > 0) return `balance ${wallets.map(formatMoney).join(', ')}`;
  return isAmount(result.balance) ? `balance ${formatMoney(result.balance)}` : undefined;
}

function join(parts: Array<string | false | undefined>): string {
  return parts.filter((p): p is string => typeof p === 'string' && p !== '').join(', ');
}

/** The host's answer to a delivered `op`, in words; '' when there is nothing to say. */
export function describeAnswer(op: string, result: unknown): string {
  if (typeof result !== 'object' || result === null) return '';
  const r = result as Result;
  const spent = Number.isInteger(r.total_spend_amount) && (r.total_spend_amount as number) > 0 && moneyOf(r, 'total_spend_amount');
  switch (op) {
    case 'award':
      return join([
        `award ${withPoints(moneyOf(r, 'award_amount'), r.points) ?? '?'}${r.award_pending === true ? ' (computed later by the platform)' : ''}`,
        spent && `spent ${spent}`,
        isAmount(r.voucher) && `voucher ${formatMoney(r.voucher)}`,
        balanceOf(r),
      ]);
    case 'spend':
      return join([`spent ${moneyOf(r, 'spent_amount') ?? '?'}`, isAmount(r.voucher) && `voucher ${formatMoney(r.voucher)}`, balanceOf(r)]);
    case 'void':
      return join([
        `reversed award ${withPoints(moneyOf(r, 'reversed_award_amount') ?? String(r.reversed_award_amount ?? '?'), r.reversed_points)}`,
        `spend ${moneyOf(r, 'reversed_spend_amount') ?? String(r.reversed_spend_amount ?? '?')}`,
        balanceOf(r),
      ]);
    case 'refund':
      return join([
        `returned ${moneyOf(r, 'returned_amount') ?? '?'}`,
        `reversed award ${withPoints(moneyOf(r, 'reversed_award_amount'), r.reversed_points) ?? '?'}`,
        Number.isInteger(r.credited_spend_amount) && (r.credited_spend_amount as number) > 0 && `credited ${moneyOf(r, 'credited_spend_amount')}`,
        balanceOf(r),
      ]);
    case 'redeem':
      return r.status === 'redeemed' ? `redeemed ${String(r.offer_id)}, discount ${moneyOf(r, 'discount_amount') ?? '?'}` : `refused ${String(r.code ?? r.status)}`;
    case 'reinstate':
      return `reinstated ${String(r.offer_id)}, discount ${moneyOf(r, 'reinstated_discount_amount') ?? '?'}`;
    case 'voucher.redeem':
      return r.redeemed === true && isAmount(r.voucher) ? `voucher redeemed ${formatMoney(r.voucher)}` : `refused ${String(r.code ?? '?')}`;
    case 'products.sync':
      return join([`accepted ${String(r.accepted)}`, r.deleted !== undefined && `deleted ${String(r.deleted)}`]);
    default:
      return '';
  }
}
