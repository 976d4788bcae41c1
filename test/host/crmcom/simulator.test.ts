// The CRM.COM simulator is strict: wrong auth, expired tokens, unknown or missing fields,
// more than 1,000 products or 50 results are refused, as the Web API v2 reference says.
import t from 'tap';
import { SIM_KEY, startCrmcomSim } from '../../helpers/crmcom-sim.ts';

async function post(url: string, endpoint: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(new URL(endpoint, url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { status: { code: string; message: string }; data: unknown } };
}
const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

/** A token from the simulator's authentication/web_api_key/token. */
async function simToken(url: string): Promise<string> {
  return ((await post(url, 'authentication/web_api_key/token', {}, basic(SIM_KEY))).body.data as { token: string }).token;
}

/** purchases/create of one product for `participant` under reference `ref` (amounts in decimal, as on the wire). */
function createPurchase(url: string, token: string, participant: string, ref: string, product: string, amount: number) {
  return post(url, 'customer_events/purchases/create', {
    token, rewards_participant_identifier: { id: participant }, performed_by_unit_identifier: { id: 'U1' }, performed_on: '2026-03-04T10:00:00',
    intended_currency_identifier: { code: 'EUR' }, total_amount: amount, products_set: [{ product_identifier: { code: product }, net_amount: amount, vat_amount: 0, total_amount: amount }],
    external_system: 'till-agent', external_system_reference_number: ref,
  });
}

t.test('authentication: Web API key by HTTP Basic, then the token in every call', async (t) => {
  const sim = await startCrmcomSim(t);
  const url = sim.server.url;
  t.match(await post(url, 'authentication/web_api_key/token', {}, basic('wrong')), { status: 401, body: { status: { code: 'UNAUTHORIZED' } } });
  t.match(await post(url, 'authentication/web_api_key/token', {}), { status: 401 });
  t.match(await post(url, 'authentication/web_api_key/token', { unit: 'U1', extra: 1 }, basic(SIM_KEY)), { status: 400, body: { status: { code: 'INVALID_PARAMETER', message: /extra/ } } });
  const auth = await post(url, 'authentication/web_api_key/token', { unit: 'U1' }, basic(SIM_KEY));
  const token = (auth.body.data as { token: string }).token;
  t.ok(token.length > 16);
  const show = (body: object) => post(url, 'rewards_participants/show', body);
  t.match(await show({ rewards_participant_identifier: { id: 'P1' } }), { status: 401, body: { status: { code: 'INVALID_TOKEN' } } }, 'no token');
  t.match(await show({ token: 'forged', rewards_participant_identifier: { id: 'P1' } }), { status: 401 });
  t.same((await show({ token, rewards_participant_identifier: { id: 'P1' }, fields_set: 'id,accounts_receivable,currency,reward_tier' })).body.data, {
    id: 'P1', accounts_receivable: { id: 'AR-P1', number: '1001', name: 'Alice' }, currency: { code: 'EUR' },
    reward_tier: { reward_tier: { id: 'T-gold', name: 'gold', code: 'gold' } },
  }, 'the reference\'s participant object: the name on its accounts receivable, the tier in reward_tier');
  t.match(await show({ token, rewards_participant_identifier: { id: 'P1' }, fields_set: 'id,wallet_balance' }), { status: 400, body: { status: { message: /wallet_balance/ } } }, 'no balance on the participant: it is the wallet\'s');
  t.notOk('wallet_balance' in ((await show({ token, rewards_participant_identifier: { id: 'P1' } })).body.data as object), 'nor in the full answer');
  t.same((await show({ token, rewards_participant_identifier: { id: 'P1' }, fields_set: 'id' })).body.data, { id: 'P1' }, 'fields_set limits the answer');
  t.match(await show({ token, rewards_participant_identifier: { id: 'P1' }, fields_set: 'id,password' }), { status: 400, body: { status: { message: /password/ } } });
  t.match(await show({ token, rewards_participant_identifier: { id: 'P1', number: '1001' } }), { status: 400 }, 'exactly one identifier');
  t.match(await show({ token, rewards_participant_identifier: { id: 'nobody' } }), { status: 404, body: { status: { code: 'NOT_FOUND' } } });
  sim.server.inject({ kind: 'expire_token' });
  t.match(await show({ token, rewards_participant_identifier: { id: 'P1' } }), { status: 401 }, 'expired');
});

t.test('wallets/get_balance: one wallet per participant, by exactly one identifier, token and fields checked', async (t) => {
  const sim = await startCrmcomSim(t);
  const url = sim.server.url;
  const token = await simToken(url);
  const balance = (body: object) => post(url, 'wallets/get_balance', body);
  t.match(await balance({ rewards_participant_identifier: { id: 'P1' } }), { status: 401, body: { status: { code: 'INVALID_TOKEN' } } }, 'no token');
  t.same((await balance({ token, rewards_participant_identifier: { id: 'P1' } })).body.data, { id: 'W-P1', balance: 10 }, 'by participant (EUR 10.00)');
  t.same((await balance({ token, wallet_identifier: { id: 'W-P1' }, fields_set: 'balance' })).body.data, { balance: 10 }, 'by wallet, fields_set limits');
  t.match(await balance({ token, accounts_receivable_identifier: { number: '1002' } }), { status: 200, body: { data: { id: 'W-P2', balance: 5 } } }, 'by accounts receivable');
  t.match(await balance({ token, rewards_participant_identifier: { id: 'P1' }, as_of_date: '2030-01-01T00:00:00' }), { status: 200 });
  t.match(await balance({ token }), { status: 400, body: { status: { code: 'INVALID_PARAMETER' } } }, 'an identifier is mandatory');
  t.match(await balance({ token, wallet_identifier: { id: 'W-P1' }, rewards_participant_identifier: { id: 'P1' } }), { status: 400 }, 'only one identifier');
  t.match(await balance({ token, rewards_participant_identifier: { id: 'P1', number: '1001' } }), { status: 400 }, 'exactly one field of it');
  t.match(await balance({ token, rewards_participant_identifier: { id: 'P1' }, currency: 'EUR' }), { status: 400, body: { status: { message: /currency/ } } }, 'unknown field');
  t.match(await balance({ token, rewards_participant_identifier: { id: 'P1' }, fields_set: 'wallet_balance' }), { status: 400, body: { status: { message: /wallet_balance/ } } });
  t.match(await balance({ token, rewards_participant_identifier: { id: 'nobody' } }), { status: 404, body: { status: { code: 'NOT_FOUND' } } });
});

t.test('limits: 1,000 products a call, 50 results a page; missing fields refused', async (t) => {
  const sim = await startCrmcomSim(t);
  const url = sim.server.url;
  const token = await simToken(url);
  const product = (i: number) => ({ code: `P${i}`, description: 'x', type_identifier: { name: 'Goods' } });
  t.match(await post(url, 'products/synchronise', { token, products_set: Array.from({ length: 1000 }, (_, i) => product(i)) }), { status: 200 });
  t.equal(sim.products.size, 1000);
  t.match(await post(url, 'products/synchronise', { token, products_set: Array.from({ length: 1001 }, (_, i) => product(i)) }), { status: 400, body: { status: { message: /products_set/ } } });
  t.match(await post(url, 'products/synchronise', { token, products_set: [{ description: 'x' }] }), { status: 400, body: { status: { message: /code/ } } }, 'code is mandatory');
  t.match(await post(url, 'products/synchronise', { token, products_set: [{ code: 'X', categories_set: [{ name: 'c' }] }] }), { status: 400, body: { status: { message: /categories_set/ } } }, 'one category, not a set');
  t.match(await post(url, 'products/synchronise', { token, products_set: [{ code: 'P1', product_validity_to: '2026-03-04T10:00:00' }] }), { status: 200 });
  t.match(sim.products.get('P1'), { description: 'x', type_identifier: { name: 'Goods' }, product_validity_to: '2026-03-04T10:00:00' }, 'fields left out keep their value');
  const p1 = { rewards_participant_identifier: { id: 'P1' } };
  t.match(await post(url, 'customer_events/purchases/list', { token, ...p1, number_of_results: 51, offset: 0 }), { status: 400, body: { status: { message: /number_of_results/ } } });
  t.match(await post(url, 'customer_events/purchases/list', { token, ...p1, number_of_results: 50, offset: 0 }), { status: 200 });
  // The reference: rewards_participant_identifier, accounts_receivable_identifier and
  // classification_identifier are semi-optional: exactly one of them.
  t.match(await post(url, 'customer_events/purchases/list', { token, number_of_results: 50, offset: 0 }), { status: 400, body: { status: { code: 'INVALID_PARAMETER', message: /rewards_participant_identifier/ } } }, 'one identifier is mandatory');
  t.match(await post(url, 'customer_events/purchases/list', { token, ...p1, accounts_receivable_identifier: { id: 'AR-P1' }, number_of_results: 50, offset: 0 }), { status: 400 }, 'only one');
});

t.test('purchases/list: the purchases of the participant or accounts receivable named', async (t) => {
  const sim = await startCrmcomSim(t);
  const url = sim.server.url;
  const token = await simToken(url);
  const purchase = (participant: string, ref: string) => createPurchase(url, token, participant, ref, 'COFFEE', 10);
  t.match(await purchase('P1', 'r1'), { status: 200 });
  t.match(await purchase('P2', 'r2'), { status: 200 });
  const list = async (body: object) => (await post(url, 'customer_events/purchases/list', { token, number_of_results: 50, offset: 0, ...body })).body.data as unknown[];
  t.equal((await list({ rewards_participant_identifier: { id: 'P1' } })).length, 1);
  t.equal((await list({ rewards_participant_identifier: { number: '1002' } })).length, 1);
  t.equal((await list({ accounts_receivable_identifier: { id: 'AR-P2' } })).length, 1);
  t.equal((await list({ rewards_participant_identifier: { id: 'nobody' } })).length, 0);
});

t.test('purchases/create answers the purchase customer event object: the award as total_awarded_amount', async (t) => {
  const sim = await startCrmcomSim(t);
  const url = sim.server.url;
  const token = await simToken(url);
  const purchase = {
    token, rewards_participant_identifier: { id: 'P1' }, performed_by_unit_identifier: { id: 'U1' }, performed_on: '2026-03-04T10:00:00',
    intended_currency_identifier: { code: 'EUR' }, total_amount: 10, products_set: [{ product_identifier: { code: 'COFFEE' }, quantity: 1, net_amount: 10, vat_amount: 0, total_amount: 10 }],
    external_system: 'till-agent', external_system_reference_number: 'ref-1',
  };
  const created = (await post(url, 'customer_events/purchases/create', purchase)).body.data as Record<string, unknown>;
  // Reference, purchase customer event object: "total_awarded_amount | Number | The total amount
  // that was awarded for that purchase customer event" (R13.1); total_award_amount is the preview's.
  t.match(created, { type: 'PURCHASE', life_cycle_state: 'POSTED', total_amount: 10, total_awarded_amount: 1, total_spend_amount: 0, total_instant_spend_amount: 0, total_automatic_spend_amount: 0 });
  t.notOk('total_award_amount' in created, 'not the preview\'s name');
  t.notOk('reduction_method' in created, 'the preview and the spend request carry reduction_method, not the purchase object');
  t.same((await post(url, 'customer_events/purchases/create', purchase)).body.data, created, 'the same reference: the same event');
  const preview = (await post(url, 'customer_events/purchases/preview', { ...purchase, external_system: undefined, external_system_reference_number: undefined })).body.data as Record<string, unknown>;
  t.match(preview, { total_award_amount: 1, reduction_method: 'FRONT_END_REDUCTION' }, 'the preview object keeps its own names');
});

t.test('a purchase\'s product lines: net_amount, vat_amount and total_amount, all three mandatory', async (t) => {
  const sim = await startCrmcomSim(t);
  const url = sim.server.url;
  const token = await simToken(url);
  const preview = (products_set: unknown[], total_amount = 12.2) => post(url, 'customer_events/purchases/preview', {
    token, rewards_participant_identifier: { id: 'P1' }, performed_by_unit_identifier: { id: 'U1' }, performed_on: '2026-03-04T10:00:00',
    intended_currency_identifier: { code: 'EUR' }, total_amount, products_set,
  });
  const code = { product_identifier: { code: 'COFFEE' } };
  // Reference, purchase customer event product parameter object: "net_amount (mandatory)",
  // "vat_amount (mandatory)", "total_amount (mandatory)"; "quantity (optional) … defaults to 1".
  t.match(await preview([{ ...code, quantity: 1, net_amount: 12.2 }]), { status: 400, body: { status: { code: 'INVALID_PARAMETER', message: /vat_amount.*total_amount|total_amount.*vat_amount/ } } }, 'the net amount alone is refused');
  t.match(await preview([{ ...code, net_amount: 10, vat_amount: 2.2 }]), { status: 400, body: { status: { message: /total_amount/ } } });
  t.match(await preview([{ ...code, net_amount: 12.2, vat_amount: 2.2, total_amount: 12.2 }]), { status: 400, body: { status: { message: /net_amount \+ vat_amount is not total_amount/ } } });
  t.match(await preview([{ ...code, net_amount: 10, vat_amount: 2.2, total_amount: 12.2 }]), { status: 200, body: { data: { total_award_amount: 1.22 } } }, 'quantity may be left out');
  t.match(await preview([{ ...code, net_amount: 10, vat_amount: 2.2, total_amount: 12.2 }], 10), { status: 400, body: { status: { message: /total_amount: does not equal the products total amounts/ } } }, 'the purchase total is the lines\' totals');
});

t.test('faults: 5xx, 429 with Retry-After, dropped connection, on one endpoint only', async (t) => {
  const sim = await startCrmcomSim(t);
  const url = sim.server.url;
  sim.server.inject({ kind: 'status', status: 503, endpoint: 'authentication/web_api_key/token' });
  t.equal((await post(url, 'authentication/web_api_key/token', {}, basic(SIM_KEY))).status, 503);
  t.equal((await post(url, 'authentication/web_api_key/token', {}, basic(SIM_KEY))).status, 200, 'one-shot');
  sim.server.inject({ kind: 'throttle', retry_after_s: 2 });
  const res = await fetch(new URL('authentication/web_api_key/token', url), { method: 'POST', headers: basic(SIM_KEY), body: '{}' });
  t.equal(res.status, 429);
  t.equal(res.headers.get('retry-after'), '2');
  sim.server.inject({ kind: 'drop' });
  await t.rejects(post(url, 'authentication/web_api_key/token', {}, basic(SIM_KEY)));
});

t.test('products/synchronise answers product_synchronisation_complete: processed and unprocessed products', async (t) => {
  const sim = await startCrmcomSim(t, { product_types: ['Goods'] });
  const url = sim.server.url;
  const token = await simToken(url);
  const answer = await post(url, 'products/synchronise', { token, products_set: [
    { code: 'A', type_identifier: { name: 'Goods' } }, { code: 'B', type_identifier: { name: 'Nonsense' } },
  ] });
  t.match(answer, { status: 200, body: { status: { code: 'OK' }, data: {
    processed_products_set: [{ request_code: 'A', code: 'A', id: /./ }],
    unprocessed_products_set: [{ request_code: 'B', error_code: /./, error_description: /Nonsense/ }],
  } } });
  t.notOk('products_set' in (answer.body.data as object), 'not the request\'s products_set');
  t.ok(sim.products.has('A'));
  t.notOk(sim.products.has('B'), 'an unprocessed product is not created');
});

t.test('spend_requests/list: exactly one semi-optional owner, no purchase filter; each spend request names its purchase', async (t) => {
  // The reference (customer_events/spend_requests/list, R5 to R17): rewards_participant_identifier,
  // accounts_receivable_identifier and classification_identifier are semi-optional, "It is
  // mandatory to specify one of the semi-optional parameters. Only one of those parameters is
  // allowed to be specified"; then submitted_after_date / submitted_before_date and paging.
  const sim = await startCrmcomSim(t);
  const url = sim.server.url;
  const token = await simToken(url);
  const purchase = (participant: string, ref: string) => createPurchase(url, token, participant, ref, 'CROISSANT', 2.5);
  const p1 = (await purchase('P1', 'r1')).body.data as { id: string; number: string };
  t.match(await purchase('P3', 'r3'), { status: 200 });
  const list = (body: object) => post(url, 'customer_events/spend_requests/list', { token, number_of_results: 50, offset: 0, ...body });
  t.match(await list({}), { status: 400, body: { status: { code: 'INVALID_PARAMETER', message: /rewards_participant_identifier/ } } }, 'an owner is mandatory');
  t.match(await list({ purchase_customer_request_identifier: { external_system_reference_number: 'r1' } }), { status: 400 }, 'no purchase filter');
  t.match(await list({ rewards_participant_identifier: { id: 'P1' }, purchase_customer_request_identifier: { external_system_reference_number: 'r1' } }), { status: 400, body: { status: { message: /purchase_customer_request_identifier/ } } });
  t.match(await list({ rewards_participant_identifier: { id: 'P1' }, accounts_receivable_identifier: { id: 'AR-P1' } }), { status: 400 }, 'only one owner');
  const ofP1 = await list({ rewards_participant_identifier: { id: 'P1' }, submitted_after_date: '2026-03-04T09:00:00' });
  t.match(ofP1, { status: 200, body: { data: [{ instant_spend: true, spend_amount: 0.5, purchase_customer_event: { id: p1.id, number: p1.number } }] } });
  t.equal((ofP1.body.data as unknown[]).length, 1, 'P1\'s only (P3 has its own instant spend)');
  t.equal(((await list({ accounts_receivable_identifier: { id: 'AR-P3' } })).body.data as unknown[]).length, 1);
  t.equal(((await list({ rewards_participant_identifier: { id: 'P2' } })).body.data as unknown[]).length, 0);
});

t.test('cancels: only posted purchase and spend request customer events', async (t) => {
  const sim = await startCrmcomSim(t);
  const url = sim.server.url;
  const token = await simToken(url);
  t.match(await post(url, 'customer_events/purchases/create', {
    token, rewards_participant_identifier: { id: 'P1' }, performed_by_unit_identifier: { id: 'U1' }, performed_on: '2026-03-04T10:00:00',
    intended_currency_identifier: { code: 'EUR' }, total_amount: 2.5, products_set: [{ product_identifier: { code: 'CROISSANT' }, net_amount: 2.5, vat_amount: 0, total_amount: 2.5 }],
    external_system: 'till-agent', external_system_reference_number: 'r1',
  }), { status: 200 });
  const [instant] = [...sim.spends.values()];
  const cancelSpend = () => post(url, 'customer_events/spend_requests/cancel', { token, customer_event_identifier: { id: instant!.id } });
  const cancelPurchase = () => post(url, 'customer_events/purchases/cancel', { token, customer_event_identifier: { external_system_reference_number: 'r1' } });
  t.match(await cancelPurchase(), { status: 400, body: { status: { message: /spend requests/ } } }, 'its spend requests first');
  t.match(await cancelSpend(), { status: 200, body: { data: { life_cycle_state: 'CANCELLED', spend_amount: 0.5 } } });
  t.match(await cancelSpend(), { status: 400, body: { status: { code: 'INVALID_PARAMETER', message: /not posted/ } } }, '"only on posted spend request customer events"');
  t.match(await cancelPurchase(), { status: 200, body: { data: { life_cycle_state: 'CANCELLED' } } });
  t.match(await cancelPurchase(), { status: 400, body: { status: { code: 'INVALID_PARAMETER', message: /not posted/ } } }, '"only to posted purchase customer events"');
  t.equal(sim.balance('P1'), 1000, 'nothing given back twice');
});

t.test('lists: submitted_after_date / submitted_before_date in the unit\'s local time', async (t) => {
  const sim = await startCrmcomSim(t, { timezone: 'Asia/Tokyo' });
  const url = sim.server.url;
  const token = await simToken(url);
  t.match(await post(url, 'customer_events/purchases/create', {
    token, rewards_participant_identifier: { id: 'P1' }, performed_by_unit_identifier: { id: 'U1' }, performed_on: '2026-03-04T10:00:00',
    intended_currency_identifier: { code: 'EUR' }, total_amount: 2.5, products_set: [{ product_identifier: { code: 'CROISSANT' }, net_amount: 2.5, vat_amount: 0, total_amount: 2.5 }],
    external_system: 'till-agent', external_system_reference_number: 'r1',
  }), { status: 200 });
  // Tokyo wall time (UTC+9), to the second.
  const tokyo = (offsetMs: number) => new Date(Date.now() + 9 * 3600_000 + offsetMs).toISOString().slice(0, 19);
  const count = async (endpoint: string, dates: object) =>
    ((await post(url, endpoint, { token, rewards_participant_identifier: { id: 'P1' }, number_of_results: 50, offset: 0, ...dates })).body.data as unknown[]).length;
  for (const endpoint of ['customer_events/purchases/list', 'customer_events/spend_requests/list']) {
    t.equal(await count(endpoint, { submitted_after_date: tokyo(-60_000) }), 1, `${endpoint}: submitted after a minute ago`);
    t.equal(await count(endpoint, { submitted_after_date: tokyo(60_000) }), 0, `${endpoint}: nothing after a minute from now`);
    t.equal(await count(endpoint, { submitted_before_date: tokyo(-60_000) }), 0, `${endpoint}: nothing before a minute ago`);
    t.equal(await count(endpoint, { submitted_after_date: tokyo(-3600_000), submitted_before_date: tokyo(60_000) }), 1);
  }
});
