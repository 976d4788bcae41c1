// The ledger behind the Backend interface: same answers as the service it wraps, every op
// served, and the config key that selects it.
import t from 'tap';
import { ConfigError } from '../../../runtime/config-file.ts';
import { parseHostConfig } from '../../../host/config.ts';
import { LedgerBackend } from '../../../host/ledger-backend/ledger-backend.ts';
import { silentLogger } from '../../../runtime/log.ts';
import type { Batch } from '../../../host/batch.ts';
import { UPSTREAM_OPS, type UpstreamRequest } from '../../../protocol/upstream.ts';
import { award, basket, message, request, seededLedger } from '../../helpers/host-fixtures.ts';

const SETTINGS = { timezone: 'UTC', reduction: 'front_end' as const, default_product: { sku: 'UNKNOWN', name: 'Unknown product' } };
const asBatch = (req: UpstreamRequest): Batch =>
  ({ request_id: req.request_id, reply_to: req.reply_to, source: req.source, items: req.messages.map((m) => ({ ok: true, message: m })) });

t.test('answers through the host service: identify, award, a resent award is a duplicate', async (t) => {
  const { ledger } = await seededLedger(t);
  const backend = new LedgerBackend(ledger, SETTINGS, silentLogger());
  const first = award('P1', basket([['COFFEE', 300]]), 'txn-1', 'm-award-1');
  const summary = await backend.handle(asBatch(request([message('identify', { by: 'card', value: '6006491234567890' }), first])));
  t.match(summary.response.results, [{ ok: true, result: { customer: { id: 'P1' } } }, { ok: true, result: { award_amount: 30 } }]);
  t.equal(summary.applied, 1);
  const again = await backend.handle(asBatch(request([first])));
  t.equal(again.duplicates, 1);
  t.equal(ledger.wallet('P1')?.balance, 1030, 'applied once');
});

t.test('--check-backend and doctor: every op served while the ledger is readable', async (t) => {
  const { ledger } = await seededLedger(t);
  const backend = new LedgerBackend(ledger, SETTINGS, silentLogger());
  const ops = await backend.checkOps();
  t.same(ops.map((o) => o.op), [...UPSTREAM_OPS]);
  t.ok(ops.every((o) => o.ok));
  t.match(await backend.doctor(), [{ name: 'ledger', ok: true }]);
  ledger.close();
  t.match(await backend.doctor(), [{ name: 'ledger', ok: false, detail: /not readable/ }]);
});

t.test('config: backend defaults to ledger; an unknown backend is an error naming the key', async (t) => {
  const base = 'data_dir: /d\nuplink: { url: "mqtt://b:1883" }\n';
  t.equal(parseHostConfig(base, '/etc/h.yaml').backend, 'ledger');
  let errors: string[] = [];
  try {
    parseHostConfig(`${base}backend: oracle\n`, '/etc/h.yaml');
  } catch (error) {
    if (error instanceof ConfigError) errors = error.errors;
  }
  t.match(errors, [/^backend: must be one of ledger/]);
});
