// The status page's money, as text made here: the page is plain JS with no build step, and
// dividing minor units by 100 there was wrong for every currency without two decimals (JPY, KWD, CLF).
import { formatMoney, type Money } from '../../protocol/money.ts';
import type { OfflineStatus } from '../offline-policy.ts';

/** "12.34 EUR, 1500 JPY", or "none". */
export function moneyText(amounts: readonly Money[]): string {
  return amounts.length === 0 ? 'none' : amounts.map(formatMoney).join(', ');
}

/**
 * The offline limits as the technician sets them (the config's keys), the amounts in each
 * currency the till takes: a limit is in minor units of whichever currency a spend is in, so
 * 2000 is "20.00 EUR" or "2000 JPY". With no currency known yet (none configured, none learnt
 * from the host, nothing spent), the minor units, said so.
 */
export function limitsText(limits: OfflineStatus['limits'], currencies: readonly string[]): string {
  const amount = (minor: number) => currencies.length === 0
    ? `${minor} (minor units)`
    : currencies.map((currency) => formatMoney({ amount: minor, currency })).join(' / ');
  return [
    `spend_floor_limit ${limits.spend_floor_limit === 0 ? '0 (offline spend disabled)' : amount(limits.spend_floor_limit)}`,
    `total_spend_limit ${amount(limits.total_spend_limit)}`,
    `total_spend_count ${limits.total_spend_count}`,
    `max_age_s ${limits.max_age_s} (${duration(limits.max_age_s)})`,
  ].join(', ');
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
  const minutes = Math.floor((seconds % 3600) / 60);
  return `${Math.floor(seconds / 3600)} h${minutes ? ` ${minutes} min` : ''}`;
}
