// An award the till answered "queued" (payload pos_reduced: false): the POS deducted no instant or
// automatic spend, so the host takes none from the wallet; the purchase still earns its award.
// Without the field (older tills) the host applies them as before. Seed (CRM.COM guide, 000):
// "Spend is the awarded amount that will be deducted from the basket's total amount that the
// customer should pay for" — what the customer was not given off the basket is not spent.
import t, { type Test } from 'tap';
import type { UpstreamRequest, UpstreamResult } from '../../protocol/upstream.ts';
import { silentHostLogger } from '../../host/log.ts';
import { HostService } from '../../host/service.ts';
import { award, basket, message, request, seededLedger, spend } from '../helpers/host-fixtures.ts';

const SETTINGS = { timezone: 'UTC', reduction: 'front_end' as const, default_product: { sku: 'UNKNOWN', name: 'Unknown product' } };
// P2 (Bruno) has automatic spend and 5.00; CROISSANT is an instant 0.50 offer, ALL10 10% on everything.
const b = basket([['CROISSANT', 200], ['COFFEE', 800]]);

async function setup(t: Test) {
  const { ledger } = await seededLedger(t);
  const service = new HostService(ledger, SETTINGS, silentHostLogger());
  const one = (req: UpstreamRequest): Record<string, unknown> => {
    const r: UpstreamResult | undefined = service.handle({
      request_id: req.request_id, reply_to: req.reply_to, source: req.source, items: req.messages.map((m) => ({ ok: true, message: m })),
    }).response.results[0];
    if (!r?.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`);
    return r.result;
  };
  return { ledger, one };
}

const queuedAward = (txn: string, id?: string) =>
  message('award', { customer_id: 'P2', basket: b, pos_reduced: false }, { txn_id: txn, ...(id ? { id } : {}) });

t.test('without pos_reduced (older till) the instant and automatic spends are taken as before', async (t) => {
  const { one, ledger } = await setup(t);
  t.match(one(request([award('P2', b, 'old')])), {
    award_amount: 150, instant_spend_amount: 50, automatic_spend_amount: 500, total_spend_amount: 550, balance: { amount: 100 },
  });
  t.equal(ledger.wallet('P2')!.balance, 100);
});

t.test('pos_reduced: false earns the award and spends nothing from the wallet', async (t) => {
  const { one, ledger } = await setup(t);
  const first = one(request([queuedAward('q', 'msg-q')]));
  t.match(first, { award_amount: 150, instant_spend_amount: 0, automatic_spend_amount: 0, total_spend_amount: 0, balance: { amount: 650 }, basket_total: 1000 });
  t.equal(ledger.wallet('P2')!.balance, 650, '5.00 + 1.50 earned, no reduction paid for');
  t.same(one(request([queuedAward('q', 'msg-q')])), first, 'a resend is the same outcome, applied once');
  t.equal(ledger.wallet('P2')!.balance, 650);
  // The whole basket is still to pay; what the wallet held before the sale is spendable.
  t.match(one(request([spend('P2', 2000, 'q')])), { spent_amount: 500, balance: { amount: 150 } });
});
