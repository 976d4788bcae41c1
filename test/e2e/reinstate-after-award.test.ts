// A reinstate of an offer redemption after its sale's award (LOCAL.md, "Offers held by a customer"):
// the award's basket carried the discount, so giving the offer back would let the customer use it
// twice. The till refuses it before committing anything (CONFLICT, online and offline); the sale's
// void gives the offer back with the award; a reinstate made before the award is answered as
// before. Real agent, real mosquitto, the reference host's ledger (seed: test/fixtures/seed.yaml).
import t from 'tap';
import type { Response } from '../../protocol/local.ts';
import type { PosClient } from '../helpers/pos-client.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const coffee = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000 }] };
const discounted = (code: string, amount: number) => ({ ...coffee, total: coffee.total - amount, discounts: [{ code, amount }] });
const res = (r: Response): unknown => (r.ok ? r.result : r.error);
const offerIds = async (pos: PosClient) =>
  ((res(await pos.request('offers', { customer_id: 'alice' })) as { offers: Array<{ id: string }> }).offers).map((o) => o.id).sort();
const outbox = async (pos: PosClient) => (res(await pos.request('status')) as { outbox: { pending: number; dead: number } }).outbox;

t.test('reinstate after the award is refused, nothing committed; the void gives the offer back', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  const redeem = (redemption: string, offer: string, txn: string) =>
    pos.request('redeem', { redemption_id: redemption, txn_id: txn, customer_id: 'alice', offer_id: offer, basket: coffee });

  t.match(await redeem('r-a', 'UO-COFFEE2', 'aw-1'), { ok: true, result: { status: 'redeemed', discount_amount: 200 } });
  t.match(await pos.request('award', { txn_id: 'aw-1', customer_id: 'alice', basket: discounted('UO-COFFEE2', 200) }),
    { ok: true, result: { status: 'awarded' } });
  const refused = {
    ok: false,
    error: { code: 'CONFLICT', retryable: false, message: /^redemption r-a: its sale aw-1 was awarded with its discount.*void the sale.*\(nothing was committed\)$/ },
  };
  t.match(await pos.request('reinstate', { redemption_id: 'r-a', reason: 'customer changed mind' }), refused);
  t.match(await pos.request('reinstate', { redemption_id: 'r-a' }), refused, 'a repeat: the same refusal');
  t.match(await outbox(pos), { pending: 0, dead: 0 }, 'nothing committed, no dead letter');
  t.notOk((await offerIds(pos)).includes('UO-COFFEE2'), 'the offer stays used: the awarded sale kept its discount');

  // The sale's void cancels it whole: the award reversed, the offer back. A reinstate then is answered as before.
  t.match(await pos.request('void', { txn_id: 'aw-1' }), { ok: true, result: { status: 'voided', reinstated_offers: ['UO-COFFEE2'] } });
  t.match(await pos.request('reinstate', { redemption_id: 'r-a' }),
    { ok: true, result: { status: 'reinstated', offer_id: 'UO-COFFEE2', reinstated_discount_amount: 200 } });
  t.ok((await offerIds(pos)).includes('UO-COFFEE2'));

  // Reinstated before the award (the basket changed): repeated after it, the first outcome.
  t.match(await redeem('r-b', 'UO-TEN', 'aw-2'), { ok: true, result: { status: 'redeemed' } });
  const before = await pos.request('reinstate', { redemption_id: 'r-b', reason: 'basket changed' });
  t.match(before, { ok: true, result: { status: 'reinstated', offer_id: 'UO-TEN' } });
  t.match(await pos.request('award', { txn_id: 'aw-2', customer_id: 'alice', basket: coffee }), { ok: true, result: { status: 'awarded' } });
  t.same(res(await pos.request('reinstate', { redemption_id: 'r-b', reason: 'basket changed' })), res(before), 'answered as before');
  t.ok((await offerIds(pos)).includes('UO-TEN'));

  // An award queued offline counts as well: the POS took the discount off the bill.
  t.match(await redeem('r-c', 'UO-COFFEE2', 'aw-3'), { ok: true, result: { status: 'redeemed' } });
  await sys.goOffline();
  t.match(await pos.request('award', { txn_id: 'aw-3', customer_id: 'alice', basket: discounted('UO-COFFEE2', 200) }),
    { ok: true, result: { status: 'queued' } });
  t.match(await pos.request('reinstate', { redemption_id: 'r-c' }), { ok: false, error: { code: 'CONFLICT', message: /sale aw-3 was awarded/ } });
  t.equal((await outbox(pos)).pending, 1, 'only the award is queued');
  await sys.broker.restart();
  await waitFor(async () => (await outbox(pos)).pending === 0, { what: 'the award delivered', timeout: 20_000 });
  t.equal((await outbox(pos)).dead, 0);
  t.notOk((await offerIds(pos)).includes('UO-COFFEE2'), 'still used');
});
