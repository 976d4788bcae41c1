// The host names the field of the message it refuses ("currency: EUR does not match the customer's
// USD wallet"). Where that field is one the POS sent under the same name, the POS hears it as its
// own params path ("params.currency: …"), as from the agent's own checks. Other fields (the
// envelope's txn_id, an amount the host computed) are the host's business and stay as they are.

/** Per op: the payload fields that carry a POS param of the same name, unchanged. */
const FROM_PARAMS: Readonly<Record<string, ReadonlySet<string>>> = {
  preview: new Set(['customer_id', 'basket']),
  award: new Set(['customer_id', 'basket']),
  spend: new Set(['customer_id', 'currency']),
  refund: new Set(['currency', 'items']),
  'voucher.redeem': new Set(['code', 'currency']),
  offers: new Set(['customer_id', 'basket']),
  lock: new Set(['customer_id', 'basket', 'offer_ids', 'currency']),
  unlock: new Set(['offer_ids']),
  redeem: new Set(['customer_id', 'offer_id', 'basket']),
};

// A field path at the start of a message: `currency: …`, `basket.items[2].sku: …`, `offer_ids: …`.
const LEADING_FIELD = /^([a-z_]+)(?:[.[][\w.[\]]*)?: /;

/** The host's refusal of an `op` message in the POS's terms. */
export function inParamsTerms(op: string, message: string): string {
  const field = LEADING_FIELD.exec(message)?.[1];
  return field !== undefined && FROM_PARAMS[op]?.has(field) === true ? `params.${message}` : message;
}
