// The itemised purchase a POS submits. Amounts are integers in minor units of basket.currency.
// `amount` of an item is authoritative (weighted goods make qty * unit_price inexact).
import { z } from 'zod';
import { currencyCode, minorUnits, nonEmpty } from './schema.ts';

export const MAX_BASKET_ITEMS = 500;

export const basketItemSchema = z.object({
  sku: nonEmpty(64),
  name: z.string().max(256).optional(),
  qty: z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' }).max(1_000_000),
  unit_price: minorUnits(),
  amount: minorUnits(),
  category: z.string().max(128).optional(),
  tax_included: z.boolean().optional(),
});

export const discountSchema = z.object({
  code: nonEmpty(64),
  amount: minorUnits(),
});

export const basketSchema = z
  .object({
    currency: currencyCode(),
    total: minorUnits(),
    tax_total: minorUnits().optional(),
    store: z.string().max(64).optional(),
    items: z
      .array(basketItemSchema, { error: 'must be an array of items' })
      .min(1, { error: 'must contain at least one item' })
      .max(MAX_BASKET_ITEMS, { error: `must contain at most ${MAX_BASKET_ITEMS} items` }),
    discounts: z.array(discountSchema).max(100).optional(),
  })
  .superRefine((basket, ctx) => {
    const itemsSum = basket.items.reduce((sum, item) => sum + item.amount, 0);
    const discountSum = (basket.discounts ?? []).reduce((sum, d) => sum + d.amount, 0);
    if (itemsSum - discountSum !== basket.total) {
      ctx.addIssue({
        code: 'custom',
        path: ['total'],
        message: `items add up to ${itemsSum} minus discounts ${discountSum} = ${itemsSum - discountSum}, not ${basket.total}`,
      });
    }
  });

export type Basket = z.output<typeof basketSchema>;
export type BasketItem = z.output<typeof basketItemSchema>;
