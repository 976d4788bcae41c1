// The host's refusal, relayed to the POS, names a field the POS sent by its params path, as the
// agent's own checks do; a field of the host's own (the envelope's txn_id, a computed amount) stays.
import t from 'tap';
import { inParamsTerms } from '../../../agent/ops/host-refusal.ts';
import { deadLetterError } from '../../../agent/ops/outcome.ts';
import type { OutboxRow } from '../../../agent/upstream/outbox.ts';

const cases: Array<[string, string, string]> = [
  // host/handlers.ts, offer-handlers.ts, credit-handlers.ts, sessionm/connector.ts as they word them.
  ['spend', "currency: USD does not match the customer's EUR wallet", "params.currency: USD does not match the customer's EUR wallet"],
  ['award', 'basket.currency: XYZ is not a currency this host accepts (EUR)', 'params.basket.currency: XYZ is not a currency this host accepts (EUR)'],
  ['preview', 'basket.items[2].sku: x', 'params.basket.items[2].sku: x'],
  ['lock', 'offer_ids: customer alice holds no offer UO-1', 'params.offer_ids: customer alice holds no offer UO-1'],
  ['unlock', "offer_ids: the sessionm backend unlocks named offers only (SessionM keeps no list of a sale's locks)",
    "params.offer_ids: the sessionm backend unlocks named offers only (SessionM keeps no list of a sale's locks)"],
  ['refund', 'currency: sale s-1 was in EUR, not USD', 'params.currency: sale s-1 was in EUR, not USD'],
  ['refund', 'items[0].amount: MUG sold for 333, 333 of it already returned: 1 more is too much', 'params.items[0].amount: MUG sold for 333, 333 of it already returned: 1 more is too much'],
  ['voucher.redeem', 'currency: the voucher is in EUR, not USD', 'params.currency: the voucher is in EUR, not USD'],
  // Not the POS's params: the envelope's txn_id (a refund's is its refund_id), a computed amount, prose.
  ['refund', 'txn_id: a refund message carries its refund_id as txn_id', 'txn_id: a refund message carries its refund_id as txn_id'],
  ['award', 'txn_id: award needs a txn_id', 'txn_id: award needs a txn_id'],
  ['award', 'amount: 5 is beyond the wallet limit of 1000 minor units', 'amount: 5 is beyond the wallet limit of 1000 minor units'],
  ['lock', 'offer UO-1 has expired', 'offer UO-1 has expired'],
  ['identify', 'unknown customer', 'unknown customer'],
  ['products.sync', 'products[3].sku: x', 'products[3].sku: x'],
];
for (const [op, host, pos] of cases) {
  t.equal(inParamsTerms(op, host), pos, `${op}: ${host}`);
}

t.test('a dead letter names the param the host refused', async (t) => {
  const row = { id: 'm-1', op: 'spend', state: 'dead', error: { code: 'BAD_REQUEST', message: "currency: USD does not match the customer's EUR wallet", permanent: true } } as unknown as OutboxRow;
  const e = deadLetterError(row);
  t.equal(e.code, 'BAD_REQUEST', 'the code is the host\'s');
  t.equal(e.message, "the loyalty host refused this spend: params.currency: USD does not match the customer's EUR wallet (kept as dead letter m-1; see outbox.list)");
});
