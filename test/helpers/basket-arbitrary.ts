// An award basket for the property tests of the award's fast paths (test/property/award-*.ts): its
// total adds up (so the schemas may accept it) and its keys are in the schemas' order. Each test
// brings its own leaves: valid ones only, or some the schemas refuse.
import fc from 'fast-check';

interface Amounted { amount: number }

export interface BasketParts {
  currency: fc.Arbitrary<string>;
  text: fc.Arbitrary<string>;
  amount: fc.Arbitrary<number>;
  item: fc.Arbitrary<Amounted & Record<string, unknown>>;
  pair: (key: 'code' | 'method') => fc.Arbitrary<Amounted & Record<string, unknown>>;
}

/** An optional key: absent (undefined) about a third of the time. */
export const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

export function basketArbitrary({ currency, text, amount, item, pair }: BasketParts): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    currency,
    tax_total: maybe(amount),
    store: maybe(text),
    channel: maybe(text),
    items: fc.array(item, { minLength: 1, maxLength: 3 }),
    discounts: maybe(fc.array(pair('code'), { maxLength: 2 })),
    payments: maybe(fc.array(pair('method'), { maxLength: 2 })),
  }, { requiredKeys: ['currency', 'items'] }).map((b) => {
    const sum = (list: Amounted[] | undefined) => (list ?? []).reduce((s, x) => s + x.amount, 0);
    const out: Record<string, unknown> = { currency: b.currency, total: sum(b.items) - sum(b.discounts) };
    for (const key of ['tax_total', 'store', 'channel', 'items', 'discounts', 'payments'] as const) if (b[key] !== undefined) out[key] = b[key];
    return out;
  });
}
