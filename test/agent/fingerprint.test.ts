// Fingerprints outlive the agent that computed them (an outbox row's is compared with a repeat's after an
// upgrade): the digest of a value must not change, whichever hashing call computes it.
import t from 'tap';
import { createHash } from 'node:crypto';
import { awardTexts } from '../../agent/ops/award-texts.ts';
import { fingerprint, fingerprintOf } from '../../agent/ops/outcome.ts';
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

t.test("an award's fingerprint and stored JSON made in one pass are the generic ones (award-texts.ts)", async (t) => {
  const payload = {
    customer_id: 'P-1001',
    basket: {
      currency: 'EUR', total: 470, tax_total: 43, store: 'S1', channel: 'web',
      items: [
        { sku: '4006381333931', name: 'Esp"resso\u00e9', qty: 2, unit_price: 160, amount: 320, category: 'hot-drinks', tax_included: 20 },
        { sku: '3017620422003', qty: 0.5, unit_price: 150, amount: 150 },
      ],
      discounts: [{ code: 'D1', amount: 0 }],
      payments: [{ method: 'card', amount: 470 }],
    },
  };
  const texts = awardTexts(payload)!;
  t.equal(fingerprintOf(texts.canonical), fingerprint(payload));
  t.equal(fingerprintOf(texts.canonical), 'b78a5f2b65894b9b8e2ff390befcca2d830869b47d07ac11abedf40f490124be', 'pinned: computed by the generic code');
  t.equal(texts.json, JSON.stringify(payload));
  t.equal(texts.offlineJson, JSON.stringify({ ...payload, pos_reduced: false }));
});
