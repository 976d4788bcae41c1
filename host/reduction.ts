// Which reduction method a purchase gets, decided per purchase by the host's rules.
//
// CRM.COM guide (seeds/000): "the preview method will determine whether the purchase customer
// event that will be submitted can be redeemed by the Front-End System (i.e. POS) or by a
// Back-End System". A rule names stores and/or offers; the first rule that matches the purchase
// decides, otherwise the host's `reduction` default does.
import { z } from 'zod';
import type { Reduction } from '../protocol/local.ts';

export const REDUCTIONS = ['front_end', 'back_end'] as const satisfies readonly Reduction[];

const names = z.array(z.string({ error: 'must be a string' }).min(1).max(128), { error: 'must be a list of strings' })
  .min(1, { error: 'must not be empty' });

export const reductionRuleSchema = z.strictObject({
  /** The purchase's store (the basket's `store`, else the till's). */
  stores: names.optional(),
  /** Matches when the purchase is awarded by at least one of these offers. */
  offers: names.optional(),
  reduction: z.enum(REDUCTIONS, { error: `must be one of ${REDUCTIONS.join(', ')}` }),
}).refine((r) => r.stores !== undefined || r.offers !== undefined, { error: 'give stores, offers or both' });

export type ReductionRule = z.output<typeof reductionRuleSchema>;

export function decideReduction(
  fallback: Reduction, rules: readonly ReductionRule[], store: string, offerIds: readonly string[],
): Reduction {
  for (const rule of rules) {
    if (rule.stores && !rule.stores.includes(store)) continue;
    if (rule.offers && !rule.offers.some((id) => offerIds.includes(id))) continue;
    return rule.reduction;
  }
  return fallback;
}
