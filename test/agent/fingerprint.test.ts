// Fingerprints outlive the agent that computed them (an outbox row's is compared with a repeat's after an
// upgrade): the digest of a value must not change, whichever hashing call computes it.
import t from 'tap';
import { createHash } from 'node:crypto';
import { fingerprint } from '../../agent/ops/outcome.ts';
import { canonicalJson } from '../../protocol/canonical-json.ts';

t.test('a fingerprint is the SHA-256 of the canonical JSON, in hex', async (t) => {
  const values: unknown[] = [
    { txn_id: 'sale-1', customer_id: 'P-1001', basket: { currency: 'EUR', total: 470, items: [{ sku: '4006381333931', name: 'Espresso', qty: 2, unit_price: 160, amount: 320 }] } },
    { b: 1, a: [2, { d: 'é – ４', c: null }] },
    'text', 0, [],
  ];
  for (const value of values) {
    t.equal(fingerprint(value), createHash('sha256').update(canonicalJson(value)!).digest('hex'), JSON.stringify(value));
  }
  t.equal(fingerprint({ b: 1, a: [2, { d: 'é – ４', c: null }] }), '264754d4fc6618897cfc9c9f77c3db50931d28d57488ae6ecf72c32324a9e5ca', 'pinned: computed by the Hash-object version');
});
