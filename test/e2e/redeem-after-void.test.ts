// A txn_id names one sale (LOCAL.md "The sale flow", step 5): a voucher or an offer redeemed on a sale
// this till already voided is refused before anything is committed (CONFLICT). Before, the host took
// the voucher (or the offer) for the voided sale, and the sale's void, already applied, was answered
// from the dedup ever after: a voucher nothing gave back. Real agent, mosquitto and reference host.
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
    automatic_spend: true
    offers:
      - { id: UO-BOB, name: 1.00 off, amount: 100, currency: EUR }
offers:
  - { id: ten-percent, name: 10% back on everything, percent: 10 }
`;
const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 2000, amount: 2000 }] };
const refused = { ok: false, error: { code: 'CONFLICT', retryable: false, message: /voided/ } };

t.test('voucher.redeem and redeem on a sale voided on this till: CONFLICT, the voucher and the offer kept', async (t) => {
  const dir = await tempDir(t, 'till-redeem-void-');
  const seed = join(dir, 'seed.yaml');
  await writeFile(seed, SEED);
  const sys = await startSystem(t, { hostConfig: { seed, reduction: 'back_end' } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  const award = await pos.request('award', { txn_id: 'issue-1', customer_id: 'bob', basket });
  const code = (award as { result: { voucher: { code: string } } }).result.voucher.code;

  // A sale voided (an award to bob, voided), then a voucher and an offer redeemed under its txn_id.
  t.match(await pos.request('award', { txn_id: 'gone-1', customer_id: 'bob', basket }), { ok: true });
  t.match(await pos.request('void', { txn_id: 'gone-1' }), { ok: true, result: { status: 'voided' } });
  t.match(await pos.request('voucher.redeem', { txn_id: 'gone-1', code, currency: 'EUR' }), refused, 'voucher.redeem');
  t.match(await pos.request('redeem', { redemption_id: 'rd-1', txn_id: 'gone-1', customer_id: 'bob', offer_id: 'UO-BOB', basket }), refused, 'redeem');
  // Both still there for a new sale.
  t.match(await pos.request('voucher.redeem', { txn_id: 'new-1', code, currency: 'EUR' }), { ok: true, result: { status: 'redeemed' } });
  t.match(await pos.request('redeem', { redemption_id: 'rd-2', txn_id: 'new-2', customer_id: 'bob', offer_id: 'UO-BOB', basket }), { ok: true, result: { status: 'redeemed' } });
});
