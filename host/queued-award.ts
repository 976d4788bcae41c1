// An award the till answered "queued" (payload pos_reduced: false): the POS was told no instant or
// automatic spend and deducted none from what the customer paid, so the wallet must not pay for
// them either. The purchase still earns its award (protocol/UPSTREAM.md "Awards the POS was
// answered queued").
import { addAmounts } from '../protocol/money.ts';
import type { Rewards } from './engine.ts';

export function withoutReductions(r: Rewards): Rewards {
  // back_end: the POS never deducts; the reductions are credited as a voucher whatever it was told.
  if (r.reduction === 'back_end') return r;
  return {
    ...r,
    instant_spend_amount: 0,
    automatic_spend_amount: 0,
    total_spend_amount: 0,
    balance_after: addAmounts(r.balance_before, r.award_amount),
  };
}
