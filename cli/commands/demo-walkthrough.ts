// The requests of README's walkthrough, as the demo's banner prints them: one source, so the
// ids and bodies in the banner and in the README stay in step (test/e2e/walkthrough.test.ts
// checks the README against this list and runs it against a real demo).

const basket = (espressos: number) => ({
  currency: 'EUR',
  total: espressos * 160 + 150,
  items: [
    { sku: '4006381333931', name: 'Espresso', qty: espressos, unit_price: 160, amount: espressos * 160 },
    { sku: '3017620422003', name: 'Croissant', qty: 1, unit_price: 150, amount: 150 },
  ],
});

const receipt = {
  currency: 'EUR',
  header: ['Demo Café'],
  items: [{ name: 'Espresso', qty: 2, amount: 320 }, { name: 'Croissant', amount: 150 }],
  total: 470,
  // The spend's redemption total (0.50 instant + 2.00 additional) is what the POS took off the
  // bill: paid with loyalty, the rest by card, as the receipt's loyalty section says.
  payments: [{ method: 'Loyalty', amount: 250 }, { method: 'Card', amount: 220 }],
};

/** Request lines by the name README's steps give them; ids are unique and in walkthrough order. */
export const WALKTHROUGH = {
  // Protocol version 2: the loyalty contract v1.1 (protocol/LOCAL.md "Versioning").
  hello: { id: 1, op: 'hello', params: { protocol: 2 } },
  identify: { id: 2, op: 'identify', params: { by: 'card', value: '6006491234567890' } },
  preview: { id: 3, op: 'preview', params: { customer_id: 'P-1001', basket: basket(2) } },
  award: { id: 4, op: 'award', params: { txn_id: 'demo-1', customer_id: 'P-1001', basket: basket(2) } },
  spend: { id: 5, op: 'spend', params: { txn_id: 'demo-1', customer_id: 'P-1001', amount: 200, currency: 'EUR' } },
  // The same txn_id with another basket (three espressos): the agent refuses to apply it twice.
  conflict: { id: 6, op: 'award', params: { txn_id: 'demo-1', customer_id: 'P-1001', basket: basket(3) } },
  subscribeUplink: { id: 7, op: 'events.subscribe', params: { topics: ['uplink', 'outbox'] } },
  status: { id: 8, op: 'status' },
  print: { id: 9, op: 'receipt.print', params: { txn_id: 'demo-1', document: receipt } },
  subscribeScans: { id: 10, op: 'events.subscribe', params: { topics: ['scan', 'identified'] } },
  void: { id: 11, op: 'void', params: { txn_id: 'demo-1' } },
  badAmount: { id: 12, op: 'spend', params: { txn_id: 'x', customer_id: 'P-1001', amount: -5, currency: 'EUR' } },
  products: {
    id: 13, op: 'products.sync',
    params: { products: [{ sku: '4006381333931', name: 'Espresso', type: 'drink', brand: 'House', categories: ['hot-drinks', 'coffee'], description: 'Single shot, 7 g' }] },
  },
} as const;

export type WalkthroughStep = keyof typeof WALKTHROUGH;

export const line = (step: WalkthroughStep): string => JSON.stringify(WALKTHROUGH[step]);

/** The loyalty card of the demo's first customer (Alice, P-1001). */
export const DEMO_CARD = '6006491234567890';
