// Offers held by a customer (SessionM POS integration, seed 003): lookup with and without a
// basket, lock/unlock across two tills with a TTL, redeem/reinstate — through the POS socket of
// real agent processes, a real mosquitto and the reference host (seed: test/fixtures/seed.yaml).
import t from 'tap';
import type { Response } from '../../protocol/local.ts';
import type { PosClient } from '../helpers/pos-client.ts';
import { secondTill } from '../helpers/second-till.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const coffee = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000 }] };
const res = (r: Response): unknown => (r.ok ? r.result : r.error);
const ids = (r: Response) =>
  ((res(r) as { offers?: Array<{ id: string }> } | undefined)?.offers ?? []).map((o) => o.id).sort();

async function statusOf(pos: PosClient) {
  const r = await pos.request('status');
  return res(r) as { uplink: { connected: boolean }; outbox: { pending: number; dead: number } };
}

t.test('offer lookups: identify and offers list issued, unexpired offers; a basket filters them', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  // Seed 003: "No transaction data included in the payload: In this case, all currently issued
  // (un-expired) offers are retrieved and displayed in the customer's wallet."
  const id = await pos.request('identify', { by: 'card', value: '6006490000000001' });
  t.same(ids(id), ['UO-COFFEE2', 'UO-TEA', 'UO-TEN'], 'identify returns the available offers, not the expired one');
  t.match((res(id) as { offers: unknown[] }).offers, [
    { id: 'UO-COFFEE2', name: '2.00 off coffee', reward: { kind: 'amount', amount: 200, currency: 'EUR' }, expires_at: '2099-12-31', locked: null },
  ]);
  t.same(ids(await pos.request('offers', { customer_id: 'alice' })), ['UO-COFFEE2', 'UO-TEA', 'UO-TEN']);
  t.same(ids(await pos.request('offers', { customer_id: 'bob' })), [], 'a customer without offers: an empty list');
  // "Transaction data is included in the payload: In this case, the transaction data filters the
  // offers returned to only the ones applicable to the current basket."
  const withBasket = await pos.request('offers', { customer_id: 'alice', basket: coffee });
  t.match(withBasket, { ok: true, result: { customer_id: 'alice' } });
  t.same(ids(withBasket), ['UO-COFFEE2', 'UO-TEN'], 'the tea offer does not apply to a coffee basket');
  t.match((res(withBasket) as { offers: unknown[] }).offers, [{ id: 'UO-COFFEE2', discount_amount: 200 }, { id: 'UO-TEN', discount_amount: 200 }]);
  t.match(await pos.request('offers', { customer_id: 'nobody' }), { ok: false, error: { code: 'NOT_FOUND' } });

  // New ops reject malformed params with BAD_REQUEST naming the field.
  const bad = async (op: string, params: unknown, field: RegExp) =>
    t.match(await pos.request(op, params), { ok: false, error: { code: 'BAD_REQUEST', message: field } }, `${op}: ${String(field)}`);
  await bad('offers', { customer_id: 7 }, /params\.customer_id/);
  await bad('offers', { customer_id: 'alice', basket: { ...coffee, total: 1 } }, /params\.basket\.total/);
  await bad('offers', { customer_id: 'alice', wallet: true }, /unknown key\(s\): wallet/);
  await bad('lock', { txn_id: 's', customer_id: 'alice' }, /params\.offer_ids: give offer_ids and\/or amount/);
  await bad('lock', { txn_id: 's', customer_id: 'alice', offer_ids: ['UO-TEN', 'UO-TEN'] }, /params\.offer_ids: must not name an offer twice/);
  await bad('lock', { txn_id: 's', customer_id: 'alice', amount: 100 }, /params\.currency: amount and currency go together/);
  await bad('lock', { txn_id: 's', customer_id: 'alice', amount: 1.5, currency: 'EUR' }, /params\.amount/);
  await bad('unlock', { offer_ids: ['UO-TEN'] }, /params\.txn_id/);
  await bad('redeem', { redemption_id: 'r', txn_id: 's', customer_id: 'alice', offer_id: 'UO-TEN' }, /params\.basket/);
  await bad('redeem', { redemption_id: 'has space', txn_id: 's', customer_id: 'alice', offer_id: 'UO-TEN', basket: coffee }, /params\.redemption_id/);
  await bad('reinstate', { redemption_id: '' }, /params\.redemption_id/);
  t.equal((await statusOf(pos)).outbox.pending, 0, 'nothing was committed by a refused request');
});

t.test('lock/unlock: one sale at a time across tills; award and spend consume the lock', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const t1 = await sys.pos();
  const t2 = await secondTill(t, sys);

  // Seed 003: lock/unlock "so the default for a lock via SessionM is 15 minutes".
  const asked = Date.now();
  const locked = await t1.request('lock', { txn_id: 'sale-1', customer_id: 'alice', offer_ids: ['UO-COFFEE2'], basket: coffee });
  const answered = Date.now();
  t.match(locked, { ok: true, result: { txn_id: 'sale-1', ttl_s: 900, offers: [{ id: 'UO-COFFEE2', locked: 'this_sale', discount_amount: 200 }] } });
  // The host's clock is this machine's: 15 minutes after a moment between the request and its answer, however long that took.
  const expires = Date.parse((res(locked) as { expires_at: string }).expires_at);
  t.ok(expires >= asked + 900_000 && expires <= answered + 900_000, 'expires 15 minutes from now');
  t.match(await t1.request('lock', { txn_id: 'sale-1', customer_id: 'alice', offer_ids: ['UO-COFFEE2'] }), { ok: true },
    'the same sale locks again (basket changed): no conflict with itself');

  // The other till cannot lock or redeem it: a stable code.
  t.match(await t2.request('lock', { txn_id: 'b-1', customer_id: 'alice', offer_ids: ['UO-COFFEE2'] }),
    { ok: false, error: { code: 'OFFER_LOCKED', retryable: true } });
  t.match(await t2.request('redeem', { redemption_id: 'b-r1', txn_id: 'b-1', customer_id: 'alice', offer_id: 'UO-COFFEE2', basket: coffee }),
    { ok: false, error: { code: 'OFFER_LOCKED', retryable: false } });
  t.same(ids(await t2.request('offers', { customer_id: 'alice', basket: coffee })), ['UO-TEN'], 'a basket lookup elsewhere leaves it out');
  t.match(await t2.request('offers', { customer_id: 'alice' }), { ok: true, result: { offers: [{ id: 'UO-COFFEE2', locked: 'other' }] } });
  t.match(await t1.request('offers', { customer_id: 'alice', txn_id: 'sale-1' }), { ok: true, result: { offers: [{ id: 'UO-COFFEE2', locked: 'this_sale' }] } });

  // All or nothing: one offer of three locked elsewhere locks none of them.
  t.match(await t2.request('lock', { txn_id: 'b-2', customer_id: 'alice', offer_ids: ['UO-TEN', 'UO-COFFEE2'] }), { ok: false, error: { code: 'OFFER_LOCKED' } });
  t.match(await t1.request('lock', { txn_id: 'sale-2', customer_id: 'alice', offer_ids: ['UO-TEN'] }), { ok: true }, 'UO-TEN was not half-locked');
  t.match(await t1.request('unlock', { txn_id: 'sale-2' }), { ok: true, result: { released_offers: ['UO-TEN'], released_amount: 0 } });

  // Unlock on cancel: the other till may take it now. Unlocking again is harmless.
  t.match(await t1.request('unlock', { txn_id: 'sale-1' }), { ok: true, result: { txn_id: 'sale-1', released_offers: ['UO-COFFEE2'] } });
  t.match(await t1.request('unlock', { txn_id: 'sale-1' }), { ok: true, result: { released_offers: [] } });
  t.match(await t2.request('lock', { txn_id: 'b-1', customer_id: 'alice', offer_ids: ['UO-COFFEE2'] }), { ok: true });

  // Award closes the sale: its lock ends and the offer is free again.
  t.match(await t2.request('award', { txn_id: 'b-1', customer_id: 'alice', basket: coffee }), { ok: true, result: { status: 'awarded' } });
  t.match(await t1.request('lock', { txn_id: 'sale-3', customer_id: 'alice', offer_ids: ['UO-COFFEE2'] }), { ok: true }, 'award released b-1');
  t.match(await t1.request('unlock', { txn_id: 'sale-3' }), { ok: true });

  // A spend amount: alice has 1000 + 200 awarded. Till 1 holds 1000 of it for its open sale.
  t.match(await t1.request('lock', { txn_id: 'sale-4', customer_id: 'alice', amount: 1000, currency: 'EUR' }),
    { ok: true, result: { locked_amount: 1000, currency: 'EUR', offers: [] } });
  t.match(await t2.request('lock', { txn_id: 'b-5', customer_id: 'alice', amount: 1000, currency: 'EUR' }),
    { ok: true, result: { locked_amount: 200 } }, 'a lock holds only what other sales leave');
  t.match(await t2.request('unlock', { txn_id: 'b-5' }), { ok: true, result: { released_amount: 200 } });
  t.match(await t2.request('preview', { customer_id: 'alice', basket: coffee }), { ok: true, result: { spendable_amount: 200 } },
    'preview on till 2 leaves out what till 1 holds: what the spend below gets');
  t.match(await t2.request('spend', { txn_id: 'b-6', customer_id: 'alice', amount: 500, currency: 'EUR' }),
    { ok: true, result: { status: 'spent', spent_amount: 200 } }, 'another sale cannot spend what till 1 holds');
  t.match(await t1.request('spend', { txn_id: 'sale-4', customer_id: 'alice', amount: 1000, currency: 'EUR' }),
    { ok: true, result: { status: 'spent', spent_amount: 1000, balance: { amount: 0 } } }, 'the locking sale spends what it held');
  t.match(await t1.request('unlock', { txn_id: 'sale-4' }), { ok: true, result: { released_amount: 0 } }, 'the spend consumed the lock');
  // Bob spends his balance automatically on every award: not what another sale holds locked.
  t.match(await t1.request('lock', { txn_id: 'bob-1', customer_id: 'bob', amount: 300, currency: 'EUR' }), { ok: true, result: { locked_amount: 300 } });
  t.match(await t2.request('preview', { customer_id: 'bob', basket: coffee }), { ok: true, result: { automatic_spend_amount: 0, spendable_amount: 0 } });
  t.match(await t2.request('award', { txn_id: 'bob-2', customer_id: 'bob', basket: coffee }),
    { ok: true, result: { status: 'awarded', automatic_spend_amount: 0 } }, 'automatic spend leaves the lock alone');
  t.match(await t1.request('award', { txn_id: 'bob-1', customer_id: 'bob', basket: coffee }),
    { ok: true, result: { status: 'awarded', automatic_spend_amount: 500 } }, 'the locking sale spends it (and bob-2\'s 200 award)');
  t.match(await t1.request('lock', { txn_id: 'x', customer_id: 'alice', amount: 10, currency: 'USD' }), { ok: false, error: { code: 'BAD_REQUEST', message: /^params\.currency: USD / } });
  t.match(await t1.request('lock', { txn_id: 'x', customer_id: 'alice', offer_ids: ['UO-NOPE'] }), { ok: false, error: { code: 'NOT_FOUND', message: /^params\.offer_ids: customer \S+ holds no offer UO-NOPE$/ } });
  t.match(await t1.request('lock', { txn_id: 'x', customer_id: 'alice', offer_ids: ['UO-OLD'] }), { ok: false, error: { code: 'OFFER_UNAVAILABLE', message: /expired/ } });
  t.match(await t1.request('lock', { txn_id: 'x', customer_id: 'alice', offer_ids: ['UO-TEA'], basket: coffee }),
    { ok: false, error: { code: 'OFFER_UNAVAILABLE', message: /does not apply/ } });

  // A lock needs the host: offline it is refused, not pretended.
  await sys.goOffline();
  t.match(await t1.request('lock', { txn_id: 'sale-9', customer_id: 'alice', offer_ids: ['UO-TEN'] }), { ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', retryable: true } });
  t.match(await t1.request('unlock', { txn_id: 'sale-9' }), { ok: false, error: { code: 'UPSTREAM_UNAVAILABLE' } });
  t.match(await t1.request('offers', { customer_id: 'alice' }), { ok: false, error: { code: 'UPSTREAM_UNAVAILABLE' } });
  t.equal((await statusOf(t1)).outbox.pending, 0, 'nothing queued');
});

t.test('locks expire by themselves after the host-configured TTL', async (t) => {
  const sys = await startSystem(t, { hostConfig: { lock_ttl_s: 2 } });
  await sys.waitOnline();
  const t1 = await sys.pos();
  const t2 = await secondTill(t, sys);
  t.match(await t1.request('lock', { txn_id: 'walked-away', customer_id: 'alice', offer_ids: ['UO-TEN'], amount: 1000, currency: 'EUR' }),
    { ok: true, result: { ttl_s: 2, locked_amount: 1000 } });
  t.match(await t2.request('lock', { txn_id: 'b-1', customer_id: 'alice', offer_ids: ['UO-TEN'] }), { ok: false, error: { code: 'OFFER_LOCKED' } });
  // Nobody unlocks: the till's customer walked away.
  await waitFor(async () => (await t2.request('lock', { txn_id: 'b-1', customer_id: 'alice', offer_ids: ['UO-TEN'] })).ok,
    { what: 'the abandoned lock to expire', timeout: 15_000, interval: 250 });
  t.match(await t2.request('spend', { txn_id: 'b-2', customer_id: 'alice', amount: 1000, currency: 'EUR' }),
    { ok: true, result: { spent_amount: 1000 } }, 'the expired amount lock holds nothing either');
});

t.test('redeem and reinstate one offer redemption', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const t1 = await sys.pos();
  const t2 = await secondTill(t, sys);
  const redeem = (pos: PosClient, redemption: string, offer: string, txn = 'sale-1', basket: unknown = coffee) =>
    pos.request('redeem', { redemption_id: redemption, txn_id: txn, customer_id: 'alice', offer_id: offer, basket });

  // Seed 003: "Redeem/Reinstate is an excellent model when customers CAN be seen in person".
  const first = await redeem(t1, 'r-1', 'UO-COFFEE2');
  t.same(res(first), { status: 'redeemed', redemption_id: 'r-1', txn_id: 'sale-1', offer_id: 'UO-COFFEE2', name: '2.00 off coffee', discount_amount: 200, currency: 'EUR' });
  const again = await redeem(t1, 'r-1', 'UO-COFFEE2');
  t.same(res(again), res(first), 'a repeat gets the first outcome, applied once');
  t.match(await redeem(t1, 'r-1', 'UO-TEN'), { ok: false, error: { code: 'CONFLICT' } }, 'same redemption_id, other content');
  t.same(res(await redeem(t1, 'r-1', 'UO-COFFEE2', 'sale-1', { ...coffee, store: 'S1' })), res(first), "the till's own store named: the same redemption");
  t.match(await redeem(t1, 'r-1', 'UO-COFFEE2', 'sale-1', { ...coffee, store: 'S2' }), { ok: false, error: { code: 'CONFLICT' } }, 'another store: other content');
  t.match(await redeem(t2, 'b-r1', 'UO-COFFEE2', 'b-1'), { ok: false, error: { code: 'OFFER_UNAVAILABLE', message: /already redeemed/ } }, 'used once only');
  t.match(await redeem(t1, 'r-2', 'UO-TEA'), { ok: false, error: { code: 'OFFER_UNAVAILABLE', message: /does not apply/ } });
  t.match(await redeem(t1, 'r-3', 'UO-NOPE'), { ok: false, error: { code: 'NOT_FOUND' } });
  t.same(ids(await t1.request('offers', { customer_id: 'alice' })), ['UO-TEA', 'UO-TEN'], 'a redeemed offer leaves the wallet');
  t.equal((await statusOf(t1)).outbox.dead, 0, 'refusals are answers, not dead letters');

  // A redemption of a locked offer consumes the sale's own lock.
  t.match(await t1.request('lock', { txn_id: 'sale-2', customer_id: 'alice', offer_ids: ['UO-TEN'] }), { ok: true });
  t.match(await redeem(t1, 'r-4', 'UO-TEN', 'sale-2'), { ok: true, result: { status: 'redeemed', discount_amount: 200 } });
  t.match(await t1.request('unlock', { txn_id: 'sale-2' }), { ok: true, result: { released_offers: [] } }, 'the lock was consumed');

  // Reinstate gives the offer back; the basket changed, so it is redeemed again (new id).
  t.match(await t1.request('reinstate', { redemption_id: 'r-1', reason: 'basket changed' }),
    { ok: true, result: { status: 'reinstated', redemption_id: 'r-1', offer_id: 'UO-COFFEE2', reinstated_discount_amount: 200, currency: 'EUR' } });
  t.match(await t1.request('reinstate', { redemption_id: 'r-1', reason: 'basket changed' }), { ok: true, result: { status: 'reinstated' } }, 'repeat: same outcome');
  t.match(await t1.request('reinstate', { redemption_id: 'r-1', reason: 'other' }), { ok: false, error: { code: 'CONFLICT', message: /redemption r-1 was already reinstated/ } });
  t.same(ids(await t1.request('offers', { customer_id: 'alice' })), ['UO-COFFEE2', 'UO-TEA'], 'back in the wallet');
  const half = { currency: 'EUR', total: 100, items: [{ sku: 'COFFEE', qty: 1, unit_price: 100, amount: 100 }] };
  t.match(await redeem(t1, 'r-5', 'UO-COFFEE2', 'sale-1', half), { ok: true, result: { discount_amount: 100 } }, 'never more than the items it applies to');
  t.match(await t1.request('reinstate', { redemption_id: 'never' }), { ok: false, error: { code: 'NOT_FOUND' } });
  t.match(await t1.request('reinstate', { redemption_id: 'r-2' }), { ok: false, error: { code: 'NOT_FOUND', message: /refused/ } });

  // Offline: a redeem needs the host (nothing committed); a reinstate is queued and delivered.
  await sys.goOffline();
  t.match(await redeem(t1, 'r-6', 'UO-TEA', 'sale-6', { currency: 'EUR', total: 300, items: [{ sku: 'TEA', qty: 1, unit_price: 300, amount: 300 }] }),
    { ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', retryable: true } });
  t.equal((await statusOf(t1)).outbox.pending, 0, 'an offline redeem commits nothing');
  t.match(await t1.request('reinstate', { redemption_id: 'r-5' }), { ok: true, result: { status: 'queued', redemption_id: 'r-5' } });
  t.equal((await statusOf(t1)).outbox.pending, 1, 'the reinstate is on disk');
  await sys.broker.restart();
  await waitFor(async () => (await statusOf(t1)).outbox.pending === 0, { what: 'reinstate delivered', timeout: 20_000 });
  t.match(await t1.request('reinstate', { redemption_id: 'r-5' }), { ok: true, result: { status: 'reinstated', reinstated_discount_amount: 100 } });
  t.same(ids(await t1.request('offers', { customer_id: 'alice' })), ['UO-COFFEE2', 'UO-TEA']);

  // A whole-sale void gives back what the sale redeemed, besides reversing its award.
  t.match(await redeem(t1, 'r-v1', 'UO-COFFEE2', 'v-1'), { ok: true, result: { status: 'redeemed' } });
  t.match(await t1.request('award', { txn_id: 'v-1', customer_id: 'alice', basket: coffee }), { ok: true, result: { status: 'awarded' } });
  t.match(await t1.request('void', { txn_id: 'v-1' }), { ok: true, result: { status: 'voided', reversed_award_amount: 200, reinstated_offers: ['UO-COFFEE2'] } });
  const tea = { currency: 'EUR', total: 300, items: [{ sku: 'TEA', qty: 1, unit_price: 300, amount: 300 }] };
  t.match(await redeem(t1, 'r-v2', 'UO-TEA', 'v-2', tea), { ok: true, result: { status: 'redeemed', discount_amount: 100 } });
  t.match(await t1.request('void', { txn_id: 'v-2' }), { ok: true, result: { status: 'voided', reinstated_offers: ['UO-TEA'] } },
    'a sale with only a redemption can be voided');
  t.same(ids(await t1.request('offers', { customer_id: 'alice' })), ['UO-COFFEE2', 'UO-TEA'], 'both back in the wallet');
  // sale-1's redemptions were all reinstated above (the POS gave them back, then cancels the sale):
  // nothing left to give back, but a sale of this till all the same, not an unknown one.
  t.match(await t1.request('void', { txn_id: 'sale-1' }), { ok: true, result: { status: 'voided', reversed_award_amount: 0, reversed_spend_amount: 0 } });
  t.equal((await statusOf(t1)).outbox.dead, 0, 'no dead letter');
});

t.test('preview names its sale (txn_id, protocol 2): this till\'s other locks are left out, preview and spend agree', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true, result: { protocol: 2 } });
  const small = { currency: 'EUR', total: 300, items: [{ sku: 'COFFEE', qty: 1, unit_price: 300, amount: 300 }] };
  // This till holds 8.00 of alice's 10.00 for an open sale, and starts another sale for her.
  t.match(await pos.request('lock', { txn_id: 'open-a', customer_id: 'alice', amount: 800, currency: 'EUR' }), { ok: true, result: { locked_amount: 800 } });
  t.match(await pos.request('preview', { customer_id: 'alice', basket: small }), { ok: true, result: { spendable_amount: 300 } },
    'without txn_id the host cannot tell this till\'s other sale from this one');
  t.match(await pos.request('preview', { customer_id: 'alice', basket: small, txn_id: 'sale-b' }), { ok: true, result: { spendable_amount: 200 } },
    'with txn_id: 10.00 less the 8.00 sale open-a holds');
  t.match(await pos.request('preview', { customer_id: 'alice', basket: small, txn_id: 'open-a' }), { ok: true, result: { spendable_amount: 300 } },
    'the locking sale itself may spend what it holds');
  t.match(await pos.request('award', { txn_id: 'sale-b', customer_id: 'alice', basket: small }), { ok: true, result: { award_amount: 30 } });
  t.match(await pos.request('spend', { txn_id: 'sale-b', customer_id: 'alice', amount: 300, currency: 'EUR' }),
    { ok: true, result: { spent_amount: 200 } }, 'the spend gets what the preview said (its own award of 0.30 does not stand in for the lock)');

  // Bob spends automatically: the preview's automatic and spendable amounts are what the award and spend take.
  const coffee2 = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000 }] };
  t.match(await pos.request('lock', { txn_id: 'open-c', customer_id: 'bob', amount: 100, currency: 'EUR' }), { ok: true, result: { locked_amount: 100 } });
  t.match(await pos.request('preview', { customer_id: 'bob', basket: coffee2, txn_id: 'sale-d' }),
    { ok: true, result: { automatic_spend_amount: 200, spendable_amount: 0 } });
  // The redemption total counts the award's own automatic spend: its sale read with the answered row (the
  // stored one is settled just after the answer, forwarder.ts answerFirst).
  t.match(await pos.request('award', { txn_id: 'sale-d', customer_id: 'bob', basket: coffee2 }),
    { ok: true, result: { automatic_spend_amount: 200, additional_spend_amount: 0, total_spend_amount: 200 } });
  t.match(await pos.request('spend', { txn_id: 'sale-d', customer_id: 'bob', amount: 100, currency: 'EUR' }), { ok: true, result: { spent_amount: 0 } },
    'nothing spendable: what is left is held by open-c');

  t.match(await pos.request('preview', { customer_id: 'alice', basket: small, txn_id: 'has space' }), { ok: false, error: { code: 'BAD_REQUEST', message: /params\.txn_id/ } });
  const v1 = await sys.pos();
  t.match(await v1.request('preview', { customer_id: 'alice', basket: small, txn_id: 'has space' }), { ok: true },
    'protocol 1 drops unknown keys as ever (txn_id is a version 2 parameter)');
});
