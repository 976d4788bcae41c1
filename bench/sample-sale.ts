// The sale every benchmark submits: customer P-1001 and SKUs from host/seed.sample.yaml
// (two espressos and a croissant), a valid EUR basket as the POS would send it.
import { createHash, randomUUID } from 'node:crypto';
import type { AppendInput } from '../agent/upstream/outbox.ts';

export const SAMPLE_SEED = new URL('../host/seed.sample.yaml', import.meta.url);
export const CUSTOMER_ID = 'P-1001';

export function sampleBasket() {
  return {
    currency: 'EUR',
    total: 470,
    tax_total: 43,
    store: 'S1',
    items: [
      { sku: '4006381333931', name: 'Espresso', qty: 2, unit_price: 160, amount: 320, category: 'hot-drinks', tax_included: true },
      { sku: '3017620422003', name: 'Croissant', qty: 1, unit_price: 150, amount: 150, category: 'bakery', tax_included: true },
    ],
  };
}

export function awardParams(txnId: string) {
  return { txn_id: txnId, customer_id: CUSTOMER_ID, basket: sampleBasket() };
}

/** An outbox row as ops/award would append it (built before timing starts). */
export function awardAppend(txnId: string): AppendInput {
  const payload = { customer_id: CUSTOMER_ID, basket: sampleBasket() };
  return {
    id: randomUUID(),
    op: 'award',
    txn_id: txnId,
    fingerprint: createHash('sha256').update(JSON.stringify(payload)).digest('hex'),
    customer_id: CUSTOMER_ID,
    payload,
    offline: false,
    amount: null,
    currency: 'EUR',
    created_at: new Date().toISOString(),
  };
}
