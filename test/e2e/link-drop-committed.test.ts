// A money request committed to the outbox whose answer is lost because the link to the host drops
// while the POS waits (spend, redeem, voucher.redeem) is UPSTREAM_TIMEOUT — "committed: repeat the
// same request to learn the outcome" — never UPSTREAM_UNAVAILABLE, which LOCAL.md keeps for "nothing
// was committed" (redeem and voucher.redeem offline). It was UPSTREAM_UNAVAILABLE: a POS that took
// that at its documented word finished the sale without the offer or voucher (or took cash instead of
// the spend) while the host applied the redemption later, and the customer lost its value.
// Real agent, mosquitto and reference host (back-end reduction, so bob's award issues a voucher).
import t from 'tap';
import type { PosClient } from '../helpers/pos-client.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };
type Answer = Awaited<ReturnType<PosClient['request']>>;

t.test('the link drops while a spend, a redeem and a voucher.redeem wait: UPSTREAM_TIMEOUT, and a repeat learns the outcome', async (t) => {
  // The answers come when the request timeout (4 s here, under the POS client's 5 s) ends the wait,
  // the link being down by then: the broker is killed right after the requests are sent.
  const sys = await startSystem(t, { hostConfig: { reduction: 'back_end' }, agent: { uplink: { request_timeout_ms: 4000 } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  t.match(await pos.request('award', { txn_id: 's-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded' } });
  const issued = await pos.request('award', { txn_id: 'b-1', customer_id: 'bob', basket });
  t.match(issued, { ok: true, result: { voucher: { amount: 300 } } });
  const code = (issued as { result: { voucher: { code: string } } }).result.voucher.code;

  const spend = () => pos.request('spend', { txn_id: 's-1', spend_id: 'a', customer_id: 'alice', amount: 100, currency: 'EUR' });
  // For a sale not awarded yet: an offer's discount goes in its sale's award (after it: CONFLICT).
  const redeem = () => pos.request('redeem', { redemption_id: 'r-1', txn_id: 's-2', customer_id: 'alice', offer_id: 'UO-TEN', basket });
  const voucher = () => pos.request('voucher.redeem', { txn_id: 'pay-1', code, currency: 'EUR' });

  sys.host!.child.kill('SIGSTOP');
  const waiting: Array<Promise<Answer>> = [spend(), redeem(), voucher()];
  const pendingRows = async () => ((await pos.request('status')) as { result: { outbox: { pending: number } } }).result.outbox.pending;
  await waitFor(async () => (await pendingRows()) === 3, { what: 'the three requests committed', timeout: 3000 });
  await sys.broker.kill();
  const connected = async () => ((await pos.request('status')) as { result: { uplink: { connected: boolean } } }).result.uplink.connected;
  await waitFor(async () => !(await connected()), { what: 'the link down while they wait', timeout: 3000 });
  for (const answer of await Promise.all(waiting)) {
    t.match(answer, { ok: false, error: { code: 'UPSTREAM_TIMEOUT', retryable: true, message: /became unreachable before it answered.*committed/ } });
  }
  // Repeated while still offline: committed, so the same.
  t.match(await redeem(), { ok: false, error: { code: 'UPSTREAM_TIMEOUT', message: /committed/ } });

  sys.host!.child.kill('SIGCONT');
  await sys.broker.restart();
  await sys.waitOnline();
  t.match(await spend(), { ok: true, result: { status: 'spent', spent_amount: 100 } });
  t.match(await redeem(), { ok: true, result: { status: 'redeemed', discount_amount: 100 } });
  t.match(await voucher(), { ok: true, result: { status: 'redeemed', voucher: { code, amount: 300 } } });
});
