// The crmcom backend against the CRM.COM simulator: the mapping of every till op, exactly once
// through the platform (drops, timeouts, duplicates, resends), retries, the breaker, token
// renewal, permanent rejections, and no secret or identifier in the logs.
import t from 'tap';
import { SIM_KEY, crmcomBackend, startCrmcomSim } from '../../helpers/crmcom-sim.ts';
import { award, basket, message, spend, voidTxn } from '../../helpers/host-fixtures.ts';
import { waitFor } from '../../helpers/wait.ts';

const identify = (by: 'card' | 'phone' | 'email' | 'token', value: string) => message('identify', { by, value });

t.test('identify by card, email and phone; unknown → NOT_FOUND without echoing the value', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run, logs } = await crmcomBackend(t, sim);
  const expected = { ok: true, result: { customer: { id: 'P1', name: 'Alice', tier: 'gold', balance: { amount: 1000, currency: 'EUR' } } } };
  t.match(await run(identify('card', '6006 4912 3456 7890')), [expected]);
  t.match(await run(identify('email', ' Alice@Example.com ')), [expected]);
  t.match(await run(identify('phone', '+33 6 12 34 56 78')), [expected]);
  t.equal(sim.server.callsTo('wallets/get_balance'), 3, 'the balance comes from the wallet, one call per identify');
  sim.participants.get('P1')!.balance = 1234;
  t.match(await run(identify('card', '6006491234567890')), [{ ok: true, result: { customer: { balance: { amount: 1234 } } } }], 'the wallet\'s current balance');
  t.match(await run(identify('card', '6006491234567916')), [{ ok: true, result: { customer: { id: 'P3', name: 'Chiara', balance: { amount: 0 } } } }]);
  const [untiered] = await run(identify('card', '6006491234567916'));
  t.notOk('tier' in ((untiered as unknown as { result: { customer: object } }).result.customer), 'no reward tier, no tier');
  const [missing] = await run(identify('card', '6006491234567999'));
  t.match(missing, { ok: false, error: { code: 'NOT_FOUND', permanent: true, message: 'no customer with this card' } });
  for (const secret of [SIM_KEY, '6006491234567890', '6006491234567999', 'alice@example.com', '+33612345678']) t.notOk(logs().includes(secret), 'no secret in logs');
});

t.test('preview → award → spend → void, amounts as CRM.COM computes them', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim);
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  t.match(await run(message('preview', { customer_id: 'P1', basket: b })), [{
    ok: true, result: { currency: 'EUR', award_amount: 100, instant_spend_amount: 50, automatic_spend_amount: 0, spendable_amount: 950, balance: { amount: 1000 }, reduction: 'front_end', offers: [] },
  }]);
  t.equal(sim.purchases.size, 0, 'preview creates nothing');
  t.match(await run(award('P1', b, 'sale-1')), [{ ok: true, result: { award_amount: 100, instant_spend_amount: 50, total_spend_amount: 50, balance: { amount: 1050 } } }]);
  t.match(await run(spend('P1', 300, 'sale-1')), [{ ok: true, result: { spent_amount: 300, balance: { amount: 750, currency: 'EUR' }, offline: false } }]);
  const [voided] = await run(voidTxn('sale-1'));
  // The balance after the void, of the participant the award recorded: without it the till kept the one
  // from before (7.50), printed it as the voided sale's "New balance" and counted offline spends on it.
  t.match(voided, { ok: true, result: { reversed_award_amount: 100, reversed_spend_amount: 350, currency: 'EUR', balance: { amount: 1000, currency: 'EUR' } } });
  t.equal(sim.balance('P1'), 1000);
  // A sale large enough that the wallet, not what is left to pay, bounds the spend.
  const big = basket([['CROISSANT', 250], ['COFFEE', 9750]]);
  t.match(await run(award('P1', big, 'sale-2'), spend('P1', 5000, 'sale-2')), [
    { ok: true, result: { balance: { amount: 1950 } } },
    { ok: true, result: { spent_amount: 1950, balance: { amount: 0 } } },
  ], 'actual ≤ requested: what the wallet holds');
  t.match(await run(voidTxn('never')), [{ ok: false, error: { code: 'NOT_FOUND', permanent: true } }]);
  t.match(await run(spend('P1', 100, 'no-purchase')), [{ ok: false, error: { code: 'NOT_FOUND', permanent: true } }], 'a spend needs the sale\'s purchase');
});

t.test('award reads the purchase customer event object as the reference names it: total_awarded_amount, front end without reduction_method', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim);
  // Before, the connector read the preview's total_award_amount and required reduction_method from
  // the purchases/create answer: a real purchase was refused as garbled, retried until the breaker
  // opened, and the till's award stayed pending for ever.
  t.match(await run(award('P1', basket([['COFFEE', 1000]]), 'sale-1')), [{ ok: true, result: { award_amount: 100, reduction: 'front_end', balance: { amount: 1100 } } }]);
  t.equal(sim.server.callsTo('customer_events/purchases/create'), 1, 'answered at the first call');
});

t.test('product lines carry net_amount, vat_amount and total_amount: the tax inside the item (protocol 2), per currency exponent', async (t) => {
  // Before, a line was {product_identifier, quantity, net_amount: the item's amount}: the reference's
  // mandatory vat_amount and total_amount missing (a tenant refuses the purchase: a dead letter), and
  // the tax-inclusive amount passed as the net amount.
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim);
  const taxed = {
    currency: 'EUR', total: 1720, items: [
      { sku: 'COFFEE', qty: 1, unit_price: 1220, amount: 1220, tax_included: 220 },
      { sku: 'CROISSANT', qty: 2, unit_price: 250, amount: 500, tax_included: true },
    ],
  };
  t.match(await run(message('preview', { customer_id: 'P1', basket: taxed })), [{ ok: true, result: { award_amount: 172 } }]);
  t.match(await run(award('P1', taxed, 'sale-1')), [{ ok: true, result: { award_amount: 172 } }]);
  t.same([...sim.purchases.values()][0]!.products, [
    { product_identifier: { code: 'COFFEE' }, quantity: 1, net_amount: 10, vat_amount: 2.2, total_amount: 12.2 },
    { product_identifier: { code: 'CROISSANT' }, quantity: 2, net_amount: 5, vat_amount: 0, total_amount: 5 },
  ], 'protocol 1 says only that tax is included, not how much: VAT 0');

  const bhd = await startCrmcomSim(t, { currency: 'BHD' });
  const fils = await crmcomBackend(t, bhd, { currency: 'BHD' });
  const dinars = { currency: 'BHD', total: 1234, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1234, amount: 1234, tax_included: 112 }] };
  t.match(await fils.run(award('P1', dinars, 'sale-bhd')), [{ ok: true, result: { currency: 'BHD', award_amount: 123 } }]);
  t.same([...bhd.purchases.values()][0]!.products, [{ product_identifier: { code: 'COFFEE' }, quantity: 1, net_amount: 1.122, vat_amount: 0.112, total_amount: 1.234 }], 'three decimals');
});

t.test('exactly once: a resent award, a dropped answer, a duplicate answer', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run, ledger } = await crmcomBackend(t, sim);
  const b = basket([['COFFEE', 1000]]);
  const first = award('P1', b, 'sale-1', 'msg-1');
  const [r1] = await run(first);
  const [again] = await run(first);
  t.same(again, r1, 'same message: the stored result');
  t.equal(sim.server.callsTo('customer_events/purchases/create'), 1, 'answered by the host, not sent again');

  // The platform applies the purchase but the answer is lost: the retry carries the same
  // reference, CRM.COM answers with the purchase it already has.
  sim.server.inject({ kind: 'drop', when: 'after', endpoint: 'customer_events/purchases/create' });
  t.match(await run(award('P1', b, 'sale-2')), [{ ok: true, result: { award_amount: 100, balance: { amount: 1200 } } }]);
  t.equal(sim.server.callsTo('customer_events/purchases/create'), 3, 'sent twice');
  t.equal(sim.purchases.size, 2, 'applied once');

  sim.server.inject({ kind: 'duplicate', endpoint: 'customer_events/purchases/create' });
  t.match(await run(award('P1', b, 'sale-3')), [{ ok: true, result: { balance: { amount: 1300 } } }]);
  t.equal(sim.purchases.size, 3);
  t.equal(sim.balance('P1'), 1300);
  t.equal(ledger.processedByTxn('M1/S1/T1', 'award', 'sale-3')?.result.award_amount, 100, 'recorded for dedup');
});

t.test('a platform timeout leaves the message pending; the resend is applied once', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim, { retries: 0, timeout_ms: 200 });
  const m = award('P1', basket([['COFFEE', 1000]]), 'sale-1', 'msg-slow');
  sim.server.inject({ kind: 'latency', ms: 600, endpoint: 'customer_events/purchases/create' });
  const [timedOut] = await run(m, spend('P1', 100, 'sale-1'));
  t.match(timedOut, { ok: false, error: { code: 'UPSTREAM_TIMEOUT', permanent: false } });
  // The slow call still completes at the platform.
  await new Promise((r) => setTimeout(r, 600));
  t.equal(sim.purchases.size, 1);
  const results = await run(m, spend('P1', 100, 'sale-1'));
  t.match(results, [{ ok: true, result: { award_amount: 100, balance: { amount: 1100 } } }, { ok: true, result: { spent_amount: 100 } }], 'the batch stopped at the timeout; resent in order');
  t.equal(sim.purchases.size, 1, 'never applied twice');
  t.equal(sim.balance('P1'), 1000);
});

t.test('transient failures retry with backoff; 429 waits Retry-After; the breaker opens', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim, { retries: 2, breaker_threshold: 3 });
  sim.server.inject({ kind: 'status', status: 502, endpoint: 'rewards_participants/show', count: 2 });
  t.match(await run(identify('card', '6006491234567890')), [{ ok: true }], 'two 502s, then an answer');
  sim.server.inject({ kind: 'throttle', retry_after_s: 0.3, endpoint: 'rewards_participants/show' });
  const started = Date.now();
  t.match(await run(identify('card', '6006491234567890')), [{ ok: true }]);
  t.ok(Date.now() - started >= 280, 'waited for Retry-After');
  sim.server.inject({ kind: 'status', status: 503, count: 100 });
  t.match(await run(identify('card', '6006491234567890')), [{ ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', permanent: false } }]);
  const calls = sim.server.callsTo('rewards_participants/show');
  t.match(await run(identify('card', '6006491234567890')), [{ ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', message: /circuit open/ } }]);
  t.equal(sim.server.callsTo('rewards_participants/show'), calls, 'open breaker: not called');
});

t.test('HTTP 408 (a proxy\'s request timeout) is transient: retried, applied once, never a dead letter', async (t) => {
  // Before, every 4xx but 429 was an answer: a 408 made the award REJECTED_UPSTREAM, a dead letter.
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim, { retries: 2 });
  sim.server.inject({ kind: 'status', status: 408, endpoint: 'customer_events/purchases/create', count: 2 });
  t.match(await run(award('P1', basket([['COFFEE', 1000]]), 'sale-408')), [{ ok: true, result: { award_amount: 100 } }], 'two 408s, then applied');
  t.equal(sim.purchases.size, 1, 'once');
  sim.server.inject({ kind: 'status', status: 408, endpoint: 'customer_events/purchases/create', count: 100 });
  t.match(await run(award('P1', basket([['COFFEE', 500]]), 'sale-408b')), [{ ok: false, error: { code: 'UPSTREAM_TIMEOUT', permanent: false, message: /HTTP 408/ } }], 'still 408: retryable, the message stays pending');
});

t.test('token: cached, renewed once on 401; refused credentials are retryable, never logged', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim);
  await run(identify('card', '6006491234567890'), identify('card', '6006491234567890'));
  t.equal(sim.server.callsTo('authentication/web_api_key/token'), 1, 'one token for many calls');
  sim.server.inject({ kind: 'expire_token' });
  t.match(await run(identify('card', '6006491234567890')), [{ ok: true }]);
  t.equal(sim.server.callsTo('authentication/web_api_key/token'), 2, 'renewed once');

  const wrong = await crmcomBackend(t, sim, { api_key: 'not-the-key-4242' });
  const [refused] = await wrong.run(identify('card', '6006491234567890'));
  t.match(refused, { ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', permanent: false, message: /credentials refused/ } });
  t.notOk(JSON.stringify(refused).includes('not-the-key-4242'));
  t.notOk(wrong.logs().includes('not-the-key-4242'));
});

t.test('a login refused for another reason than the key (a unit the tenant does not know) is retryable, never a dead letter', async (t) => {
  // Before, the token endpoint's 400 was the message's REJECTED_UPSTREAM: the award that needed a
  // token was dead-lettered at the till for a configuration mistake (host/README: "Refused
  // credentials are not the message's fault: UPSTREAM_UNAVAILABLE, retryable, until the operator fixes the key").
  const sim = await startCrmcomSim(t, { units: ['U1'] });
  const wrongUnit = await crmcomBackend(t, sim, { unit: 'U9' });
  const [refused] = await wrongUnit.run(award('P1', basket([['COFFEE', 1000]]), 'sale-1'));
  t.match(refused, { ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', permanent: false, message: /no such unit.*login refused: check the crmcom url, key or password, organisation and unit/ } });
  t.equal(sim.purchases.size, 0);
  const fixed = await crmcomBackend(t, sim, { unit: 'U1' });
  t.match(await fixed.run(award('P1', basket([['COFFEE', 1000]]), 'sale-1')), [{ ok: true, result: { award_amount: 100 } }], 'applied once the operator fixes the unit');
});

t.test('permanent rejections become dead letters with the platform\'s message', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim);
  const [usd] = await run(award('P1', basket([['COFFEE', 1000]], 'USD'), 'sale-usd'));
  t.match(usd, { ok: false, error: { code: 'REJECTED_UPSTREAM', permanent: true, message: /INVALID_PARAMETER.*intended_currency_identifier/ } });
  const [next] = await run(award('P1', basket([['COFFEE', 1000]]), 'sale-ok'));
  t.match(next, { ok: true }, 'processing goes on');
});

t.test('products.sync: ≤ 1,000 products a call', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim);
  const products = Array.from({ length: 1000 }, (_, i) => ({ sku: `S${i}`, name: `Product ${i}`, ...(i === 0 ? { brand: 'B', family: 'F', categories: ['c1', 'c2'] } : {}) }));
  t.match(await run(message('products.sync', { products })), [{ ok: true, result: { accepted: 1000 } }]);
  t.match(sim.products.get('S0'), { description: 'Product 0', type_identifier: { name: 'Goods' }, brand_identifier: { name: 'B' }, category: { name: 'c1' } }, 'one category per product (the reference\'s Product Category)');
});

t.test('--check-backend and doctor', async (t) => {
  const sim = await startCrmcomSim(t);
  const { backend } = await crmcomBackend(t, sim);
  const ops = await backend.checkOps();
  t.same(ops.filter((o) => o.ok).map((o) => o.op), ['identify', 'preview', 'award', 'spend', 'void', 'products.sync'], JSON.stringify(ops));
  t.ok(ops.filter((o) => !o.ok).every((o) => o.detail.startsWith('unsupported: ')));
  t.match(await backend.doctor(), [{ name: 'crmcom auth', ok: true }, { name: 'crmcom call', ok: true }, { name: 'crmcom clock', ok: true }]);
  // purchases/list (the preview and award probes, the doctor's call) names a participant: the
  // reference makes one of its semi-optional identifiers mandatory. Before, both sent none and a
  // tenant that enforces it showed ✖ for preview, award and the doctor's call.
  const lists = sim.server.callsTo('customer_events/purchases/list');
  t.ok(lists >= 3, 'preview and award probes and the doctor listed purchases');
  await sim.stop();
  t.match(await backend.doctor(), [{ name: 'crmcom auth', ok: false }]);
  t.ok((await backend.checkOps()).every((o) => !o.ok));
});

t.test('offers held by a customer do not exist at CRM.COM: UNSUPPORTED with the reason', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim);
  for (const m of [
    message('offers', { customer_id: 'P1' }),
    message('lock', { customer_id: 'P1', offer_ids: ['X'] }, { txn_id: 's' }),
    message('unlock', {}, { txn_id: 's' }),
    message('redeem', { txn_id: 's', customer_id: 'P1', offer_id: 'X', basket: basket([['A', 1]]) }, { txn_id: 'r' }),
    message('reinstate', {}, { txn_id: 'r' }),
  ]) t.match(await run(m), [{ ok: false, error: { code: 'UNSUPPORTED', permanent: true, message: /crmcom backend: CRM.COM reward offers are not held/ } }], m.op);
});

t.test('products.sync of a full catalogue: complete once every batch is in; what it no longer lists is retired at CRM.COM', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim);
  const product = (sku: string) => ({ sku, name: sku });
  t.match(await run(message('products.sync', { products: ['OLD1', 'OLD2', 'F1'].map(product) })), [{ ok: true, result: { accepted: 3 } }], 'a delta sync');
  const batch = (n: number, last: boolean, skus: string[], id = 'full-1') => message('products.sync', {
    products: skus.map(product), sync: { id, mode: 'full', batch: n, last },
  });
  // Batch 2 (last) before batch 1: not complete until both are in.
  t.match(await run(batch(2, true, ['F2'])), [{ ok: true, result: { accepted: 1, complete: false } }]);
  t.notOk(sim.products.get('OLD1')?.product_validity_to, 'nothing retired before the catalogue is complete');
  t.match(await run(batch(1, false, ['F1'])), [{ ok: true, result: { accepted: 1, complete: true, deleted: 2 } }]);
  for (const sku of ['OLD1', 'OLD2']) t.match(sim.products.get(sku), { code: sku, description: sku, product_validity_to: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/ }, `${sku}: validity ended, the product kept`);
  for (const sku of ['F1', 'F2']) t.notOk(sim.products.get(sku)?.product_validity_to, `${sku} still valid`);
  // The next full sync: only what it drops is retired (once: a retired product is out of the catalogue).
  const calls = sim.server.callsTo('products/synchronise');
  t.match(await run(batch(1, true, ['F1'], 'full-2')), [{ ok: true, result: { complete: true, deleted: 1 } }]);
  t.equal(sim.server.callsTo('products/synchronise'), calls + 2, 'the batch, then one retire call');
  t.ok(sim.products.get('F2')?.product_validity_to);
});

t.test('exactly once by operation: a spend repeated under a new message id after a platform timeout is spent once', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run, ledger } = await crmcomBackend(t, sim, { retries: 0, timeout_ms: 200 });
  t.match(await run(award('P1', basket([['COFFEE', 1000]]), 'sale-1')), [{ ok: true, result: { balance: { amount: 1100 } } }]);
  // CRM.COM applies the spend after the host gave up: the host recorded nothing.
  sim.server.inject({ kind: 'latency', ms: 500, endpoint: 'customer_events/spend_requests/create' });
  const first = spend('P1', 300, 'sale-1');
  t.match(await run(first), [{ ok: false, error: { code: 'UPSTREAM_TIMEOUT', permanent: false } }]);
  await waitFor(() => sim.spends.size === 1, { what: 'the slow spend applied at CRM.COM' });
  t.equal(ledger.processedByTxn('M1/S1/T1', 'spend', 'sale-1'), undefined, 'nothing recorded by the host');
  // The POS repeats the spend: a new outbox message, the same operation (till, spend, sale-1).
  const repeat = spend('P1', 300, 'sale-1');
  t.not(repeat.id, first.id);
  t.match(await run(repeat), [{ ok: true, result: { spent_amount: 300, balance: { amount: 800 } } }]);
  t.equal(sim.spends.size, 1, 'one spend request at CRM.COM');
  t.equal(sim.balance('P1'), 800, 'spent once');
  t.equal(sim.server.callsTo('customer_events/spend_requests/create'), 1, 'the resend is answered from the event CRM.COM holds: not created again');
});

t.test('a spend resent after a lost answer is answered from the event CRM.COM holds, even where a repeated reference is refused', async (t) => {
  // The reference calls external_system_reference_number "unique" and does not say what a repeat
  // answers. Before, the connector sent spend_requests/create again and relied on CRM.COM answering
  // the first event: a tenant refusing the repeat dead-lettered (REJECTED_UPSTREAM) a spend it applied.
  const sim = await startCrmcomSim(t, { repeated_reference: 'refuse' });
  const { run } = await crmcomBackend(t, sim, { retries: 0, timeout_ms: 200 });
  t.match(await run(award('P1', basket([['COFFEE', 1000]]), 'sale-1')), [{ ok: true }]);
  sim.server.inject({ kind: 'latency', ms: 500, endpoint: 'customer_events/spend_requests/create' });
  t.match(await run(spend('P1', 300, 'sale-1')), [{ ok: false, error: { code: 'UPSTREAM_TIMEOUT', permanent: false } }]);
  await waitFor(() => sim.spends.size === 1, { what: 'the slow spend applied at CRM.COM' });
  t.match(await run(spend('P1', 300, 'sale-1')), [{ ok: true, result: { spent_amount: 300, balance: { amount: 800 } } }], 'the till\'s resend');
  t.equal(sim.server.callsTo('customer_events/spend_requests/create'), 1);
  t.equal(sim.balance('P1'), 800, 'spent once');
});

t.test('a spend whose answer is lost and retried within the call: the refusal of the repeat is answered from the applied event', async (t) => {
  const sim = await startCrmcomSim(t, { repeated_reference: 'refuse' });
  const { run } = await crmcomBackend(t, sim, { retries: 2 });
  t.match(await run(award('P1', basket([['COFFEE', 1000]]), 'sale-1')), [{ ok: true }]);
  // Applied, then the connection dropped before the answer: the client retries the create itself.
  sim.server.inject({ kind: 'drop', when: 'after', endpoint: 'customer_events/spend_requests/create' });
  t.match(await run(spend('P1', 300, 'sale-1')), [{ ok: true, result: { spent_amount: 300, balance: { amount: 800 } } }]);
  t.equal(sim.server.callsTo('customer_events/spend_requests/create'), 2, 'the retry was refused as a repeat');
  t.equal(sim.spends.size, 1);
  t.equal(sim.balance('P1'), 800, 'spent once');
});

t.test('a void whose balance cannot be read after it is still answered (applied at CRM.COM), without the balance', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim);
  t.match(await run(award('P1', basket([['CROISSANT', 250], ['COFFEE', 750]]), 'sale-1'), spend('P1', 300, 'sale-1')), [{ ok: true }, { ok: true }]);
  sim.server.inject({ kind: 'status', status: 500, endpoint: 'wallets/get_balance', count: 10 });
  const [voided] = await run(voidTxn('sale-1'));
  t.match(voided, { ok: true, result: { reversed_award_amount: 100, reversed_spend_amount: 350 } });
  t.notOk(voided!.ok && 'balance' in voided!.result, 'no balance rather than a failed void');
  t.equal(sim.balance('P1'), 1000);
});

t.test('a void sent again after its purchase cancel failed reports every spend it cancelled, the first attempt\'s too', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim, { retries: 0 });
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  t.match(await run(award('P1', b, 'sale-1')), [{ ok: true, result: { instant_spend_amount: 50 } }]);
  t.match(await run(spend('P1', 300, 'sale-1')), [{ ok: true, result: { spent_amount: 300 } }]);
  // The first attempt cancels both spend requests (50 instant, 300), then the purchase cancel fails.
  sim.server.inject({ kind: 'status', status: 503, endpoint: 'customer_events/purchases/cancel' });
  t.match(await run(voidTxn('sale-1')), [{ ok: false, error: { permanent: false } }]);
  t.same([...sim.spends.values()].map((s) => s.state), ['CANCELLED', 'CANCELLED'], 'the spends went back at the first attempt');
  // The till resends: nothing is left to cancel, but the void gave back 350 all the same.
  t.match(await run(voidTxn('sale-1')), [{ ok: true, result: { reversed_award_amount: 100, reversed_spend_amount: 350 } }]);
  t.equal(sim.balance('P1'), 1000);
});

t.test('pos_reduced: false (the POS was answered queued): CRM.COM\'s instant and automatic spends are cancelled, the award kept', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim);
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  // P1: 50 instant on the croissant. P2: automatic spend of the whole wallet (500).
  const queued = (customer: string, txn: string) => message('award', { customer_id: customer, basket: b, pos_reduced: false }, { txn_id: txn });
  const m1 = queued('P1', 'q-1');
  t.match(await run(m1), [{ ok: true, result: { award_amount: 100, instant_spend_amount: 0, automatic_spend_amount: 0, total_spend_amount: 0, balance: { amount: 1100 } } }]);
  t.equal(sim.balance('P1'), 1100, 'the award only: 1000 + 100');
  t.match(await run(queued('P2', 'q-2')), [{ ok: true, result: { award_amount: 100, instant_spend_amount: 0, automatic_spend_amount: 0, total_spend_amount: 0, balance: { amount: 600 } } }]);
  t.equal(sim.balance('P2'), 600);
  t.same([...sim.spends.values()].map((s) => [s.instant_spend, s.automatic_spend, s.state]), [[true, false, 'CANCELLED'], [true, false, 'CANCELLED'], [false, true, 'CANCELLED']],
    'CRM.COM made them as spend requests; the host cancelled them');
  // The same award at a host that did not record it (crashed before): the same purchase,
  // nothing cancelled twice, the same answer.
  const cancels = sim.server.callsTo('customer_events/spend_requests/cancel');
  const fresh = await crmcomBackend(t, sim);
  t.match(await fresh.run(queued('P1', 'q-1')), [{ ok: true, result: { instant_spend_amount: 0, total_spend_amount: 0, balance: { amount: 1100 } } }]);
  t.equal(sim.server.callsTo('customer_events/spend_requests/cancel'), cancels, 'cancelled events are skipped');
  t.equal(sim.purchases.size, 2);
  // The void reverses the award only (the spends are already given back).
  t.match(await run(voidTxn('q-1')), [{ ok: true, result: { reversed_award_amount: 100, reversed_spend_amount: 0 } }]);
  t.equal(sim.balance('P1'), 1000);
  // pos_reduced absent or true: as CRM.COM computed it.
  t.match(await run(award('P1', b, 'r-1')), [{ ok: true, result: { instant_spend_amount: 50, total_spend_amount: 50, balance: { amount: 1050 } } }]);
});

t.test('a back-end reduction tenant: the award says back_end from its instant spend request (the purchase object has no reduction_method), a queued award cancels nothing', async (t) => {
  // Before, without reduction_method on the purchase the award took the front end: a queued award
  // (pos_reduced: false) cancelled the instant spend CRM.COM had already credited by back-end
  // reduction, so the customer kept both.
  const sim = await startCrmcomSim(t, { reduction: 'BACK_END_REDUCTION' });
  const { run } = await crmcomBackend(t, sim);
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  t.match(await run(message('preview', { customer_id: 'P1', basket: b })), [{ ok: true, result: { reduction: 'back_end' } }]);
  t.match(await run(message('award', { customer_id: 'P1', basket: b, pos_reduced: false }, { txn_id: 'q-1' })), [{
    ok: true, result: { reduction: 'back_end', award_amount: 100, instant_spend_amount: 50, total_spend_amount: 50 },
  }]);
  t.equal(sim.server.callsTo('customer_events/spend_requests/cancel'), 0, 'CRM.COM reduces it itself: nothing cancelled');
  t.same([...sim.spends.values()].map((s) => [s.instant_spend, s.state, s.reduction_method]), [[true, 'POSTED', 'BACK_END_REDUCTION']]);
  t.match(await run(award('P1', basket([['COFFEE', 1000]]), 'plain')), [{ ok: true, result: { reduction: 'front_end' } }], 'no instant or automatic spend: the default');
});

t.test('named spends (several per sale: sale_txn_id + spend_id, txn_id the spend\'s own key): each on the sale\'s purchase, each once', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim, { retries: 0, timeout_ms: 200 });
  t.match(await run(award('P1', basket([['COFFEE', 1000]]), 'sale-1')), [{ ok: true, result: { balance: { amount: 1100 } } }]);
  // The shape of a protocol 2 named spend upstream: the message txn_id is the spend's key.
  const named = (spendId: string, amount: number) => ({
    ...spend('P1', amount, `sp-sale-1-${spendId}`),
    payload: { customer_id: 'P1', amount, currency: 'EUR', offline: false, sale_txn_id: 'sale-1', spend_id: spendId },
  }) as unknown as ReturnType<typeof spend>;
  t.match(await run(named('a', 200), named('b', 300)), [
    { ok: true, result: { spent_amount: 200, balance: { amount: 900 } } },
    { ok: true, result: { spent_amount: 300, balance: { amount: 600 } } },
  ]);
  t.equal(sim.spends.size, 2, 'two spend requests on the one purchase');
  // Spend b again, after a timeout the host never recorded, under a new message id: applied once.
  sim.server.inject({ kind: 'latency', ms: 500, endpoint: 'customer_events/spend_requests/create' });
  t.match(await run(named('c', 100)), [{ ok: false, error: { code: 'UPSTREAM_TIMEOUT' } }]);
  await waitFor(() => sim.spends.size === 3, { what: 'the slow spend applied' });
  t.match(await run(named('c', 100)), [{ ok: true, result: { spent_amount: 100, balance: { amount: 500 } } }]);
  t.equal(sim.spends.size, 3);
  t.equal(sim.balance('P1'), 500);
  t.match(await run(voidTxn('sale-1')), [{ ok: true, result: { reversed_award_amount: 100, reversed_spend_amount: 600 } }], 'the void cancels every spend of the sale');
  t.equal(sim.balance('P1'), 1000);
});

t.test('an online spend never takes more than is left to pay on the sale (LOCAL.md "Spend is tied to its sale")', async (t) => {
  // ../shared/seeds/000 (CRM.COM POS integration): "Spend is the awarded amount that will be deducted from the
  // basket's total amount that the customer should pay for", and the spend request "will return back the actual
  // amount that was spent, which might be different than the amount that was requested to be spend".
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim, { retries: 0, timeout_ms: 200 });
  // 10.00 sale, 0.50 instant on the croissant: 9.50 left to pay; the wallet holds 10.50 after the award.
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  t.match(await run(award('P1', b, 'sale-1')), [{ ok: true, result: { instant_spend_amount: 50, balance: { amount: 1050 } } }]);
  // CRM.COM applies the spend after the host gave up: the host recorded nothing.
  sim.server.inject({ kind: 'latency', ms: 500, endpoint: 'customer_events/spend_requests/create' });
  t.match(await run(spend('P1', 99_999, 'sale-1')), [{ ok: false, error: { code: 'UPSTREAM_TIMEOUT' } }]);
  await waitFor(() => sim.spends.size === 2, { what: 'the slow spend applied' });
  t.same([...sim.spends.values()].map((s) => s.amount), [50, 950], 'capped at the basket total less the instant spend, not the wallet');
  // Repeated under a new message id: its own request is not "already paid", CRM.COM answers that first event.
  t.match(await run(spend('P1', 99_999, 'sale-1')), [{ ok: true, result: { spent_amount: 950, balance: { amount: 100 } } }]);
  t.equal(sim.spends.size, 2, 'one spend request for it');
  // A second spend of the sale (protocol 2 spend_id) finds nothing left to pay: no spend request.
  const named = { ...spend('P1', 100, 'sp-sale-1-b'), payload: { customer_id: 'P1', amount: 100, currency: 'EUR', offline: false, sale_txn_id: 'sale-1', spend_id: 'b' } } as unknown as ReturnType<typeof spend>;
  const creates = sim.server.callsTo('customer_events/spend_requests/create');
  t.match(await run(named), [{ ok: true, result: { spent_amount: 0, balance: { amount: 100 } } }]);
  t.equal(sim.server.callsTo('customer_events/spend_requests/create'), creates, 'nothing asked of CRM.COM');
  // An offline spend is applied as the till approved it (the till bounded it by the sale itself).
  t.match(await run(award('P1', basket([['COFFEE', 1000]]), 'sale-2')), [{ ok: true, result: { balance: { amount: 200 } } }]);
  t.match(await run(spend('P1', 150, 'sale-2', true)), [{ ok: true, result: { spent_amount: 150, offline: true } }]);
  t.equal(sim.balance('P1'), 50);
});

t.test('products.sync reads the reference\'s product_synchronisation_complete: processed products accepted, unprocessed ones logged', async (t) => {
  // Before, the connector required {products_set: [{code, id}]}, which the reference's answer does
  // not have: every real products/synchronise answer was garbled, retried, counted by the breaker
  // (opening it for awards and spends too) and the till's sync left pending for ever.
  const sim = await startCrmcomSim(t, { product_types: ['Goods', 'Coffee'] });
  const { run, logs } = await crmcomBackend(t, sim);
  t.match(await run(message('products.sync', { products: [
    { sku: 'A', name: 'A' }, { sku: 'B', name: 'B', type: 'Coffee' }, { sku: 'C', name: 'C', type: 'Teleport' },
  ] })), [{ ok: true, result: { accepted: 2 } }]);
  t.equal(sim.server.callsTo('products/synchronise'), 1, 'answered at the first call, not retried as garbled');
  t.ok(sim.products.has('A') && sim.products.has('B') && !sim.products.has('C'));
  t.match(logs(), /product not synchronised by CRM\.COM/);
  t.match(logs(), /"sku":"C"/);
  t.match(logs(), /INVALID_PRODUCT_TYPE/);
});

t.test('an award resent after a lost answer, where a repeated purchase reference is refused: answered from the posted purchase', async (t) => {
  // Before, a tenant refusing a repeated external_system_reference_number ("unique", the reference
  // says no more) dead-lettered (REJECTED_UPSTREAM) an award whose purchase it had posted.
  const sim = await startCrmcomSim(t, { repeated_reference: 'refuse' });
  const { run } = await crmcomBackend(t, sim, { retries: 2 });
  // Posted, then the connection dropped before the answer: the client retries the create itself.
  sim.server.inject({ kind: 'drop', when: 'after', endpoint: 'customer_events/purchases/create' });
  t.match(await run(award('P1', basket([['CROISSANT', 250], ['COFFEE', 750]]), 'sale-1')), [{
    ok: true, result: { award_amount: 100, instant_spend_amount: 50, total_spend_amount: 50, balance: { amount: 1050 } },
  }]);
  t.equal(sim.server.callsTo('customer_events/purchases/create'), 2, 'the retry was refused as a repeat');
  t.equal(sim.purchases.size, 1);
  t.equal(sim.balance('P1'), 1050, 'awarded once');
  // A refusal for another reason stays one (no purchase under the reference).
  t.match(await run(award('P1', basket([['COFFEE', 1000]], 'USD'), 'sale-2')), [{ ok: false, error: { code: 'REJECTED_UPSTREAM', permanent: true } }]);
});

t.test('a refused award whose purchase look-up is refused too answers the create\'s refusal, not the look-up\'s', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim);
  // 70 characters: the till allows it, the simulator's identifiers stop at 64 (create and list alike).
  const [answer] = await run(award('X'.repeat(70), basket([['COFFEE', 1000]]), 'sale-1'));
  t.match(answer, { ok: false, error: { code: 'REJECTED_UPSTREAM', permanent: true, message: /customer_events\/purchases\/create: INVALID_PARAMETER/ } });
  t.equal(sim.server.callsTo('customer_events/purchases/list'), 1, 'looked for a posted purchase once');
});

t.test('spend_requests/list names the sale\'s participant (the reference has no purchase filter): spends, a void on another host of the store, a queued award take only the sale\'s spend requests', async (t) => {
  // Before, every list (spend, void, queued award, the check's probes) filtered by
  // purchase_customer_request_identifier alone: a tenant enforcing the reference ("It is mandatory
  // to specify one of the semi-optional parameters") refused every online spend, void and queued
  // award as REJECTED_UPSTREAM. The simulator now enforces it.
  const sim = await startCrmcomSim(t);
  const first = await crmcomBackend(t, sim);
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  // P1 (1000): two sales, 50 instant each (CRM.COM's own spend requests) and a POS spend each.
  t.match(await first.run(award('P1', b, 'sale-1'), spend('P1', 300, 'sale-1'), award('P1', b, 'sale-2'), spend('P1', 200, 'sale-2')), [
    { ok: true, result: { award_amount: 100, instant_spend_amount: 50 } }, { ok: true, result: { spent_amount: 300 } },
    { ok: true, result: { award_amount: 100, instant_spend_amount: 50 } }, { ok: true, result: { spent_amount: 200, balance: { amount: 600 } } },
  ]);
  // Another host process on the same store (a restart, or a fleet host): what the award recorded
  // (the participant, the purchase) is found there, not in a process's memory.
  const second = await crmcomBackend(t, sim, {}, first.dbPath);
  // Left to pay on sale-2: 1000 − 50 − 200 = 750, whatever sale-1's 350 posted spends (were they
  // counted, 400).
  t.match(await second.run(spend('P1', 500, 'sale-2b')), [{ ok: false, error: { code: 'NOT_FOUND' } }], 'no purchase for that txn');
  t.match(await second.run(message('spend', { customer_id: 'P1', amount: 500, currency: 'EUR', offline: false, sale_txn_id: 'sale-2', spend_id: 'second' }, { txn_id: 'sp-sale-2-second' })),
    [{ ok: true, result: { spent_amount: 500, balance: { amount: 100 } } }], 'bounded by sale-2\'s own spend requests only');
  const [voided] = await second.run(voidTxn('sale-1'));
  t.match(voided, { ok: true, result: { reversed_award_amount: 100, reversed_spend_amount: 350 } }, 'the void lists the participant its award recorded');
  t.same([...sim.spends.values()].map((s) => [s.amount, s.state]), [[50, 'CANCELLED'], [300, 'CANCELLED'], [50, 'POSTED'], [200, 'POSTED'], [500, 'POSTED']],
    'sale-1\'s spend requests cancelled, sale-2\'s kept');
  t.equal(sim.balance('P1'), 100 - 100 + 350);
  // A queued award cancels its own instant spend, not the participant's others.
  t.match(await second.run(message('award', { customer_id: 'P1', basket: b, pos_reduced: false }, { txn_id: 'q-1' })),
    [{ ok: true, result: { instant_spend_amount: 0, total_spend_amount: 0 } }]);
  t.same([...sim.spends.values()].map((s) => s.state), ['CANCELLED', 'CANCELLED', 'POSTED', 'POSTED', 'POSTED', 'CANCELLED']);
  // An award recorded by a host before crmcom_sale: the void cannot name the participant, so it
  // lists nothing and cancels the purchase only, with a warning.
  t.match(await first.run(award('P1', basket([['COFFEE', 1000]]), 'legacy-1')), [{ ok: true, result: { award_amount: 100 } }]);
  const legacy = await crmcomBackend(t, sim);
  legacy.ledger.recordProcessed({ message_id: 'legacy-award', terminal: 'M1/S1/T1', op: 'award', txn_id: 'legacy-1', result: { award_amount: 100, currency: 'EUR' } });
  const lists = sim.server.callsTo('customer_events/spend_requests/list');
  t.match(await legacy.run(voidTxn('legacy-1')), [{ ok: true, result: { reversed_award_amount: 100, reversed_spend_amount: 0 } }]);
  t.equal(sim.server.callsTo('customer_events/spend_requests/list'), lists, 'no list without the participant');
  t.match(legacy.logs(), /recorded without its participant/);
});

t.test('cancels apply to posted events only: a void or spend cancel CRM.COM applied but whose answer was lost is answered from the cancelled event', async (t) => {
  // The reference: purchases/cancel "can be applied only to posted purchase customer events",
  // spend_requests/cancel "only on posted spend request customer events"; the simulator now
  // refuses a repeat. Before, the repeat's refusal dead-lettered (REJECTED_UPSTREAM) a void CRM.COM
  // had applied: the till showed it failed although the sale was cancelled there.
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim, { retries: 0 });
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  t.match(await run(award('P1', b, 'sale-1'), spend('P1', 300, 'sale-1')), [{ ok: true }, { ok: true, result: { spent_amount: 300 } }]);
  // The purchase cancel applied at CRM.COM, its answer lost: pending, the till resends the void.
  sim.server.inject({ kind: 'drop', when: 'after', endpoint: 'customer_events/purchases/cancel' });
  t.match(await run(voidTxn('sale-1')), [{ ok: false, error: { permanent: false } }]);
  t.same([...sim.purchases.values()].map((x) => x.state), ['CANCELLED'], 'applied at CRM.COM');
  t.match(await run(voidTxn('sale-1')), [{ ok: true, result: { reversed_award_amount: 100, reversed_spend_amount: 350 } }], 'the refused repeat: answered from the cancelled purchase');
  t.equal(sim.balance('P1'), 1000);
  // A spend cancel applied, its answer lost, retried within the call and refused as not posted.
  const retrying = await crmcomBackend(t, sim, { retries: 2 });
  t.match(await retrying.run(award('P1', b, 'sale-2'), spend('P1', 300, 'sale-2')), [{ ok: true }, { ok: true, result: { spent_amount: 300 } }]);
  sim.server.inject({ kind: 'drop', when: 'after', endpoint: 'customer_events/spend_requests/cancel' });
  t.match(await retrying.run(voidTxn('sale-2')), [{ ok: true, result: { reversed_award_amount: 100, reversed_spend_amount: 350 } }]);
  t.equal(sim.balance('P1'), 1000);
});

t.test('a preview without rewards_participant_id, rewards_participant_name, wallet_balance (R13.0): the balance from the wallet', async (t) => {
  // The preview object's three fields are "Available from CRM.COM R12.2.0 and CRM.COM R13.1.0
  // onward". Before, the connector required all three (reading only wallet_balance): every preview
  // of an R13.0 tenant was a garbled answer, retried and counted by the breaker, which then refused
  // awards and spends too.
  const sim = await startCrmcomSim(t, { preview_participant_fields: false });
  const { run } = await crmcomBackend(t, sim);
  t.match(await run(message('preview', { customer_id: 'P1', basket: basket([['COFFEE', 1000]]) })),
    [{ ok: true, result: { award_amount: 100, spendable_amount: 1000, balance: { amount: 1000, currency: 'EUR' } } }]);
  t.equal(sim.server.callsTo('customer_events/purchases/preview'), 1, 'answered at the first call');
  t.equal(sim.server.callsTo('wallets/get_balance'), 1, 'the balance asked of the wallet');
  const full = await startCrmcomSim(t);
  const given = await crmcomBackend(t, full);
  t.match(await given.run(message('preview', { customer_id: 'P1', basket: basket([['COFFEE', 1000]]) })), [{ ok: true, result: { balance: { amount: 1000 } } }]);
  t.equal(full.server.callsTo('wallets/get_balance'), 0, 'the preview\'s wallet_balance when given');
});

t.test('a till clock a day ahead: the sale\'s spend requests are still listed (submitted_after_date from the host\'s clock then)', async (t) => {
  // The simulator now applies the lists' submitted_* dates. Before, the sale's created_at less an
  // hour came from the till's clock: a day ahead, every list looked after the sale's events, and the
  // void cancelled none of its spend requests (its purchase cancel then refused: REJECTED_UPSTREAM).
  const sim = await startCrmcomSim(t);
  const { run } = await crmcomBackend(t, sim);
  const ahead = { txn_id: 'sale-1', created_at: new Date(Date.now() + 86_400_000).toISOString() };
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  t.match(await run(message('award', { customer_id: 'P1', basket: b, pos_reduced: false }, ahead), message('spend', { customer_id: 'P1', amount: 300, currency: 'EUR', offline: false }, ahead)), [
    { ok: true, result: { instant_spend_amount: 0 } }, { ok: true, result: { spent_amount: 300 } },
  ], 'the queued award found and cancelled its instant spend');
  t.match(await run(message('void', {}, ahead)), [{ ok: true, result: { reversed_award_amount: 100, reversed_spend_amount: 300 } }]);
  t.equal(sim.balance('P1'), 1000);
});

t.test('a host timezone six hours ahead of the unit\'s: the lists still reach back to the sale (a margin of 26 hours)', async (t) => {
  // submitted_after_date is written in the host's timezone (the helper's: Europe/Paris) and read in
  // the unit's (here New York). Before, with an hour's margin, it named a time hours after the sale:
  // the sale's spend requests were hidden and its void cancelled none of them (refused).
  const sim = await startCrmcomSim(t, { timezone: 'America/New_York' });
  const { run } = await crmcomBackend(t, sim);
  const sale = { txn_id: 'sale-1', created_at: new Date().toISOString() };
  const b = basket([['CROISSANT', 250], ['COFFEE', 750]]);
  t.match(await run(message('award', { customer_id: 'P1', basket: b }, sale), message('spend', { customer_id: 'P1', amount: 300, currency: 'EUR', offline: false }, sale)), [
    { ok: true, result: { instant_spend_amount: 50 } }, { ok: true, result: { spent_amount: 300 } },
  ]);
  t.match(await run(message('void', {}, sale)), [{ ok: true, result: { reversed_award_amount: 100, reversed_spend_amount: 350 } }]);
  t.equal(sim.balance('P1'), 1000);
});
