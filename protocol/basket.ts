// The itemised purchase a POS submits. Amounts are integers in minor units of basket.currency.
// `amount` of an item is authoritative (weighted goods make qty * unit_price inexact).
// Limits (LOCAL.md, "Limits"): every amount ≤ MAX_AMOUNT, qty ≤ MAX_QTY, ≤ 500 items and
// ≤ 100 discounts; sums are exact integers or the basket is refused, never rounded. Text
// fields are free text: a payment card number in one is refused (protocol/pan.ts).
import { z } from 'zod';
import { isPointsUnit, sumAmounts } from './money.ts';
import { currencyCode, freeText, minorUnits, nonEmptyText, quantity } from './schema.ts';

export const MAX_BASKET_ITEMS = 500;
export const MAX_BASKET_DISCOUNTS = 100;

export const basketItemSchema = z.object({
  sku: nonEmptyText(64),
  name: freeText(256).optional(),
  qty: quantity(),
  unit_price: minorUnits(),
  amount: minorUnits(),
  category: freeText(128).optional(),
  tax_included: z.boolean().optional(),
});

export const discountSchema = z.object({
  code: nonEmptyText(64),
  amount: minorUnits(),
});

export const basketSchema = z
  .object({
    // A basket is priced in money: a points unit (PTS, protocol/units.ts) is refused here.
    currency: currencyCode().refine((c) => !isPointsUnit(c), { error: 'is a points unit: a basket is priced in a currency like "EUR"' }),
    total: minorUnits(),
    tax_total: minorUnits().optional(),
    store: freeText(64).optional(),
    items: z
      .array(basketItemSchema, { error: 'must be an array of items' })
      .min(1, { error: 'must contain at least one item' })
      .max(MAX_BASKET_ITEMS, { error: `must contain at most ${MAX_BASKET_ITEMS} items` }),
    discounts: z.array(discountSchema)
      .max(MAX_BASKET_DISCOUNTS, { error: `must contain at most ${MAX_BASKET_DISCOUNTS} discounts` })
      .optional(),
  })
  .superRefine((basket, ctx) => {
    const itemsSum = sumAmounts(basket.items.map((item) => item.amount));
    const discountSum = sumAmounts((basket.discounts ?? []).map((d) => d.amount));
    const net = itemsSum === null || discountSum === null ? null : sumAmounts([itemsSum, -discountSum]);
    if (net === null) {
      ctx.addIssue({ code: 'custom', path: ['total'], message: 'items and discounts do not add up to an exact integer amount' });
    } else if (net !== basket.total) {
      ctx.addIssue({
        code: 'custom',
        path: ['total'],
        message: `items add up to ${itemsSum} minus discounts ${discountSum} = ${net}, not ${basket.total}`,
      });
    }
  });

export type Basket = z.output<typeof basketSchema>;
export type BasketItem = z.output<typeof basketItemSchema>;
