// The host's refusals may echo what the till sent: a POS that puts a payment card number where
// the customer id goes gets `unknown customer …` back. The number is masked in the host's log
// and in the answer (kept by the till as the dead letter's error), never written in clear.
import t from 'tap';
import { HostService } from '../../host/service.ts';
import type { Batch } from '../../host/batch.ts';
import type { UpstreamRequest } from '../../protocol/upstream.ts';
import { capturingLogger } from '../helpers/log-capture.ts';
import { award, basket, message, request, seededLedger } from '../helpers/host-fixtures.ts';

const SETTINGS = { timezone: 'UTC', reduction: 'front_end' as const, default_product: { sku: 'UNKNOWN', name: 'Unknown product' } };
const asBatch = (req: UpstreamRequest): Batch =>
  ({ request_id: req.request_id, reply_to: req.reply_to, source: req.source, items: req.messages.map((m) => ({ ok: true, message: m })) });

t.test('a card number in customer_id is masked in the rejection log line and the answer', async (t) => {
  const { ledger } = await seededLedger(t);
  const { log, lines } = capturingLogger();
  const service = new HostService(ledger, SETTINGS, log);
  const results = service.handle(asBatch(request([
    award('4111111111111111', basket([['COFFEE', 1000]]), 'sale-1'),
    message('preview', { customer_id: '4111 1111 1111 1111', basket: basket([['COFFEE', 1000]]) }),
  ]))).response.results;
  t.match(results, [
    { ok: false, error: { code: 'NOT_FOUND', message: 'unknown customer 411111******1111', permanent: true } },
    { ok: false, error: { code: 'NOT_FOUND', message: /^unknown customer 411111\*+1111$/ } },
  ]);
  const logged = JSON.stringify(lines);
  t.match(logged, /message rejected: unknown customer 411111\*\*\*\*\*\*1111/);
  t.notMatch(logged, /4111111111111111|4111 1111 1111 1111/, 'never in clear');
  // An ordinary id is left as it is.
  const [plain] = service.handle(asBatch(request([award('P-404', basket([['COFFEE', 1000]]), 'sale-2')]))).response.results;
  t.match(plain, { ok: false, error: { message: 'unknown customer P-404' } });
});
