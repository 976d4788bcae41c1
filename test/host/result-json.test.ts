// host/result-json.ts: an answer is encoded with each recorded result's JSON text made once (for the
// dedup record) and put in as it is; the text must be exactly JSON.stringify of the whole answer.
import t from 'tap';
import type { UpstreamResponse } from '../../protocol/upstream.ts';
import type { Batch } from '../../host/batch.ts';
import { encodeResponse, resultJson } from '../../host/result-json.ts';
import { HostService } from '../../host/service.ts';
import { silentLogger } from '../../runtime/log.ts';
import { award, basket, message, seededLedger } from '../helpers/host-fixtures.ts';

const SETTINGS = { timezone: 'UTC', reduction: 'front_end' as const, default_product: { sku: 'UNKNOWN', name: 'Unknown product' } };

const recorded = (result: Record<string, unknown>) => {
  resultJson(result);
  return result;
};

t.test('encodeResponse is JSON.stringify, with kept texts, without, and mixed', async (t) => {
  const odd = ['a"results":[]', 'quote " and \\ backslash', 'é\u2028\ud800', '"results":[]'];
  const cases: UpstreamResponse[] = [
    { v: 1, request_id: 'r1', results: [] },
    { v: 1, request_id: 'r2', at: '2026-12-01T00:00:00.000Z', results: [{ id: 'm1', ok: true, result: { a: 1 } }] },
    { v: 1, request_id: 'r3"results":[]', at: 'x', results: [{ id: 'm1', ok: true, result: recorded({ a: 1, b: 'two', c: [1, { d: null }] }) }] },
    {
      v: 1, request_id: 'r4', at: 'x',
      results: [
        { id: 'm0', ok: false, error: { code: 'BAD_REQUEST', message: 'no', permanent: true } },
        ...odd.map((id, i) => ({ id, ok: true as const, result: recorded({ n: i, text: id }) })),
        { id: 'dup', ok: true, result: { stored: 'parsed again, not kept' } },
        { id: 'm9', ok: false, error: { code: 'INTERNAL', message: 'later', permanent: false } },
      ],
      chain: { accepted: true, last: 12 },
    },
    { v: 1, request_id: 'r5', results: [{ id: 'm1', ok: true, result: recorded({}) }], chain: { accepted: false, last: null } },
  ];
  // Items whose keys are not exactly id, ok, result in that order: stringified whole, as JSON.stringify would.
  const other = recorded({ x: 1 });
  cases.push({ v: 1, request_id: 'r6', results: [{ ok: true, id: 'm1', result: other } as never, { id: 'm2', ok: true, result: other, extra: 1 } as never] });
  cases.push({ v: 1, request_id: 'r7', results: [{ id: 'm1', ok: true, result: other }, { id: 'm2', ok: true, result: other }] });
  for (const response of cases) t.equal(encodeResponse(response), JSON.stringify(response), response.request_id);
});

t.test('a request\'s answer is JSON.stringify of its response, new results and repeats alike', async (t) => {
  const { ledger } = await seededLedger(t);
  const service = new HostService(ledger, SETTINGS, silentLogger());
  const b = basket([['COFFEE', 500]]);
  const first = [award('P1', b, 'sale-1'), award('P2', b, 'sale-2'), message('identify', { by: 'token', value: 'tok_alice' })];
  const batch = (messages: typeof first): Batch => ({
    request_id: `req-${messages.length}`, reply_to: 'till/v1/M1/S1/T1/res', source: { merchant: 'M1', store: 'S1', terminal: 'T1' },
    items: messages.map((m) => ({ ok: true as const, message: m })),
  });
  const a = service.handle(batch(first));
  t.equal(a.applied, 2);
  t.equal(encodeResponse(a.response), JSON.stringify(a.response));
  // The same messages again (answered from the dedup records) and a new one.
  const again = service.handle(batch([...first, award('P1', b, 'sale-3')]));
  t.equal(again.duplicates, 2);
  t.equal(encodeResponse(again.response), JSON.stringify(again.response));
  t.same(JSON.parse(encodeResponse(again.response)).results.slice(0, 2), JSON.parse(encodeResponse(a.response)).results.slice(0, 2));
});
