// An offer's discount goes in its sale's basket (LOCAL.md, "Offers held by a customer"): redeemed
// after the sale's award it was taken from the wallet for a discount the POS gave outside the sale,
// whose award had been computed on the full price. Now CONFLICT, nothing committed, the offer kept
// for the next sale; the host refuses it too (a till before this check: a dead letter, nothing applied).
// Real agent, mosquitto and reference host.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { startSystem } from '../helpers/system.ts';
import { tempDir } from '../helpers/tmp.ts';

const SEED = `
participants:
  - id: bob
    name: Bob Stone
    identifiers: { card: ["6006490000000002"] }
    balance: { amount: 300, currency: EUR }
    offers:
      - { id: UO-BOB, name: 1.00 off, amount: 100, currency: EUR }
`;
const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 2000, amount: 2000 }] };

t.test('redeem for a sale already awarded: CONFLICT at the till and at the host, the offer kept for the next sale', async (t) => {
  const dir = await tempDir(t, 'till-redeem-award-');
  const seed = join(dir, 'seed.yaml');
  await writeFile(seed, SEED);
  const sys = await startSystem(t, { hostConfig: { seed } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('award', { txn_id: 'sale-1', customer_id: 'bob', basket }), { ok: true, result: { status: 'awarded' } });
  t.match(await pos.request('redeem', { redemption_id: 'rd-1', txn_id: 'sale-1', customer_id: 'bob', offer_id: 'UO-BOB', basket }),
    { ok: false, error: { code: 'CONFLICT', retryable: false, message: /sale sale-1 is already awarded.*nothing was committed/ } });
  t.match(await pos.request('outbox.list', { state: 'dead' }), { ok: true, result: { dead: 0 } }, 'no dead letter');
  t.match(await pos.request('offers', { customer_id: 'bob' }), { ok: true, result: { offers: [{ id: 'UO-BOB' }] } }, 'still in the wallet');
  t.match(await pos.request('redeem', { redemption_id: 'rd-2', txn_id: 'sale-2', customer_id: 'bob', offer_id: 'UO-BOB', basket }),
    { ok: true, result: { status: 'redeemed' } }, 'redeemed on the next sale, before its award');
  t.match(await pos.request('award', { txn_id: 'sale-2', customer_id: 'bob', basket: { ...basket, total: 1900, discounts: [{ code: 'UO-BOB', amount: 100 }] } }),
    { ok: true, result: { status: 'awarded' } });
});
