// Item 8 of issue 7: a wallet never leaves ±MAX_BALANCE. Before, 22 awards at
// MAX_SAFE_INTEGER took a balance past 2^53 and the wallet was unreadable for good.
import t from 'tap';
import { silentLogger } from '../../runtime/log.ts';
import type { Batch } from '../../host/batch.ts';
import { decodeRequest } from '../../host/request.ts';
import { HostService } from '../../host/service.ts';
import { MAX_BALANCE } from '../../protocol/money.ts';
import type { UpstreamRequest } from '../../protocol/upstream.ts';
import { award, basket, message, request, seededLedger, spend } from '../helpers/host-fixtures.ts';

const SETTINGS = { timezone: 'UTC', reduction: 'front_end' as const, default_product: { sku: 'UNKNOWN', name: 'Unknown product' } };

const asBatch = (req: UpstreamRequest): Batch =>
  ({ request_id: req.request_id, reply_to: req.reply_to, source: req.source, items: req.messages.map((m) => ({ ok: true, message: m })) });

t.test('an award that would overflow the wallet is refused for good, and the wallet stays usable', async (t) => {
  const { ledger } = await seededLedger(t);
  const service = new HostService(ledger, SETTINGS, silentLogger());
  const one = (req: UpstreamRequest) => service.handle(asBatch(req)).response.results[0]!;
  // P1 starts at 1000; bring it 50 short of the limit.
  ledger.immediate(() => ledger.append({ participant_id: 'P1', terminal: null, txn_id: null, message_id: null, kind: 'seed', amount: MAX_BALANCE - 1050, currency: 'EUR' }));
  const entries = ledger.entries('P1').length;

  // 10% of 1000 = 100 > 50 left.
  const refused = one(request([award('P1', basket([['COFFEE', 1000]]), 'over-1')]));
  t.match(refused, { ok: false, error: { code: 'BAD_REQUEST', permanent: true, message: /wallet limit/ } });
  t.equal(ledger.wallet('P1')?.balance, MAX_BALANCE - 50, 'balance unchanged');
  t.equal(ledger.entries('P1').length, entries, 'no ledger entry written');

  const fits = one(request([award('P1', basket([['COFFEE', 500]]), 'fits-1')]));
  t.match(fits, { ok: true, result: { award_amount: 50, balance: { amount: MAX_BALANCE } } }, 'an award that fits exactly still works');
  const identify = one(request([message('identify', { by: 'token', value: 'tok_alice' })]));
  t.match(identify, { ok: true, result: { customer: { balance: { amount: MAX_BALANCE } } } }, 'identify still answers');

  // The other way: offline spends approved by tills cannot take a wallet below -MAX_BALANCE.
  ledger.immediate(() => ledger.append({ participant_id: 'P3', terminal: null, txn_id: null, message_id: null, kind: 'seed', amount: -MAX_BALANCE + 10, currency: 'EUR' }));
  t.match(one(request([spend('P3', 11, 'neg-1', true)])), { ok: false, error: { code: 'BAD_REQUEST', permanent: true } });
  t.equal(ledger.wallet('P3')?.balance, -MAX_BALANCE + 10);
  t.throws(() => ledger.append({ participant_id: 'P3', terminal: null, txn_id: null, message_id: null, kind: 'seed', amount: Number.MAX_SAFE_INTEGER, currency: 'EUR' }),
    { code: 'BAD_REQUEST' }, 'an entry amount beyond the limit is refused before SQLite sees it');
});

t.test('22 awards at MAX_SAFE_INTEGER are refused at the door, each with a permanent BAD_REQUEST', async (t) => {
  const { ledger } = await seededLedger(t);
  const service = new HostService(ledger, SETTINGS, silentLogger());
  const huge = { currency: 'EUR', total: Number.MAX_SAFE_INTEGER, items: [{ sku: 'COFFEE', qty: 1, unit_price: Number.MAX_SAFE_INTEGER, amount: Number.MAX_SAFE_INTEGER }] };
  const req = request(Array.from({ length: 22 }, (_, i) => award('P1', huge, `huge-${i}`)));
  const decoded = decodeRequest(JSON.stringify(req));
  t.equal(decoded.kind, 'batch');
  if (decoded.kind !== 'batch') return;
  const results = service.handle(decoded.batch).response.results;
  t.equal(results.length, 22);
  t.ok(results.every((r) => !r.ok && r.error.code === 'BAD_REQUEST' && r.error.permanent), 'every one refused for good');
  t.equal(ledger.wallet('P1')?.balance, 1000, 'wallet untouched');
});
