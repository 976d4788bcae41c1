// Wallet units: money (an ISO 4217 currency, in minor units) or loyalty points (a non-currency
// unit, whole points). SessionM programmes keep points accounts next to (or instead of) money
// cashback (seed 004: "Outcomes that use point accounts and point sources as well as offers").
// A points unit is `PTS` or a longer code (4-16 characters), so it can never be read as a currency.
import { z } from 'zod';
import { CURRENCY_PATTERN, isPointsUnit } from './money.ts';

export { DEFAULT_POINTS_UNIT, isPointsUnit } from './money.ts';

export function isCurrency(unit: string): boolean {
  return CURRENCY_PATTERN.test(unit) && !isPointsUnit(unit);
}

const UNIT_ERROR = 'must be a currency like "EUR" or a points unit like "PTS"';

/** A wallet's unit: a currency like "EUR" or a points unit like "PTS". */
export const unitCode = () =>
  z.string({ error: UNIT_ERROR }).refine((u) => isCurrency(u) || isPointsUnit(u), { error: UNIT_ERROR });

/** A points unit only. */
export const pointsUnit = () =>
  z.string({ error: 'must be a points unit like "PTS"' })
    .refine(isPointsUnit, { error: 'must be a points unit: "PTS" or 4-16 capitals, digits or "_" (e.g. "STARS")' });
