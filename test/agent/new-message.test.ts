// newMessage (agent/ops/outcome.ts): the message every money op commits, its fields named one by one
// (no spread): the same keys, in the same order, and the caller's values, the payload object itself.
import t from 'tap';
import { newMessage } from '../../agent/ops/outcome.ts';
import type { OpsContext } from '../../agent/ops/context.ts';

t.test('a message: id, op, created_at, then every field given, in order', async (t) => {
  const at = new Date('2026-12-02T04:00:00.123Z');
  const ctx = { now: () => at } as unknown as OpsContext;
  const payload = { customer_id: 'P-1001', basket: { currency: 'EUR', total: 1, items: [] } };
  const m = newMessage(ctx, 'award', {
    txn_id: 'sale-1', fingerprint: 'f', customer_id: 'P-1001', payload, offline: true, amount: 12, currency: 'EUR',
  });
  t.same(Object.keys(m), ['id', 'op', 'created_at', 'txn_id', 'fingerprint', 'customer_id', 'payload', 'offline', 'amount', 'currency']);
  t.match(m, { op: 'award', created_at: '2026-12-02T04:00:00.123Z', txn_id: 'sale-1', fingerprint: 'f', customer_id: 'P-1001', offline: true, amount: 12, currency: 'EUR' });
  t.equal(m.payload, payload, 'the payload object itself');
  t.match(m.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUIDv7');
  const nulls = newMessage(ctx, 'spend', { txn_id: null, fingerprint: 'g', customer_id: null, payload, offline: false, amount: null, currency: null });
  t.same([nulls.txn_id, nulls.customer_id, nulls.amount, nulls.currency], [null, null, null, null]);
});
