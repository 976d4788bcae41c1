// The itemised purchase a POS submits. Amounts are integers in minor units of basket.currency.
// `amount` of an item is authoritative (weighted goods make qty * unit_price inexact).
// Limits (LOCAL.md, "Limits"): every amount ≤ MAX_AMOUNT, qty ≤ MAX_QTY, ≤ 500 items,
// ≤ 100 discounts and ≤ 20 payments; sums are exact integers or the basket is refused, never
// rounded. Text fields are free text: a payment card number in one is refused (protocol/pan.ts).
//
// Three shapes, one set of rules:
//   basketSchema    protocol 1: `tax_included` is a yes/no flag; unknown keys are dropped (as ever).
//   basketSchemaV2  protocol 2 (SessionM "Send Transaction", seed 003): `tax_included` is the item's
//                   tax AMOUNT, `payments[]` and `channel` are carried, an unknown key is an error.
//   upstreamBasketSchema  what travels to the host: either of the above (the outbox keeps v1 baskets).
import { z } from 'zod';
import { isPointsUnit, subtractAmounts, sumAmountFields } from './money.ts';
import { currencyCode, freeText, minorUnits, nonEmptyText, quantity } from './schema.ts';

export const MAX_BASKET_ITEMS = 500;
export const MAX_BASKET_DISCOUNTS = 100;
export const MAX_BASKET_PAYMENTS = 20;

const itemFields = {
  sku: nonEmptyText(64),
  name: freeText(256).optional(),
  qty: quantity(),
  unit_price: minorUnits(),
  amount: minorUnits(),
  category: freeText(128).optional(),
};

/** Seed 003: "The tax_included field, which is in the payload's items section, specifies how much tax is associated with the item." */
const taxAmount = () => minorUnits();
const taxWithinAmount = (item: { amount: number; tax_included?: number | boolean | undefined }) =>
  typeof item.tax_included !== 'number' || item.tax_included <= item.amount;
const TAX_OVER_AMOUNT = { error: 'is more than the item\'s amount (tax_included is the tax contained in amount)', path: ['tax_included'] };

export const basketItemSchema = z.object({ ...itemFields, tax_included: z.boolean().optional() });
export const basketItemSchemaV2 = z.strictObject({ ...itemFields, tax_included: taxAmount().optional() }).refine(taxWithinAmount, TAX_OVER_AMOUNT);
const upstreamItemSchema = z.object({ ...itemFields, tax_included: z.union([z.boolean(), taxAmount()]).optional() }).refine(taxWithinAmount, TAX_OVER_AMOUNT);

const discountFields = { code: nonEmptyText(64), amount: minorUnits() };
export const discountSchema = z.object(discountFields);

// Seed 003: "Items and payment do have positive values. Sub transactions should be in the discount section of payload."
const paymentFields = {
  method: nonEmptyText(64),
  amount: minorUnits().positive({ error: 'must be greater than 0 (payments are positive; a refund is not a payment)' }),
};
export const paymentSchema = z.strictObject(paymentFields);

const headerFields = {
  // A basket is priced in money: a points unit (PTS, protocol/units.ts) is refused here.
  currency: currencyCode().refine((c) => !isPointsUnit(c), { error: 'is a points unit: a basket is priced in a currency like "EUR"' }),
  total: minorUnits(),
  // Seed 003: "In the transaction header, there is a tax_total field. Note that this is not a summary."
  tax_total: minorUnits().optional(),
  store: freeText(64).optional(),
};

const itemsOf = <S extends z.ZodType>(item: S) => z
  .array(item, { error: 'must be an array of items' })
  .min(1, { error: 'must contain at least one item' })
  .max(MAX_BASKET_ITEMS, { error: `must contain at most ${MAX_BASKET_ITEMS} items` });
const discountsOf = <S extends z.ZodType>(discount: S) => z.array(discount)
  .max(MAX_BASKET_DISCOUNTS, { error: `must contain at most ${MAX_BASKET_DISCOUNTS} discounts` });
const paymentsOf = <S extends z.ZodType>(payment: S) => z.array(payment, { error: 'must be an array of payments' })
  .max(MAX_BASKET_PAYMENTS, { error: `must contain at most ${MAX_BASKET_PAYMENTS} payments` });
// SessionM channels: "the bar, the main dining room, and the patio".
const channel = () => nonEmptyText(64);

interface Summable {
  total: number;
  items: ReadonlyArray<{ amount: number }>;
  discounts?: ReadonlyArray<{ amount: number }> | undefined;
}

function totalAddsUp(basket: Summable, ctx: z.RefinementCtx): void {
  const itemsSum = sumAmountFields(basket.items);
  const discountSum = sumAmountFields(basket.discounts ?? []);
  const net = itemsSum === null || discountSum === null ? null : subtractAmounts(itemsSum, discountSum);
  if (net === null) {
    ctx.addIssue({ code: 'custom', path: ['total'], message: 'items and discounts do not add up to an exact integer amount' });
  } else if (net !== basket.total) {
    ctx.addIssue({
      code: 'custom',
      path: ['total'],
      message: `items add up to ${itemsSum} minus discounts ${discountSum} = ${net}, not ${basket.total}`,
    });
  }
}

export const basketSchema = z
  .object({ ...headerFields, items: itemsOf(basketItemSchema), discounts: discountsOf(discountSchema).optional() })
  .superRefine(totalAddsUp);

export const basketSchemaV2 = z
  .strictObject({
    ...headerFields,
    channel: channel().optional(),
    items: itemsOf(basketItemSchemaV2),
    discounts: discountsOf(z.strictObject(discountFields)).optional(),
    payments: paymentsOf(paymentSchema).optional(),
  })
  .superRefine(totalAddsUp);

export const upstreamBasketSchema = z
  .object({
    ...headerFields,
    channel: channel().optional(),
    items: itemsOf(upstreamItemSchema),
    discounts: discountsOf(discountSchema).optional(),
    payments: paymentsOf(z.object(paymentFields)).optional(),
  })
  .superRefine(totalAddsUp);

/** Any basket the host may receive (protocol 1 or 2). */
export type Basket = z.output<typeof upstreamBasketSchema>;
export type BasketItem = Basket['items'][number];
export type BasketV2 = z.output<typeof basketSchemaV2>;
