// Back-end reduction through a real agent, mosquitto and the reference host: the host decides the
// reduction per purchase (store and offer rules), a back-end redemption comes back as a refund
// voucher, redeemable once, voided with its sale, given back when the sale that took it is voided.
// CRM.COM guide (seeds/000): "Back-End Reduction - The reduction is done is by a back-end system
// (i.e. PayPal) by letting the customer to pay for the full purchased amount and credit him
// through a payment gateway system or by generating a refund voucher".
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { startSystem } from '../helpers/system.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const SEED = `
participants:
  - id: bob
    name: Bob Stone
    identifiers: { card: ["6006490000000002"] }
    balance: { amount: 300, currency: EUR }
    automatic_spend: true
  - id: carla
    name: Carla Ruiz
    identifiers: { card: ["6006490000000003"] }
    balance: { amount: 1000, currency: EUR }
offers:
  - { id: ten-percent, name: 10% back on everything, percent: 10 }
  - id: BOOK-NOW
    name: 1.00 off a book, now
    amount: 100
    currency: EUR
    instant: true
    conditions: { skus: [BOOK] }
`;

const basket = (store: string, sku = 'COFFEE', amount = 2000) =>
  ({ currency: 'EUR', total: amount, store, items: [{ sku, qty: 1, unit_price: amount, amount }] });

t.test('back-end reduction by store and offer rule: a voucher, redeemable once, voidable', async (t) => {
  const dir = await tempDir(t, 'till-vouchers-');
  const seed = join(dir, 'seed.yaml');
  await writeFile(seed, SEED);
  const sys = await startSystem(t, {
    hostConfig: {
      seed,
      reduction: 'front_end',
      reduction_rules: [{ stores: ['S2'], reduction: 'back_end' }, { offers: ['BOOK-NOW'], reduction: 'back_end' }],
    },
  });
  await sys.waitOnline();
  const pos = await sys.pos();

  // Same host, same customer kind: store S1 is front-end (no voucher), store S2 back-end.
  const front = await pos.request('preview', { customer_id: 'carla', basket: basket('S1') });
  t.match(front, { ok: true, result: { reduction: 'front_end' } });
  t.match(await pos.request('preview', { customer_id: 'carla', basket: basket('S2') }), { ok: true, result: { reduction: 'back_end' } });

  // Bob spends his 300 automatically; in S2 that is credited as a voucher, not deducted by the POS.
  const award = await pos.request('award', { txn_id: 'b-1', customer_id: 'bob', basket: basket('S2') });
  t.match(award, {
    ok: true,
    result: { status: 'awarded', reduction: 'back_end', automatic_spend_amount: 300, total_spend_amount: 300, voucher: { amount: 300, currency: 'EUR' } },
  });
  const voucher = (award as { result: { voucher: { code: string } } }).result.voucher;
  t.match(voucher.code, /^RV-[0-9A-Z]{12}$/);
  t.same(await pos.request('award', { txn_id: 'b-1', customer_id: 'bob', basket: basket('S2') }).then((r) => r.ok && r.result),
    (award as { result: unknown }).result, 'a repeat answers the same voucher');

  // A front-end award of the same customer has no voucher.
  const plain = await pos.request('award', { txn_id: 'b-2', customer_id: 'bob', basket: basket('S1') });
  t.match(plain, { ok: true, result: { reduction: 'front_end' } });
  t.notOk((plain as { result: { voucher?: unknown } }).result.voucher, 'front-end: no voucher');

  // The offer rule: a book's instant offer makes the purchase back-end, even in S1.
  const book = await pos.request('award', { txn_id: 'c-1', customer_id: 'carla', basket: basket('S1', 'BOOK', 1500) });
  t.match(book, { ok: true, result: { reduction: 'back_end', instant_spend_amount: 100, voucher: { amount: 100 } } });
  // An online spend on a back-end sale is credited as a voucher as well.
  const extra = await pos.request('spend', { txn_id: 'c-1', customer_id: 'carla', amount: 200, currency: 'EUR' });
  t.match(extra, { ok: true, result: { status: 'spent', spent_amount: 200, reduction: 'back_end', voucher: { amount: 200, currency: 'EUR' } } });
  const spendVoucher = (extra as { result: { voucher: { code: string } } }).result.voucher.code;

  // Redeemed once, as payment in another sale; the repeat of that redemption gives the same answer.
  await pos.request('award', { txn_id: 'c-2', customer_id: 'carla', basket: basket('S1') });
  const redeemed = await pos.request('voucher.redeem', { txn_id: 'c-2', code: voucher.code.toLowerCase(), currency: 'EUR' });
  t.match(redeemed, { ok: true, result: { status: 'redeemed', txn_id: 'c-2', voucher: { code: voucher.code, amount: 300, currency: 'EUR' } } });
  t.same(await pos.request('voucher.redeem', { txn_id: 'c-2', code: voucher.code, currency: 'EUR' }).then((r) => r.ok && r.result),
    (redeemed as { result: unknown }).result, 'idempotent repeat');
  t.match(await pos.request('voucher.redeem', { txn_id: 'c-3', code: voucher.code, currency: 'EUR' }),
    { ok: false, error: { code: 'VOUCHER_REDEEMED', retryable: false } });
  t.match(await pos.request('voucher.redeem', { txn_id: 'c-3', code: 'RV-0000000000ZZ', currency: 'EUR' }), { ok: false, error: { code: 'NOT_FOUND' } });

  // Voiding the sale that took the voucher gives it back; then it can be redeemed again.
  t.match(await pos.request('void', { txn_id: 'c-2' }), {
    ok: true, result: { status: 'voided', vouchers: [{ code: voucher.code, amount: 300, state: 'reinstated' }] },
  });
  t.match(await pos.request('voucher.redeem', { txn_id: 'c-4', code: voucher.code, currency: 'EUR' }), { ok: true, result: { status: 'redeemed' } });
  t.match(await pos.request('voucher.redeem', { txn_id: 'c-3', code: voucher.code, currency: 'EUR' }),
    { ok: false, error: { code: 'VOUCHER_REDEEMED' } }, 'a refusal is the answer for that (txn_id, code) for good');

  // Voiding the sale that issued a voucher voids the voucher.
  const bookVoucher = (book as { result: { voucher: { code: string } } }).result.voucher.code;
  t.match(await pos.request('void', { txn_id: 'c-1' }), {
    ok: true, result: { status: 'voided', reversed_spend_amount: 300, vouchers: [{ state: 'voided' }, { state: 'voided' }] },
  });
  t.match(await pos.request('voucher.redeem', { txn_id: 'c-6', code: bookVoucher, currency: 'EUR' }), { ok: false, error: { code: 'VOUCHER_VOIDED' } });
  t.match(await pos.request('voucher.redeem', { txn_id: 'c-6b', code: spendVoucher, currency: 'EUR' }), { ok: false, error: { code: 'VOUCHER_VOIDED' } });
  // Voiding a sale whose voucher was already spent reports it: it cannot be taken back.
  t.match(await pos.request('void', { txn_id: 'b-1' }), { ok: true, result: { vouchers: [{ code: voucher.code, state: 'redeemed' }] } });

  // None of the refusals is a dead letter: they are answers.
  const status = await pos.request('status');
  t.match(status, { ok: true, result: { outbox: { dead: 0 } } });

  // Bad input: BAD_REQUEST naming the field, nothing recorded.
  t.match(await pos.request('voucher.redeem', { txn_id: 'c-7', code: 'nope', currency: 'EUR' }),
    { ok: false, error: { code: 'BAD_REQUEST', message: /params\.code/ } });
  t.match(await pos.request('voucher.redeem', { txn_id: 'c-7', code: voucher.code }), { ok: false, error: { code: 'BAD_REQUEST', message: /params\.currency/ } });
  t.match(await pos.request('voucher.redeem', { txn_id: 'c-7', code: voucher.code, currency: 'EUR', amount: 5 }),
    { ok: false, error: { code: 'BAD_REQUEST', message: /amount/ } });

  // Offline: refused before anything is written (only the host knows it is unused).
  const pending = async () => { const s = await pos.request('status'); return (s as { result: { outbox: { pending: number } } }).result.outbox.pending; };
  await waitFor(async () => (await pending()) === 0, { what: 'outbox drained' });
  await sys.goOffline();
  t.match(await pos.request('voucher.redeem', { txn_id: 'c-8', code: voucher.code, currency: 'EUR' }),
    { ok: false, error: { code: 'UPSTREAM_UNAVAILABLE' } });
  t.equal(await pending(), 0, 'nothing committed');
});
