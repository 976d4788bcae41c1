// The contract every outbox store must pass (in the spirit of MQTT.js's abstract_store): it
// knows the OutboxStore interface only. test/agent/outbox.test.ts runs it against the SQLite
// outbox on a real file.
import type { Test } from 'tap';
import type { AppendInput, OutboxStore } from '../../agent/upstream/outbox.ts';

export interface OutboxHarness {
  outbox: OutboxStore;
  /** Close and reopen the store on the same storage, as after a restart. */
  reopen(): Promise<OutboxStore>;
}

let n = 0;
export function message(fields: Partial<AppendInput> = {}): AppendInput {
  n += 1;
  return {
    id: `m-${n}-${Math.random().toString(16).slice(2)}`,
    op: 'award',
    txn_id: `txn-${n}-${Math.random().toString(16).slice(2)}`,
    fingerprint: 'f',
    customer_id: 'c1',
    payload: { customer_id: 'c1', n },
    offline: false,
    amount: null,
    currency: 'EUR',
    created_at: new Date().toISOString(),
    ...fields,
  };
}

export function outboxContract(t: Test, make: (t: Test) => Promise<OutboxHarness>): void {
  t.test('append creates a pending row and survives a reopen', async (t) => {
    const h = await make(t);
    const m = message();
    const out = await h.outbox.append(m);
    t.equal(out.kind, 'created');
    t.equal(out.row.state, 'pending');
    const again = await h.reopen();
    const row = again.get(m.id);
    t.equal(row?.state, 'pending');
    t.same(row?.payload, m.payload);
  });

  t.test('same (op, txn_id): same content is existing, other content is conflict', async (t) => {
    const h = await make(t);
    const m = message({ fingerprint: 'a' });
    await h.outbox.append(m);
    t.equal((await h.outbox.append({ ...m, id: 'other-id' })).kind, 'existing');
    t.equal((await h.outbox.append({ ...m, id: 'third-id', fingerprint: 'b' })).kind, 'conflict');
    t.equal((await h.outbox.append({ ...m, id: 'spend-id', op: 'spend' })).kind, 'created', 'other op, same txn is fine');
  });

  t.test('concurrent appends share commits and each resolves with its own row', async (t) => {
    const h = await make(t);
    const ms = Array.from({ length: 200 }, () => message());
    const outs = await Promise.all(ms.map((m) => h.outbox.append(m)));
    t.same(outs.map((o) => o.row.id), ms.map((m) => m.id));
    t.equal(h.outbox.stats().pending, 200);
  });

  t.test('duplicates in one group commit: the first wins', async (t) => {
    const h = await make(t);
    const m = message();
    const [a, b] = await Promise.all([h.outbox.append(m), h.outbox.append({ ...m, id: 'dup' })]);
    t.equal(a.kind, 'created');
    t.equal(b.kind, 'existing');
    t.equal(b.row.id, m.id);
  });

  t.test('nextPending is FIFO and pages from disk', async (t) => {
    const h = await make(t);
    const ms = [message(), message(), message(), message()];
    for (const m of ms) await h.outbox.append(m);
    t.same(h.outbox.nextPending(2).map((r) => r.id), [ms[0]!.id, ms[1]!.id]);
    const second = h.outbox.nextPending(2, h.outbox.nextPending(2)[1]!.seq);
    t.same(second.map((r) => r.id), [ms[2]!.id, ms[3]!.id]);
  });

  t.test('settle: done and dead leave the queue; dead is counted and retryable', async (t) => {
    const h = await make(t);
    const [a, b, c] = [message(), message(), message()];
    await h.outbox.appendAll([a, b, c]);
    const changed = h.outbox.settle([
      { id: a.id, ok: true, result: { award_amount: 5 } },
      { id: b.id, ok: false, error: { code: 'NOT_FOUND', message: 'no such customer', permanent: true } },
    ]);
    t.same(changed.map((r) => r.state), ['done', 'dead']);
    t.same(h.outbox.nextPending(10).map((r) => r.id), [c.id]);
    t.same(h.outbox.stats().dead, 1);
    t.same(h.outbox.list('dead', 10).map((r) => r.id), [b.id]);
    t.equal(h.outbox.settle([{ id: a.id, ok: true, result: {} }]).length, 0, 'a late duplicate answer changes nothing');
    t.equal(h.outbox.retry(b.id), 1);
    t.same(h.outbox.nextPending(10).map((r) => r.id), [b.id, c.id], 'a retried dead letter keeps its place');
    t.equal(h.outbox.retry('nope'), 0);
  });

  t.test('settle checks an answer against its op: typed when it matches, done but unreadable and counted when not', async (t) => {
    const h = await make(t);
    const [good, bad, spend] = [message(), message(), message({ op: 'spend', amount: 100 })];
    await h.outbox.appendAll([good, bad, spend]);
    const answer = {
      currency: 'EUR', award_amount: 150, instant_spend_amount: 0, automatic_spend_amount: 0, total_spend_amount: 0,
      balance: { amount: 1150, currency: 'EUR' }, reduction: 'front_end', offers: [], from_a_newer_host: true,
    };
    const changed = h.outbox.settle([
      { id: good.id, ok: true, result: answer },
      { id: bad.id, ok: true, result: { ...answer, award_amount: 'lots', balance: { amount: 1.5, currency: 'EUR' } } },
      // An award's answer to a spend is not a spend's answer.
      { id: spend.id, ok: true, result: answer },
    ]);
    t.same(changed.map((r) => r.state), ['done', 'done', 'done'], 'the host applied all three: none is pending or dead');
    const { from_a_newer_host: _unknown, ...typed } = answer;
    t.same(changed[0]!.result, typed, 'the answer as its schema reads it (fields it does not know left out)');
    t.equal(changed[0]!.result_error, undefined);
    t.equal(changed[1]!.result, null);
    t.match(changed[1]!.result_error, /result\.award_amount: .*result\.balance\.amount: /, 'the fields named');
    t.notMatch(changed[1]!.result_error, /lots/, 'values are not quoted');
    t.equal(changed[2]!.result, null);
    t.match(changed[2]!.result_error, /result\.spent_amount: is required/);
    t.same(h.outbox.nextPending(10), [], 'nothing is sent again');
    t.equal(h.outbox.stats().unreadable, 2);
    t.equal(h.outbox.settle([{ id: bad.id, ok: true, result: {} }]).length, 0);
    t.equal(h.outbox.stats().unreadable, 2, 'a late duplicate answer is not counted again');
    const again = await h.reopen();
    t.same(again.get(good.id)?.result, typed, 'read back typed after a reopen');
    t.match(again.get(bad.id), { state: 'done', result: null, result_error: /result\.award_amount/ });
    t.equal(again.stats().unreadable, 2, 'the count survives a restart');
  });

  t.test('pendingSpend sums queued spends for one customer', async (t) => {
    const h = await make(t);
    await h.outbox.append(message({ op: 'spend', amount: 300, customer_id: 'c9' }));
    await h.outbox.append(message({ op: 'spend', amount: 200, customer_id: 'c9' }));
    await h.outbox.append(message({ op: 'spend', amount: 999, customer_id: 'other' }));
    t.equal(h.outbox.pendingSpend('c9', 'EUR'), 500);
  });

  t.test('offlineSpendsOf lists one customer\'s spends approved offline and still pending, in order', async (t) => {
    const h = await make(t);
    const a = await h.outbox.append(message({ op: 'spend', amount: 300, customer_id: 'c9', offline: true }));
    await h.outbox.append(message({ op: 'spend', amount: 250, customer_id: 'c9' })); // online, unanswered
    await h.outbox.append(message({ op: 'spend', amount: 999, customer_id: 'other', offline: true }));
    await h.outbox.append(message({ op: 'spend', amount: 50, customer_id: 'c9', offline: true, currency: 'USD' }));
    const b = await h.outbox.append(message({ op: 'spend', amount: 200, customer_id: 'c9', offline: true }));
    const done = await h.outbox.append(message({ op: 'spend', amount: 100, customer_id: 'c9', offline: true }));
    h.outbox.settle([{ id: done.row.id, ok: true, result: { spent_amount: 100 } }]);
    t.same(h.outbox.offlineSpendsOf('c9', 'EUR'), [{ seq: a.row.seq, amount: 300 }, { seq: b.row.seq, amount: 200 }]);
    t.same(h.outbox.offlineSpendsOf('nobody', 'EUR'), []);
  });

  t.test('lastBalanceRow: a customer\'s newest delivered row whose answer reports a balance', async (t) => {
    const h = await make(t);
    t.equal(h.outbox.lastBalanceRow('c1'), undefined, 'nothing yet');
    const [a, s, v, other, pending] = [
      message({ customer_id: 'c1' }), message({ op: 'spend', customer_id: 'c1', amount: 100 }), message({ op: 'void', customer_id: 'c1' }),
      message({ customer_id: 'c2' }), message({ customer_id: 'c1' }),
    ];
    await h.outbox.appendAll([a, s, v, other, pending]);
    const balance = (amount: number) => ({ amount, currency: 'EUR' });
    const award = (amount: number) => ({
      award_amount: 100, instant_spend_amount: 0, automatic_spend_amount: 0, total_spend_amount: 0, balance: balance(amount), reduction: 'front_end', offers: [],
    });
    h.outbox.settle([
      { id: a.id, ok: true, result: award(1100) },
      { id: s.id, ok: true, result: { currency: 'EUR', spent_amount: 100, balance: balance(1000), offline: false } },
      // A void of several wallets reports no single balance: not one that says it.
      { id: v.id, ok: true, result: { reversed_award_amount: 0, reversed_spend_amount: 0 } },
      { id: other.id, ok: true, result: award(500) },
    ]);
    t.equal(h.outbox.lastBalanceRow('c1')?.id, s.id, 'the spend after the award; not the void, nor the pending award');
    t.equal(h.outbox.lastBalanceRow('c2')?.id, other.id);
    t.equal(h.outbox.lastBalanceRow('c3'), undefined);
  });

  t.test('stats report the oldest pending message', async (t) => {
    const h = await make(t);
    t.same(h.outbox.stats(), { pending: 0, dead: 0, oldest_pending_at: null, unreadable: 0 });
    const m = message({ created_at: '2026-01-01T00:00:00.000Z' });
    await h.outbox.append(m);
    await h.outbox.append(message());
    t.equal(h.outbox.stats().oldest_pending_at, '2026-01-01T00:00:00.000Z');
  });

  t.test('lookups: by txn, a txn\'s rows, a sale\'s refunds and redemptions', async (t) => {
    const h = await make(t);
    const sale = message({ op: 'award', txn_id: 'sale-1' });
    const spend = message({ op: 'spend', txn_id: 'sale-1', amount: 100 });
    const refund = message({ op: 'refund', txn_id: 'ref-1', payload: { sale_txn_id: 'sale-1' } });
    const redeem = message({ op: 'redeem', txn_id: 'red-1', payload: { txn_id: 'sale-1' } });
    await h.outbox.appendAll([sale, spend, refund, redeem, message()]);
    t.equal(h.outbox.findByTxn('spend', 'sale-1')?.id, spend.id);
    t.equal(h.outbox.findByTxn('void', 'sale-1'), undefined);
    t.same(h.outbox.forTxn('sale-1').map((r) => r.id), [sale.id, spend.id]);
    t.same(h.outbox.forSale('refund', 'sale-1').map((r) => r.id), [refund.id]);
    // sale_txn_id is the table's copy of payload.sale_txn_id (schema 6), not a field of OutboxRow.
    t.same(Object.keys(h.outbox.forSale('refund', 'sale-1')[0] ?? {}).filter((k) => k === 'sale_txn_id'), []);
    t.equal(h.outbox.forSale('refund', 'sale-1')[0]?.payload.sale_txn_id, 'sale-1');
    t.same(h.outbox.redemptionsOf('sale-1').map((r) => r.id), [redeem.id]);
  });

  t.test('findByTxnAfter: a txn\'s row of an op only when it comes after a seq, also after a reopen', async (t) => {
    const h = await make(t);
    const award = (await h.outbox.append(message({ op: 'award', txn_id: 'sale-9' }))).row;
    t.equal(h.outbox.findByTxnAfter('void', 'sale-9', award.seq), undefined, 'no void yet');
    const other = (await h.outbox.append(message({ op: 'void', txn_id: 'sale-8' }))).row;
    t.equal(h.outbox.findByTxnAfter('void', 'sale-9', award.seq), undefined, 'another sale\'s void');
    const voided = (await h.outbox.append(message({ op: 'void', txn_id: 'sale-9' }))).row;
    t.equal(h.outbox.findByTxnAfter('void', 'sale-9', award.seq)?.id, voided.id, 'the void after the award');
    t.equal(h.outbox.findByTxnAfter('void', 'sale-9', voided.seq), undefined, 'nothing after the void itself');
    t.equal(h.outbox.findByTxnAfter('void', 'sale-8', award.seq)?.id, other.id);
    const again = await h.reopen();
    t.equal(again.findByTxnAfter('void', 'sale-9', award.seq)?.id, voided.id, 'a void from before the reopen');
    t.equal(again.findByTxnAfter('void', 'sale-9', voided.seq), undefined);
    const later = (await again.append(message({ op: 'award', txn_id: 'sale-7' }))).row;
    t.equal(again.findByTxnAfter('void', 'sale-7', later.seq), undefined);
    const laterVoid = (await again.append(message({ op: 'void', txn_id: 'sale-7' }))).row;
    t.equal(again.findByTxnAfter('void', 'sale-7', later.seq)?.id, laterVoid.id);
  });

  t.test('a new award for a voided txn_id is CONFLICT, nothing committed; its own award repeated is not; also after a reopen', async (t) => {
    const h = await make(t);
    const refused = { code: 'CONFLICT', message: /voided/ };
    // A sale with a spend alone, voided.
    await h.outbox.append(message({ op: 'spend', txn_id: 'sale-1', amount: 100 }));
    await h.outbox.append(message({ op: 'void', txn_id: 'sale-1' }));
    await t.rejects(h.outbox.append(message({ op: 'award', txn_id: 'sale-1' })), refused);
    t.equal(h.outbox.findByTxn('award', 'sale-1'), undefined, 'nothing committed');
    // In one group commit, the void first: refused too; the other callers are not.
    const [v, a, other] = await Promise.allSettled([
      h.outbox.append(message({ op: 'void', txn_id: 'sale-2' })),
      h.outbox.append(message({ op: 'award', txn_id: 'sale-2' })),
      h.outbox.append(message({ op: 'award', txn_id: 'sale-3' })),
    ]);
    t.match([v.status, a, other.status], ['fulfilled', { status: 'rejected', reason: refused }, 'fulfilled']);
    await t.rejects(h.outbox.appendAll([message({ op: 'award', txn_id: 'sale-2' })]), refused, 'appendAll');
    // An awarded sale's award after its void: the row found (existing, or conflict for other content).
    const awarded = message({ op: 'award', txn_id: 'sale-4', fingerprint: 'a' });
    await h.outbox.append(awarded);
    await h.outbox.append(message({ op: 'void', txn_id: 'sale-4' }));
    t.equal((await h.outbox.append({ ...awarded, id: 'again' })).kind, 'existing');
    t.equal((await h.outbox.append({ ...awarded, id: 'other', fingerprint: 'b' })).kind, 'conflict');
    // A void the host refused voided nothing.
    const dead = message({ op: 'void', txn_id: 'sale-5' });
    await h.outbox.append(dead);
    h.outbox.settle([{ id: dead.id, ok: false, error: { code: 'NOT_FOUND', message: 'nothing to void', permanent: true } }]);
    t.equal((await h.outbox.append(message({ op: 'award', txn_id: 'sale-5' }))).kind, 'created');
    // Offer and voucher redemptions name their sale in the payload: the same.
    const redeemed = message({ op: 'redeem', txn_id: 'rd-1', payload: { txn_id: 'sale-6', offer_id: 'o' } });
    await h.outbox.append(redeemed);
    await h.outbox.append(message({ op: 'void', txn_id: 'sale-6' }));
    t.equal((await h.outbox.append({ ...redeemed, id: 'rd-again' })).kind, 'existing', 'a redemption from before the void, repeated');
    await t.rejects(h.outbox.append(message({ op: 'redeem', txn_id: 'rd-2', payload: { txn_id: 'sale-6', offer_id: 'o' } })), refused, 'redeem');
    await t.rejects(h.outbox.append(message({ op: 'voucher.redeem', txn_id: 'vr-1', payload: { sale_txn_id: 'sale-6', code: 'c' } })), refused, 'voucher.redeem');
    const again = await h.reopen();
    await t.rejects(again.append(message({ op: 'award', txn_id: 'sale-1' })), refused, 'a void from before the reopen');
    t.equal((await again.append({ ...awarded, id: 'after-reopen' })).kind, 'existing');
  });

  t.test('markAttempt counts sends of pending rows; withholdReductions marks a pending award', async (t) => {
    const h = await make(t);
    const m = message({ payload: { pos_reduced: true } });
    await h.outbox.append(m);
    h.outbox.markAttempt([m.id]);
    h.outbox.markAttempt([m.id]);
    t.equal(h.outbox.get(m.id)?.attempts, 2);
    t.equal(h.outbox.withholdReductions(m.id)?.payload.pos_reduced, false);
    h.outbox.settle([{ id: m.id, ok: true, result: {} }]);
    h.outbox.markAttempt([m.id]);
    t.equal(h.outbox.get(m.id)?.attempts, 2, 'an answered row is not sent again');
  });

  t.test('productSkusSent: which SKUs the batches of one products.sync already carry, each at its first place', async (t) => {
    const batch = (sync: string, n: number, skus: string[]) => message({
      op: 'products.sync', txn_id: null, customer_id: null, currency: null,
      payload: { products: skus.map((sku) => ({ sku, name: sku })), sync: { id: sync, mode: 'full', batch: n, last: false } },
    });
    const h = await make(t);
    t.same(h.outbox.productSkusSent('s-1', ['A']), [], 'no such sync');
    await h.outbox.appendAll([batch('s-1', 1, ['A', 'B', 'C']), batch('s-1', 2, ['D', 'B']), batch('s-2', 1, ['E'])]);
    const again = await h.reopen();
    t.same(again.productSkusSent('s-1', ['E', 'B', 'D', 'X']), [{ sku: 'B', batch: 1, index: 1 }, { sku: 'D', batch: 2, index: 0 }],
      "in batch order, another sync's SKUs left out");
    t.same(again.productSkusSent('s-1', []), []);
  });

  t.test('offline spend exposure counts pending offline spends per currency', async (t) => {
    const h = await make(t);
    await h.outbox.append(message({ op: 'spend', offline: true, amount: 300, created_at: '2026-01-01T00:00:00.000Z' }));
    await h.outbox.append(message({ op: 'spend', offline: true, amount: 200 }));
    await h.outbox.append(message({ op: 'spend', offline: false, amount: 999 }));
    t.same(h.outbox.offlineSpendExposure(), [{ currency: 'EUR', count: 2, amount: 500, since: '2026-01-01T00:00:00.000Z' }]);
  });

  t.test('pruneDone removes only delivered rows settled before the cutoff; drainWrites waits for appends', async (t) => {
    const h = await make(t);
    const [done, pending] = [message(), message()];
    const appended = h.outbox.appendAll([done, pending]);
    await h.outbox.drainWrites();
    t.equal(h.outbox.get(done.id)?.state, 'pending', 'committed once drainWrites resolves');
    await appended;
    h.outbox.settle([{ id: done.id, ok: true, result: {} }]);
    t.equal(h.outbox.pruneDone(new Date(Date.now() - 60_000)), 0, 'settled after the cutoff: kept');
    t.equal(h.outbox.pruneDone(new Date(Date.now() + 60_000)), 1);
    t.equal(h.outbox.get(done.id), undefined);
    t.equal(h.outbox.get(pending.id)?.state, 'pending');
  });
}
