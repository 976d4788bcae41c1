// The basket currencies the loyalty host accepts, so a basket in another unit is refused at the
// till (BAD_REQUEST, nothing committed) instead of being queued and dead-lettered by the host.
// Configured (`currencies`) wins; otherwise learnt from the host's identify and preview answers
// and kept in the meta table across restarts. Knowing nothing yet, the till lets the host decide.
import { AgentError } from '../../protocol/errors.ts';
import { isPointsUnit } from '../../protocol/money.ts';
import type { Db } from '../storage/db.ts';
import { readStringList, storeStringList } from '../storage/meta-strings.ts';
import type { Logger } from '../../runtime/log.ts';

const KEY = 'host_currencies';

export class HostCurrencies {
  private learnt: string[] | undefined;

  constructor(
    private readonly db: Db,
    private readonly configured: readonly string[],
    private readonly log?: Logger,
  ) {
    this.learnt = readStringList(db, KEY);
  }

  /** The accepted currencies, or undefined when neither configured nor learnt. */
  accepted(): readonly string[] | undefined {
    return this.configured.length > 0 ? this.configured : this.learnt;
  }

  /** Remember what the host said it accepts (best effort: a full disk keeps it in memory only). */
  learn(currencies: readonly string[] | undefined): void {
    if (!currencies || currencies.length === 0) return;
    const sorted = [...new Set(currencies)].sort();
    if (this.learnt && this.learnt.join() === sorted.join()) return;
    this.learnt = sorted;
    try {
      storeStringList(this.db, KEY, sorted);
    } catch (error) {
      this.log?.warn({ err: error }, 'could not store the host\'s currencies');
    }
  }

  /** BAD_REQUEST naming the field when the host would refuse a basket in this unit. */
  check(currency: string, field = 'params.basket.currency'): void {
    if (isPointsUnit(currency)) {
      throw new AgentError('BAD_REQUEST', `${field}: ${currency} is a points unit: points are earned, the till deals in a currency like EUR`, false);
    }
    const accepted = this.accepted();
    if (accepted && !accepted.includes(currency)) {
      throw new AgentError('BAD_REQUEST', `${field}: ${currency} is not a currency the loyalty host accepts (${accepted.join(', ')})`, false);
    }
  }
}
