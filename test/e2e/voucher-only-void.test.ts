// A sale paid only with a refund voucher (no loyalty customer on it) can be voided, and the void
// gives the voucher back (LOCAL.md "Back-end reduction and refund vouchers": "a host that does not
// answer in time gives UPSTREAM_TIMEOUT: repeat the same request to learn the outcome, or void the
// sale to give the voucher back"). Before, such a void was NOT_FOUND at the till (it looked for an
// award or spend only) and at the host ("nothing to void"): the voucher stayed taken by an abandoned
// sale. Real agent, mosquitto and reference host with back-end reduction.
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
  - { id: ten-percent, name: 10% back on everything, percent: 10 }
`;
const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 2000, amount: 2000 }] };

t.test('a sale paid only with a voucher: its void gives the voucher back, also after a timeout', async (t) => {
  const dir = await tempDir(t, 'till-voucher-void-');
  const seed = join(dir, 'seed.yaml');
  await writeFile(seed, SEED);
  const sys = await startSystem(t, { hostConfig: { seed, reduction: 'back_end' } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });

  // Bob's automatic spend, back-end: a 3.00 voucher.
  const award = await pos.request('award', { txn_id: 'issue-1', customer_id: 'bob', basket });
  t.match(award, { ok: true, result: { reduction: 'back_end', voucher: { amount: 300 } } });
  const code = (award as { result: { voucher: { code: string } } }).result.voucher.code;

  // Paid with it in a sale of its own (no customer), then the sale is cancelled.
  t.match(await pos.request('voucher.redeem', { txn_id: 'pay-1', code, currency: 'EUR' }), { ok: true, result: { status: 'redeemed' } });
  t.match(await pos.request('void', { txn_id: 'pay-1' }), {
    ok: true, result: { status: 'voided', txn_id: 'pay-1', reversed_award_amount: 0, reversed_spend_amount: 0, vouchers: [{ code, amount: 300, state: 'reinstated' }] },
  });

  // The host does not answer in time: the answer says to repeat it or void the sale; the void gives it back.
  sys.host!.child.kill('SIGSTOP');
  const timedOut = await pos.request('voucher.redeem', { txn_id: 'pay-2', code, currency: 'EUR' });
  sys.host!.child.kill('SIGCONT');
  t.match(timedOut, { ok: false, error: { code: 'UPSTREAM_TIMEOUT', message: /void txn pay-2 to give the voucher back/ } });
  t.match(await pos.request('void', { txn_id: 'pay-2' }), { ok: true, result: { status: 'voided', vouchers: [{ code, state: 'reinstated' }] } });
  t.match(await pos.request('voucher.redeem', { txn_id: 'pay-2', code, currency: 'EUR' }), { ok: true, result: { status: 'redeemed' } },
    'the repeat learns the first outcome');
  t.match(await pos.request('voucher.redeem', { txn_id: 'pay-3', code, currency: 'EUR' }), { ok: true, result: { status: 'redeemed', voucher: { amount: 300 } } },
    'given back: redeemable again');

  // A sale whose voucher the host refused took nothing: NOT_FOUND, nothing committed, no dead letter.
  t.match(await pos.request('voucher.redeem', { txn_id: 'pay-4', code, currency: 'EUR' }), { ok: false, error: { code: 'VOUCHER_REDEEMED' } });
  t.match(await pos.request('void', { txn_id: 'pay-4' }), { ok: false, error: { code: 'NOT_FOUND' } });
  t.match(await pos.request('status'), { ok: true, result: { outbox: { dead: 0 } } });
});
