// A money message the host refuses for good is a dead letter at the till, which warns of it
// ('host refused message: dead letter'): the host's 'message rejected' line is at warn too, so
// `journalctl -u till-agent-host -p warning` lists the refused sales. An identify or preview
// refusal (an unknown card, every day at a shop) stays at info, on the ledger and on a platform.
import t from 'tap';
import type { Batch } from '../../host/batch.ts';
import { HostService } from '../../host/service.ts';
import type { UpstreamRequest } from '../../protocol/upstream.ts';
import { crmcomBackend, startCrmcomSim } from '../helpers/crmcom-sim.ts';
import { award, basket, message, request, seededLedger, voidTxn } from '../helpers/host-fixtures.ts';
import { capturingLogger } from '../helpers/log-capture.ts';

const SETTINGS = { timezone: 'UTC', reduction: 'front_end' as const, default_product: { sku: 'UNKNOWN', name: 'Unknown product' } };
const asBatch = (req: UpstreamRequest): Batch =>
  ({ request_id: req.request_id, reply_to: req.reply_to, source: req.source, items: req.messages.map((m) => ({ ok: true, message: m })) });

t.test('the ledger: a refused award is a warning, an unknown card at identify is not', async (t) => {
  const { ledger } = await seededLedger(t);
  const { log, lines } = capturingLogger();
  const service = new HostService(ledger, SETTINGS, log);
  const results = service.handle(asBatch(request([
    award('P-404', basket([['COFFEE', 1000]]), 'sale-404'),
    message('identify', { by: 'card', value: '6006499999999999' }),
  ]))).response.results;
  t.match(results, [{ ok: false, error: { code: 'NOT_FOUND', permanent: true } }, { ok: false, error: { code: 'NOT_FOUND', permanent: true } }]);
  const rejected = lines.filter((l) => /^message rejected/.test(String(l.msg)));
  t.match(rejected, [
    { level: 'warn', op: 'award', txn_id: 'sale-404', code: 'NOT_FOUND', permanent: true },
    { level: 'info', op: 'identify', code: 'NOT_FOUND' },
  ]);
});

t.test('a platform backend (CRM.COM): a refused void is a warning, an unknown card at identify is not', async (t) => {
  const sim = await startCrmcomSim(t);
  const { run, logs } = await crmcomBackend(t, sim);
  t.match(await run(voidTxn('never')), [{ ok: false, error: { code: 'NOT_FOUND', permanent: true } }]);
  t.match(await run(message('identify', { by: 'card', value: '6006491234567999' })), [{ ok: false, error: { code: 'NOT_FOUND', permanent: true } }]);
  const rejected = logs().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => /^message rejected/.test(String(l.msg)));
  t.match(rejected, [{ level: 'warn', op: 'void', code: 'NOT_FOUND', permanent: true }, { level: 'info', op: 'identify', code: 'NOT_FOUND' }]);
});
