// The SessionM simulator (strict containers, Basic auth, request_id idempotency, locks with a
// TTL, redeem/reinstate) and the sessionm backend in front of it.
import t from 'tap';
import { SM_KEY, SM_SECRET, sessionmBackend, startSessionmSim } from '../../helpers/sessionm-sim.ts';
import { award, basket, message, spend, voidTxn } from '../../helpers/host-fixtures.ts';
import { waitFor } from '../../helpers/wait.ts';
import { checkResult } from '../../../agent/upstream/host-results.ts';
import { fastAwardResult } from '../../../protocol/fast-host-result.ts';
import { previewResultSchema } from '../../../protocol/upstream.ts';

const auth = (key: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}` });
async function post(url: string, endpoint: string, body: unknown, headers = auth(SM_KEY, SM_SECRET)) {
  const res = await fetch(new URL(endpoint, url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { status: string; payload?: Record<string, unknown>; errors?: { code: string; message: string } } };
}
const wrap = (request_id: string, request_payload: unknown, extra: object = {}) => ({ store_id: 'S1', client_id: 'C1', request_id, request_payload, ...extra });

t.test('simulator: container, auth, idempotency, locks with TTL, redeem and reinstate', async (t) => {
  const sim = await startSessionmSim(t, { lock_ttl_ms: 300 });
  const url = sim.server.url;
  t.match(await post(url, 'api/2.0/lookup', wrap('r1', { user_id: 'U1' }), auth(SM_KEY, 'wrong')), { status: 401 });
  // Refusals as SessionM's generic statuses give them: HTTP 200, status "error", a generic code.
  t.match(await post(url, 'api/2.0/lookup', wrap('r1', { user_id: 'U1' }, { extra: 1 })), { status: 200, body: { status: 'error', errors: { code: 'VALIDATION', message: /extra/ } } });
  t.match(await post(url, 'api/2.0/lookup', { store_id: 'S1', client_id: 'C1', request_payload: { user_id: 'U1' } }), { status: 200, body: { errors: { message: /request_id/ } } });
  t.match(await post(url, 'api/2.0/lookup', wrap('r2', { phone: '+33 6' })), { status: 200, body: { errors: { message: /numbers only/ } } });
  t.match(await post(url, 'api/2.0/lookup', wrap('r2b', { user_id: 'U9' })), { status: 404, body: { status: 'error', errors: { code: 'USER_NOT_FOUND' } } });
  t.match(await post(url, 'api/2.0/lookup', wrap('r3', { user_id: 'U1' })), { status: 200, body: { status: 'OK', payload: { user: { id: 'U1' }, available_points: 120 } } });

  // Lock Offer and Immediate Redeem (reference, "Discounting"): offer_lookup_code, offer_lookup_type and the transaction.
  const tx = {
    transaction_id: 'T9', user_id: 'U1', transaction_date: '2026-03-04T10:00:00Z', subtotal: 10, tax_total: 0, total: 10,
    items: [{ sku: 'CROISSANT', quantity: 1, price: 10, subtotal: 10 }], payments: [{ type: 'cash', amount: 10 }], discounts: [],
  };
  const discount = (transaction_id = 'T9', over: object = {}) => ({ offer_lookup_code: 'O1', offer_lookup_type: 'UserOfferId', transaction: { ...tx, transaction_id }, ...over });
  const lock = (id: string, transaction_id?: string) => post(url, 'api/2.0/lock', wrap(id, discount(transaction_id)));
  t.match(await post(url, 'api/2.0/lock', wrap('l0', { user_offer_id: 'O1', employee_id: 'E1' })), { status: 200, body: { status: 'error', errors: { code: 'VALIDATION', message: /offer_lookup_code/ } } });
  t.match(await post(url, 'api/2.0/lock', wrap('l0', discount())), { status: 200, body: { status: 'error', errors: { code: 'VALIDATION' } } },
    'request_id: "A given request will only be processed once": corrected under the same id, the first answer (was processed)');
  t.equal(sim.offer('O1')?.status, 'available');
  t.match(await post(url, 'api/2.0/lock', wrap('l0b', discount('T9', { offer_lookup_type: 'TTLCode' }))), { status: 404 });
  t.match(await post(url, 'api/2.0/lock', wrap('l0c', discount('T9', { transaction: { ...tx, user_id: 'U2' } }))), { status: 404 }, 'not an offer of the transaction\'s user');
  // Lock Offer and Immediate Redeem both answer "the Discount object" (reference): one shape, no lock expiry in it.
  const locked = await lock('l1');
  t.same(locked, { status: 200, body: { status: 'OK', payload: { user_offer_id: 'O1', name: 'Free croissant', discount_amount: 1.5 } } }, 'lock answers the Discount object');
  t.match(await lock('l2', 'T8'), { status: 200, body: { status: 'error', errors: { code: 'NOT_AVAILABLE' } } }, 'locked for another transaction');
  t.match(await lock('l1'), { status: 200 }, 'the same request_id: the first answer again');
  t.match(await lock('l1b'), { status: 200 }, 'the same transaction locks it again ("passing the exact same transaction ID")');
  t.match(await post(url, 'api/2.0/redeem', wrap('d0', discount('T8'))), { status: 200, body: { status: 'error', errors: { code: 'NOT_AVAILABLE', message: /locked/ } } }, 'another transaction cannot redeem it');
  await new Promise((r) => setTimeout(r, 350));
  t.equal(sim.offer('O1')?.status, 'available', 'the lock expired');
  t.match(await lock('l3'), { status: 200 });
  t.match(await post(url, 'api/2.0/unlock', wrap('u1', { user_offer_id: 'O1', employee_id: 'E1' })), { status: 200 });
  t.match(await post(url, 'api/2.0/redeem', wrap('d1', discount())), { status: 200, body: { payload: { discount_amount: 1.5 } } });
  t.match(await post(url, 'api/2.0/redeem', wrap('d2', discount())), { status: 200, body: { status: 'error', errors: { code: 'NOT_AVAILABLE' } } });
  t.match(await post(url, 'api/2.0/reinstate', wrap('i1', { user_offer_id: 'O1', employee_id: 'E1' })), { status: 200 });
  t.equal(sim.offer('O1')?.status, 'available');
});

t.test('simulator: send_transaction refuses negative items and bad sums, overwrites a reused transaction_id, keeps every answer by request_id', async (t) => {
  const sim = await startSessionmSim(t);
  const url = sim.server.url;
  const tx = (transaction_id: string, over: object = {}) => ({
    transaction_id, user_id: 'U1', transaction_date: '2026-03-04T10:00:00Z', subtotal: 10, tax_total: 0, total: 10,
    items: [{ sku: 'A', quantity: 1, price: 10, subtotal: 10, tax_included: 0.91 }], payments: [{ type: 'cash', amount: 10 }], discounts: [], ...over,
  });
  const refused = (message: RegExp) => ({ status: 200, body: { status: 'error', errors: { code: 'VALIDATION', message } } });
  t.match(await post(url, 'api/2.0/send_transaction', wrap('s1', tx('T1', { items: [{ sku: 'A', quantity: 1, price: -10, subtotal: -10 }] }))), refused(/items\[0\]\.price/));
  // Seed 003: tax_included "specifies how much tax is associated with the item": an amount, within the item's.
  const item = (tax: unknown) => ({ items: [{ sku: 'A', quantity: 1, price: 10, subtotal: 10, tax_included: tax }] });
  t.match(await post(url, 'api/2.0/send_transaction', wrap('s1b', tx('T1', item(true)))), refused(/items\[0\]\.tax_included/));
  t.match(await post(url, 'api/2.0/send_transaction', wrap('s1c', tx('T1', item(10.01)))), refused(/items\[0\]\.tax_included: more than the item's subtotal/));
  t.match(await post(url, 'api/2.0/send_transaction', wrap('s2', tx('T1', { total: 9 }))), refused(/total/));
  // Send Transaction documents no payload: SessionM enqueues it and returns a success message.
  t.same(await post(url, 'api/2.0/send_transaction', wrap('s3', tx('T1'))), { status: 200, body: { status: 'OK' } });
  t.equal(sim.points('U1'), 130);
  t.match(await post(url, 'api/2.0/send_transaction', wrap('s3', tx('T1', { total: 4, subtotal: 4, items: [{ sku: 'A', quantity: 1, price: 4, subtotal: 4 }], payments: [{ type: 'cash', amount: 4 }] }))),
    { status: 200 }, 'resend with the same request_id: first answer, nothing applied');
  t.equal(sim.points('U1'), 130);
  // Seed 003: "Ensure uniqueness in transaction ID. Doing so avoids overwriting existing transactions": the same
  // transaction_id under another request_id overwrites it (a return is sent so), it is not refused.
  const smaller = { total: 4, subtotal: 4, items: [{ sku: 'A', quantity: 1, price: 4, subtotal: 4 }], payments: [{ type: 'cash', amount: 4 }] };
  t.same(await post(url, 'api/2.0/send_transaction', wrap('s4', tx('T1', smaller))), { status: 200, body: { status: 'OK' } });
  t.equal(sim.transactions.size, 1);
  t.equal(sim.transactions.get('T1')?.total, 400, 'replaced');
  t.equal(sim.points('U1'), 124, 'its points with it (120 + 4)');
  // A refusal is kept for its request_id too: the corrected request under that id gets the refusal.
  t.match(await post(url, 'api/2.0/send_transaction', wrap('s2', tx('T2'))), refused(/total/), 'the first answer of s2');
  t.notOk(sim.transactions.has('T2'));
});

t.test('backend: identify, preview with offers, award through send_transaction, exactly once', async (t) => {
  const sim = await startSessionmSim(t);
  const { run, logs } = await sessionmBackend(t, sim);
  const alice = { ok: true, result: { customer: { id: 'U1', name: 'Alice Martin', tier: 'gold', balance: { amount: 120, currency: 'EUR' } }, unsupported_ops: ['spend', 'void', 'products.sync', 'refund', 'voucher.redeem'] } };
  t.match(await run(message('identify', { by: 'card', value: '6006 4912 3456 7890' })), [alice]);
  t.match(await run(message('identify', { by: 'phone', value: '+33 6 12 34 56 78' })), [alice]);
  t.match(await run(message('identify', { by: 'email', value: 'ALICE@example.com' })), [alice]);
  t.match(await run(message('identify', { by: 'card', value: '6006491234567999' })), [{ ok: false, error: { code: 'NOT_FOUND', message: 'no customer with this card' } }]);

  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  const [preview] = await run(message('preview', { customer_id: 'U1', basket: b }));
  t.match(preview, { ok: true, result: { award_amount: 0, balance: { amount: 120 }, offers: [{ id: 'O1', award_amount: 150 }, { id: 'O2', award_amount: 100 }], unsupported_ops: ['spend', 'void', 'products.sync', 'refund', 'voucher.redeem'] } });

  sim.server.inject({ kind: 'drop', when: 'after', endpoint: 'api/2.0/send_transaction' });
  const m = award('U1', b, 'sale-1');
  t.match(await run(m), [{ ok: true, result: { award_amount: 0, balance: { amount: 130 }, basket_total: 1000 } }]);
  t.equal(sim.transactions.size, 1);
  t.equal(sim.points('U1'), 130, 'the retry after a lost answer was not applied again');
  t.match(await run(m), [{ ok: true, result: { award_amount: 0 } }]);
  t.equal(sim.server.callsTo('api/2.0/send_transaction'), 2);
  for (const s of [SM_SECRET, '6006491234567890', 'alice@example.com', '33612345678']) t.notOk(logs().includes(s), 'no secret or identifier in logs');
});

t.test('backend: a timeout leaves the award pending, the resend is applied once', async (t) => {
  const sim = await startSessionmSim(t);
  const { run } = await sessionmBackend(t, sim, { retries: 0, timeout_ms: 200 });
  const m = award('U1', basket([['COFFEE', 1000]]), 'sale-1');
  sim.server.inject({ kind: 'latency', ms: 500, endpoint: 'api/2.0/send_transaction' });
  t.match(await run(m), [{ ok: false, error: { code: 'UPSTREAM_TIMEOUT', permanent: false } }]);
  await new Promise((r) => setTimeout(r, 500));
  t.match(await run(m), [{ ok: true, result: { award_amount: 0, balance: { amount: 130 } } }]);
  t.equal(sim.points('U1'), 130);
});

t.test('backend: a resend while SessionM is still processing the first ("pending processing") stays pending, then gets the first answer', async (t) => {
  // General Request Container, request_id: a repeat "will return the response when one had already been
  // generated or if it bears an error code of 'pending processing'": not a refusal of the sale.
  const sim = await startSessionmSim(t);
  const { run } = await sessionmBackend(t, sim, { retries: 0, timeout_ms: 200 });
  const m = award('U1', basket([['COFFEE', 1000]]), 'sale-1');
  sim.server.inject({ kind: 'latency', ms: 1500, endpoint: 'api/2.0/send_transaction' });
  t.match(await run(m), [{ ok: false, error: { code: 'UPSTREAM_TIMEOUT', permanent: false } }]);
  t.match(await run(m), [{ ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', permanent: false, message: /pending processing/ } }],
    'the first is still being processed: transient, the till resends (it was REJECTED_UPSTREAM, a dead letter)');
  await waitFor(() => sim.transactions.size === 1);
  t.match(await run(m), [{ ok: true, result: { award_amount: 0, balance: { amount: 130 } } }], 'the resend gets the first answer');
  t.equal(sim.points('U1'), 130, 'applied once');
});

t.test('backend: a 404 that is not a SessionM answer (a wrong sessionm.url) is not "no such customer" nor a dead letter', async (t) => {
  // A real 404 page is not the General Response Container: the lookup found nothing because it never reached SessionM.
  const sim = await startSessionmSim(t);
  const { run, backend } = await sessionmBackend(t, sim, { url: `${sim.server.url}pos/` });
  t.match(await run(message('identify', { by: 'card', value: '6006491234567890' })),
    [{ ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', permanent: false, message: /HTTP 404 that is not a SessionM answer.*sessionm\.url/ } }],
    'was NOT_FOUND "no customer with this card" for every customer');
  t.match(await run(award('U1', basket([['COFFEE', 1000]]), 'sale-1')), [{ ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', permanent: false } }],
    'the sale stays pending (was NOT_FOUND, permanent: a dead letter)');
  t.equal(sim.transactions.size, 0);
  t.match((await backend.doctor()).find((c) => c.name === 'sessionm call'), { ok: false, detail: /HTTP 404.*not a SessionM answer.*sessionm\.url/ }, 'the doctor said ok');
  t.match((await backend.checkOps()).find((o) => o.op === 'identify'), { ok: false }, 'check-backend said "api/2.0/lookup answers"');
  // A SessionM 404 (its container) is still an answer: an unknown customer.
  const { run: right } = await sessionmBackend(t, sim);
  t.match(await right(message('identify', { by: 'card', value: '6006491234567999' })), [{ ok: false, error: { code: 'NOT_FOUND', permanent: true } }]);
});

t.test('backend: unsupported ops are permanent UNSUPPORTED with the reason; check-backend says so', async (t) => {
  const sim = await startSessionmSim(t);
  const { run, backend } = await sessionmBackend(t, sim);
  t.match(await run(spend('U1', 100, 'sale-1')), [{ ok: false, error: { code: 'UNSUPPORTED', permanent: true, message: /sessionm backend: the POS API has no wallet spend/ } }]);
  t.match(await run(voidTxn('sale-1')), [{ ok: false, error: { code: 'UNSUPPORTED', permanent: true } }]);
  t.match(await run(message('products.sync', { products: [{ sku: 'A', name: 'A' }] })), [{ ok: false, error: { code: 'UNSUPPORTED', message: /SM Sync/ } }]);
  const ops = await backend.checkOps();
  t.same(ops.filter((o) => !o.ok).map((o) => o.op).slice(0, 3), ['spend', 'void', 'products.sync']);
  t.ok(ops.filter((o) => !o.ok).every((o) => o.detail.startsWith('unsupported: ')));
  t.match(await backend.doctor(), [{ name: 'sessionm auth', ok: true }, { name: 'sessionm call', ok: true }, { name: 'sessionm clock', ok: true }]);
  const wrong = await sessionmBackend(t, sim, { secret: 'nope-secret' });
  t.match(await wrong.run(message('identify', { by: 'card', value: '6006491234567890' })), [{ ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', permanent: false } }]);
  t.notOk(wrong.logs().includes('nope-secret'));
});

t.test('backend: offers, lock (15 min), unlock, redeem, reinstate through SessionM', async (t) => {
  const sim = await startSessionmSim(t);
  const { run } = await sessionmBackend(t, sim);
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  t.match(await run(message('offers', { customer_id: 'U1' })), [{ ok: true, result: { customer_id: 'U1', offers: [{ id: 'O1', name: 'Free croissant', locked: null }, { id: 'O2' }] } }]);
  t.match(await run(message('offers', { customer_id: 'U1', basket: b })), [{ ok: true, result: { offers: [{ id: 'O1', discount_amount: 150 }, { id: 'O2', discount_amount: 100 }] } }]);

  // Lock Offer takes the sale's transaction (required): a lock without the basket cannot be sent.
  t.match(await run(message('lock', { customer_id: 'U1', offer_ids: ['O1'] }, { txn_id: 'sale-1' })), [{ ok: false, error: { code: 'BAD_REQUEST', message: /^basket: /, permanent: true } }]);
  t.equal(sim.server.callsTo('api/2.0/lock'), 0);
  const lock = message('lock', { customer_id: 'U1', offer_ids: ['O1'], basket: b }, { txn_id: 'sale-1' });
  const [locked] = await run(lock);
  t.match(locked, { ok: true, result: { txn_id: 'sale-1', offers: [{ id: 'O1', locked: 'this_sale' }] } });
  const ttl = (locked as unknown as { result: { ttl_s: number } }).result.ttl_s;
  t.ok(ttl > 890 && ttl <= 900, `15-minute lock (${ttl} s)`);
  t.match(await run(lock), [{ ok: true }], 'a resent lock is answered, not refused');
  t.equal(sim.offer('O1')?.status, 'locked');
  t.match(await run(message('lock', { customer_id: 'U1', offer_ids: [], amount: 100, currency: 'EUR' }, { txn_id: 'sale-1' })), [{ ok: false, error: { code: 'UNSUPPORTED' } }]);
  t.match(await run(message('unlock', { offer_ids: ['O1'] }, { txn_id: 'sale-1' })), [{ ok: true, result: { released_offers: ['O1'] } }]);
  t.equal(sim.offer('O1')?.status, 'available');
  t.match(await run(message('unlock', {}, { txn_id: 'sale-1' })), [{ ok: false, error: { code: 'BAD_REQUEST', message: /offer_ids/ } }]);

  const redeem = message('redeem', { txn_id: 'sale-1', customer_id: 'U1', offer_id: 'O1', basket: b }, { txn_id: 'red-1' });
  sim.server.inject({ kind: 'drop', when: 'after', endpoint: 'api/2.0/redeem' });
  t.match(await run(redeem), [{ ok: true, result: { status: 'redeemed', offer_id: 'O1', name: 'Free croissant', discount_amount: 150, currency: 'EUR' } }], 'lost answer, retried with the same request_id');
  t.equal(sim.offer('O1')?.status, 'redeemed');
  t.match(await run(message('redeem', { txn_id: 'sale-2', customer_id: 'U1', offer_id: 'O1', basket: b }, { txn_id: 'red-2' })),
    [{ ok: true, result: { status: 'refused', code: 'OFFER_UNAVAILABLE' } }]);
  t.match(await run(message('reinstate', {}, { txn_id: 'red-1' })), [{ ok: true, result: { offer_id: 'O1', reinstated_discount_amount: 150 } }]);
  t.equal(sim.offer('O1')?.status, 'available');
  t.match(await run(message('reinstate', {}, { txn_id: 'red-404' })), [{ ok: false, error: { code: 'NOT_FOUND', permanent: true } }]);
});

t.test('backend: exactly once by operation: a redeem repeated under a new message id after a timeout gets the first outcome', async (t) => {
  const sim = await startSessionmSim(t);
  const { run } = await sessionmBackend(t, sim, { retries: 0, timeout_ms: 200 });
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  sim.server.inject({ kind: 'latency', ms: 500, endpoint: 'api/2.0/redeem' });
  const params = { txn_id: 'sale-1', customer_id: 'U1', offer_id: 'O1', basket: b };
  const first = message('redeem', params, { txn_id: 'red-1' });
  t.match(await run(first), [{ ok: false, error: { code: 'UPSTREAM_TIMEOUT', permanent: false } }]);
  await waitFor(() => sim.offer('O1')?.status === 'redeemed', { what: 'the slow redeem applied at SessionM' });
  // Keyed by the message, the repeat would be a new request_id and SessionM would refuse the
  // offer it already redeemed for this very redemption.
  const repeat = message('redeem', params, { txn_id: 'red-1' });
  t.not(repeat.id, first.id);
  t.match(await run(repeat), [{ ok: true, result: { status: 'redeemed', offer_id: 'O1', discount_amount: 150 } }]);
  t.equal(sim.server.callsTo('api/2.0/redeem'), 2);
});

// Seed 003: "The tax_included field, which is in the payload's items section, specifies how much tax
// is associated with the item. In the transaction header, there is a tax_total field." and "Items and
// payment do have positive values." A protocol 2 basket (tax amounts, payments) was sent with its
// tax amounts in minor units where a flag was expected: SessionM refused it, the sale a dead letter.
t.test('backend: a protocol 2 basket reaches send_transaction with its item taxes as amounts and its payments', async (t) => {
  const sim = await startSessionmSim(t);
  const { run } = await sessionmBackend(t, sim);
  const v2 = {
    currency: 'EUR', total: 1250, tax_total: 114, channel: 'patio',
    items: [
      { sku: 'BURRITO-L', name: 'Burrito', qty: 1, unit_price: 950, amount: 950, tax_included: 86 },
      { sku: 'COLA', qty: 1, unit_price: 300, amount: 300, tax_included: 28 },
    ],
    payments: [{ method: 'card', amount: 1000 }, { method: 'cash', amount: 250 }],
  };
  t.match(await run(award('U1', v2, 'sale-v2')), [{ ok: true, result: { balance: { amount: 132 } } }]);
  const [sent] = [...sim.transactions.values()].map((x) => x.sent);
  t.match(sent, {
    subtotal: 12.5, tax_total: 1.14, total: 12.5,
    items: [{ sku: 'BURRITO-L', name: 'Burrito', price: 9.5, subtotal: 9.5, tax_included: 0.86 }, { sku: 'COLA', subtotal: 3, tax_included: 0.28 }],
    payments: [{ type: 'card', amount: 10 }, { type: 'cash', amount: 2.5 }],
  });
  // The same basket in a preview (lookup with the transaction) is taken too.
  t.match(await run(message('preview', { customer_id: 'U1', basket: v2 })), [{ ok: true, result: { balance: { amount: 132 } } }]);

  // Protocol 1: tax_included is a flag that says no amount: none is sent; one payment of the total by the till.
  const v1 = { currency: 'EUR', total: 500, items: [{ sku: 'COFFEE', qty: 1, unit_price: 500, amount: 500, tax_included: true }] };
  t.match(await run(award('U1', v1, 'sale-v1')), [{ ok: true, result: { balance: { amount: 137 } } }]);
  const v1Sent = [...sim.transactions.values()].map((x) => x.sent)[1]!;
  t.notOk('tax_included' in v1Sent.items[0]!, 'no tax amount invented from a flag');
  t.same(v1Sent.payments, [{ type: 'till', amount: 5 }]);
  // Payments that do not account for the total (a part paid some other way): one payment of the total, as before.
  const part = { ...v2, payments: [{ method: 'card', amount: 1000 }] };
  t.match(await run(award('U1', part, 'sale-part')), [{ ok: true }]);
  t.same([...sim.transactions.values()].map((x) => x.sent)[2]!.payments, [{ type: 'till', amount: 12.5 }]);
});

// Reference, Lock Offer: "Allows an offer to be "locked" by a transaction and redeemed upon the
// finalization of that transaction" and "the Lock Offer API should be called again, passing the exact
// same transaction ID"; Lock Offer and Immediate Redeem take offer_lookup_code, offer_lookup_type and
// the transaction. The connector sent {user_offer_id, employee_id, transaction_id: the till's raw
// txn_id} and {user_offer_id, employee_id}: neither what the reference takes, and a lock's
// transaction was not the one the sale's send_transaction carries.
t.test('backend: lock and redeem name the offer by lookup code and carry the sale\'s transaction, the one send_transaction sends', async (t) => {
  const sim = await startSessionmSim(t);
  const { run } = await sessionmBackend(t, sim);
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  const longTxn = `sale-${'9'.repeat(100)}`; // a till's txn_id may have 128 characters; SessionM's ids here ≤ 64
  t.match(await run(message('lock', { customer_id: 'U1', offer_ids: ['O1'], basket: b }, { txn_id: longTxn })), [{ ok: true, result: { txn_id: longTxn, offers: [{ id: 'O1', locked: 'this_sale' }] } }]);
  const locked = sim.offer('O1')!;
  t.equal(locked.status, 'locked');
  t.match(await run(message('lock', { customer_id: 'U1', offer_ids: ['O1'], basket: basket([['CROISSANT', 250]]) }, { txn_id: longTxn })), [{ ok: true }], 'the sale changed: locked again for the same transaction');
  // Another sale cannot redeem it.
  t.match(await run(message('redeem', { txn_id: 'sale-2', customer_id: 'U1', offer_id: 'O1', basket: b }, { txn_id: 'red-2' })), [{ ok: true, result: { status: 'refused', code: 'OFFER_LOCKED' } }]);
  // The sale is finalised: send_transaction carries the transaction the offer was locked for, and SessionM redeems it.
  t.match(await run(award('U1', b, longTxn)), [{ ok: true }]);
  const [sent] = [...sim.transactions.keys()];
  t.equal(locked.transaction_id, sent, 'the lock\'s transaction is the sale\'s');
  t.equal(sim.offer('O1')?.status, 'redeemed', 'redeemed upon the finalization of that transaction');
  // Immediate Redeem with the sale's transaction.
  t.match(await run(message('redeem', { txn_id: 'sale-3', customer_id: 'U1', offer_id: 'O2', basket: b }, { txn_id: 'red-3' })), [{ ok: true, result: { status: 'redeemed', discount_amount: 100 } }]);
  t.match(sim.offer('O2'), { status: 'redeemed', transaction_id: /^[0-9a-f-]{36}$/ });
  t.match(await run(award('U1', b, 'sale-3')), [{ ok: true }]);
  t.ok(sim.transactions.has(sim.offer('O2')!.transaction_id!), 'the redeem named the transaction the sale then sent');
});

// Send Transaction is "an asynchronous flow" (reference: "Enqueue transaction job", "Return success
// message", then the rule outcomes): the points are not known when the connector answers. It answered
// award_amount 0 and nothing else, which every till printed as "Awarded 0.00" and showed as "+0.00".
t.test('backend: an award says its points are computed later (award_pending), also from the host\'s record; the till reads it so', async (t) => {
  const sim = await startSessionmSim(t);
  const { run } = await sessionmBackend(t, sim);
  const m = award('U1', basket([['COFFEE', 1000]]), 'sale-1');
  const [first] = await run(m);
  t.match(first, { ok: true, result: { award_amount: 0, award_pending: true, balance: { amount: 130 } } });
  const [repeat] = await run(m);
  t.match(repeat, { ok: true, result: { award_pending: true } }, 'a repeat answered from the record says so too');
  t.equal(sim.server.callsTo('api/2.0/send_transaction'), 1);
  // The till's check of the answer (fast decoder, else the schema) keeps it.
  const answer = JSON.parse(JSON.stringify((first as { result: unknown }).result)) as unknown;
  t.match(checkResult('award', answer), { result: { award_amount: 0, award_pending: true } });
  t.equal(fastAwardResult(answer)?.award_pending, true, 'on the fast path');
  // preview: the points the basket will earn are not known before the sale either ("earns 0" was wrong too).
  const [preview] = await run(message('preview', { customer_id: 'U1', basket: basket([['COFFEE', 1000]]) }));
  t.match(preview, { ok: true, result: { award_amount: 0, award_pending: true } });
  t.match(previewResultSchema.safeParse((preview as { result: unknown }).result), { success: true, data: { award_pending: true } });
});

// Send Transaction: the reference documents no payload ("Enqueue transaction job", "Return success
// message": the loyalty engine runs after the answer). The connector required {transaction_id,
// points_earned}: every award SessionM answered with {status: "OK"} alone was a garbled answer,
// UPSTREAM_UNAVAILABLE, resent for ever (each resend answered the same by request_id) while the
// till's outbox waited behind it, although SessionM had the sale.
t.test('backend: an award answered with the General Response alone ({status: "OK"}, no payload) is applied, its balance looked up', async (t) => {
  const sim = await startSessionmSim(t);
  const { run } = await sessionmBackend(t, sim);
  const m = award('U1', basket([['COFFEE', 1000]]), 'sale-1');
  const [result] = await run(m);
  t.match(result, { ok: true, result: { currency: 'EUR', award_amount: 0, balance: { amount: 130, currency: 'EUR' }, basket_total: 1000 } },
    'points not announced (not in the answer); the balance as User Lookup reports it after the send');
  t.equal(sim.server.callsTo('api/2.0/send_transaction'), 1, 'sent once, not retried as a garbled answer');
  t.equal(sim.server.callsTo('api/2.0/lookup'), 1, 'one lookup for the balance');
  t.equal(sim.points('U1'), 130);
  // The lookup after the send fails: the till resends; SessionM answers the send by its request_id, applies nothing again.
  sim.server.inject({ kind: 'status', status: 503, endpoint: 'api/2.0/lookup', count: 10 });
  const m2 = award('U1', basket([['COFFEE', 500]]), 'sale-2');
  t.match(await run(m2), [{ ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', permanent: false, message: /send_transaction accepted; the balance lookup after it failed/ } }]);
  sim.server.clearFaults();
  await new Promise((r) => setTimeout(r, 50));
  const [again] = await run(m2);
  t.match(again, { ok: true, result: { award_amount: 0, balance: { amount: 135 } } });
  t.equal(sim.points('U1'), 135, 'applied once');
});

// LOCAL.md, "Offers held by a customer": "A lock is all or nothing: if one offer cannot be locked,
// nothing is", and its refusals are OFFER_LOCKED (retryable), OFFER_UNAVAILABLE, NOT_FOUND. SessionM
// locks one offer per call: the offers locked before the refused one stayed locked at SessionM for 15
// minutes although the till was told the lock failed, and every refusal was REJECTED_UPSTREAM.
t.test('backend: a lock of several offers is all or nothing, its refusals are the till\'s lock refusals', async (t) => {
  const sim = await startSessionmSim(t);
  const { run } = await sessionmBackend(t, sim);
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  const lock = (txn: string, offer_ids: string[]) => run(message('lock', { customer_id: 'U1', offer_ids, basket: b }, { txn_id: txn }));
  t.match(await lock('sale-2', ['O2']), [{ ok: true }]);
  t.match(await lock('sale-1', ['O1', 'O2']), [{ ok: false, error: { code: 'OFFER_LOCKED', permanent: false, message: /offer O2 is locked by another sale/ } }]);
  t.equal(sim.offer('O1')?.status, 'available', 'O1, locked by this refused lock, is released');
  t.match(sim.offer('O2'), { status: 'locked' }, 'the other sale keeps O2');

  // A sale's own earlier lock is kept when its re-lock is refused.
  t.match(await lock('sale-1', ['O1']), [{ ok: true }]);
  const held = sim.offer('O1')!.transaction_id;
  t.match(await lock('sale-1', ['O1', 'O2']), [{ ok: false, error: { code: 'OFFER_LOCKED' } }]);
  t.match(sim.offer('O1'), { status: 'locked', transaction_id: held }, 'still locked for sale-1');

  t.match(await lock('sale-3', ['O9']), [{ ok: false, error: { code: 'NOT_FOUND', permanent: true, message: /^offer_ids: customer U1 holds no offer O9/ } }]);
  t.match(await run(message('unlock', { offer_ids: ['O1'] }, { txn_id: 'sale-1' })), [{ ok: true }]);
  t.match(await run(message('redeem', { txn_id: 'sale-4', customer_id: 'U1', offer_id: 'O1', basket: b }, { txn_id: 'red-4' })), [{ ok: true, result: { status: 'redeemed' } }]);
  t.match(await lock('sale-5', ['O1']), [{ ok: false, error: { code: 'OFFER_UNAVAILABLE', permanent: true, message: /offer O1 is not available.*redeemed/ } }]);
});

// LOCAL.md: "unlocking what is not locked is not an error (released_* say what was released)". An
// offer SessionM refused to unlock (redeemed meanwhile) failed the whole unlock: the offers after it
// in the list stayed locked, and released_offers named every offer asked for.
t.test('backend: an unlock goes on past an offer SessionM will not unlock, and names only what it released', async (t) => {
  const sim = await startSessionmSim(t);
  const { run } = await sessionmBackend(t, sim);
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  t.match(await run(message('lock', { customer_id: 'U1', offer_ids: ['O1', 'O2'], basket: b }, { txn_id: 'sale-1' })), [{ ok: true }]);
  t.match(await run(message('redeem', { txn_id: 'sale-1', customer_id: 'U1', offer_id: 'O1', basket: b }, { txn_id: 'red-1' })), [{ ok: true, result: { status: 'redeemed' } }]);
  t.match(await run(message('unlock', { offer_ids: ['O1', 'O2', 'O9'] }, { txn_id: 'sale-1' })), [{ ok: true, result: { txn_id: 'sale-1', released_offers: ['O2'], released_amount: 0 } }]);
  t.equal(sim.offer('O2')?.status, 'available', 'O2 released although O1 could not be');
  t.equal(sim.offer('O1')?.status, 'redeemed');
});

// LOCAL.md: "identify (online) and offers without a basket list every issued, unexpired offer"; seed
// 003: the lookup "returns customer details and available offers". The lookup's offers were dropped:
// the POS saw an empty wallet at identify on the sessionm backend.
t.test('backend: identify passes on the offers the lookup answers', async (t) => {
  const sim = await startSessionmSim(t);
  const { run } = await sessionmBackend(t, sim);
  t.match(await run(message('identify', { by: 'card', value: '6006491234567890' })), [{
    ok: true,
    result: {
      customer: { id: 'U1' },
      offers: [
        // Without a basket SessionM gives no discount: not known, rather than "0.00 off".
        { id: 'O1', name: 'Free croissant', reward: { kind: 'amount', amount: 0, currency: 'EUR', amount_unknown: true }, expires_at: null, locked: null },
        { id: 'O2', name: '1 EUR off', reward: { amount_unknown: true }, locked: null },
      ],
    },
  }]);
  const withBasket = await run(message('offers', { customer_id: 'U1', basket: basket([['CROISSANT', 300], ['COFFEE', 750]]) }));
  t.match(withBasket, [{ ok: true, result: { offers: [{ id: 'O1' }] } }]);
  const known = (withBasket[0] as unknown as { result: { offers: Array<{ reward: { amount: number; amount_unknown?: true }; discount_amount?: number }> } }).result.offers;
  t.ok(known.length > 0 && known.every((o) => o.reward.amount_unknown === undefined && o.reward.amount === o.discount_amount), 'with a basket: the amount is known');
  t.match(await run(message('lock', { customer_id: 'U1', offer_ids: ['O2'], basket: basket([['COFFEE', 750]]) }, { txn_id: 'sale-1' })), [{ ok: true }]);
  t.match(await run(message('identify', { by: 'card', value: '6006491234567890' })), [{ ok: true, result: { offers: [{ id: 'O1', locked: null }, { id: 'O2', locked: 'other' }] } }]);
});
