// The status page's money, as text made here: the page is plain JS with no build step, and
// dividing minor units by 100 there was wrong for every currency without two decimals (JPY, KWD, CLF).
import { formatMoney, type Money } from '../../protocol/money.ts';

/** "12.34 EUR, 1500 JPY", or "none". */
export function moneyText(amounts: readonly Money[]): string {
  return amounts.length === 0 ? 'none' : amounts.map(formatMoney).join(', ');
}
