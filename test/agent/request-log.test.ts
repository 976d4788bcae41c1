// A money request's log line names its sale and outcome at info (refused: warn; a successful award
// at debug: the outbox keeps it); the rest stay at debug. Support answers "what happened to txn X"
// from the journal at the default level (info) and the outbox. The line is written unredacted:
// its fields must stay primitives under keys no REDACT path names.
import t from 'tap';
import { AgentError } from '../../protocol/errors.ts';
import type { Handler } from '../../agent/socket/socket-server.ts';
import { startServer } from '../helpers/socket-harness.ts';
import { waitFor } from '../helpers/wait.ts';

const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };

const handle: Handler = async (op, params) => {
  const p = params as { txn_id?: string };
  if (op === 'award') return { status: 'queued', txn_id: p.txn_id, currency: 'EUR' };
  if (op === 'spend') throw new AgentError('OFFLINE_SPEND_DECLINED', 'offline spend declined: amount 100000 is above the offline floor limit 500');
  if (op === 'refund') return { status: 'refunded', refund_id: 'R-1', txn_id: p.txn_id };
  if (op === 'receipt.print') return { status: 'printed', printer: 'printer0', job_id: 'job-9', loyalty: false, warnings: [] };
  return { ok: true };
};

t.test('money requests are logged with their ids and outcome, at info or warn', async (t) => {
  const h = await startServer(t, { handle });
  const pos = await h.connect();
  t.match(await pos.request('hello', { protocol: 2 }), { ok: true });
  t.match(await pos.request('award', { txn_id: 'sale-7', customer_id: 'alice', basket }), { ok: true });
  t.match(await pos.request('spend', { txn_id: 'sale-7', spend_id: 'sp-1', customer_id: 'alice', amount: 100000, currency: 'EUR' }),
    { ok: false, error: { code: 'OFFLINE_SPEND_DECLINED' } });
  t.match(await pos.request('refund', { refund_id: 'R-1', txn_id: 'sale-7', currency: 'EUR', items: [{ sku: 'COFFEE', qty: 1, amount: 1000 }] }), { ok: true });
  // Refused by its params: the sale is not done, so not debug either.
  t.match(await pos.request('award', { txn_id: 'sale-8', customer_id: 'alice' }), { ok: false, error: { code: 'BAD_REQUEST' } });
  // "The till printed no loyalty section": the receipt's line says so, for which sale and job.
  t.match(await pos.request('receipt.print', { txn_id: 'sale-7', document: { currency: 'EUR', total: 1000 } }), { ok: true });
  t.match(await pos.request('status'), { ok: true });
  await waitFor(() => h.logs.filter((l) => l.msg === 'request').length === 7, { what: 'seven request lines' });
  const lines = h.logs.filter((l) => l.msg === 'request');
  t.match(lines[1], { level: 'debug', op: 'award', code: 'OK', txn_id: 'sale-7', status: 'queued' });
  t.notOk('customer_id' in lines[1]! || 'basket' in lines[1]!, 'no params beyond the ids');
  t.match(lines[2], {
    level: 'warn', op: 'spend', code: 'OFFLINE_SPEND_DECLINED', txn_id: 'sale-7', spend_id: 'sp-1',
    error: 'offline spend declined: amount 100000 is above the offline floor limit 500',
  });
  t.match(lines[3], { level: 'info', op: 'refund', code: 'OK', txn_id: 'sale-7', refund_id: 'R-1', status: 'refunded' });
  t.match(lines[4], { level: 'warn', op: 'award', code: 'BAD_REQUEST', error: /basket/ });
  t.match(lines[5], { level: 'info', op: 'receipt.print', code: 'OK', txn_id: 'sale-7', job_id: 'job-9', status: 'printed', loyalty: false });
  t.match(lines[6], { level: 'debug', op: 'status', code: 'OK' });
  t.notOk('txn_id' in lines[6]!);
  t.match(lines[0], { level: 'debug', op: 'hello' });
});

t.test('the request line holds primitives under keys no REDACT path names (it is written unredacted)', async (t) => {
  const { requestLogFields } = await import('../../agent/socket/request-log.ts');
  const { REDACT } = await import('../../runtime/log.ts');
  const named = new Set(REDACT.flatMap((path) => path.split('.')).filter((part) => part !== '*'));
  const params = { txn_id: 'sale-7', spend_id: 'sp-1', refund_id: 'R-1', redemption_id: 'rd-1', job_id: 'j-1', customer_id: 'alice', value: '4111111111111111' };
  const variants = [
    requestLogFields('spend', params, { id: 1, ok: true, result: { status: 'spent', loyalty: true, reason: 'x', job_id: 'j-2', balance: { amount: 1, currency: 'EUR' } } }),
    requestLogFields('receipt.print', params, { id: 1, ok: false, error: { code: 'BAD_REQUEST', message: 'm', retryable: false } }),
  ];
  for (const fields of variants) {
    for (const [key, value] of Object.entries(fields)) {
      t.notOk(named.has(key), `${key} is not named by REDACT`);
      t.ok(['string', 'boolean'].includes(typeof value), `${key} is a primitive`);
    }
  }
  for (const key of ['requestId', 'op', 'code', 'ms', 'connectionId']) t.notOk(named.has(key), `${key} is not named by REDACT`);
  t.match(variants[0], { txn_id: 'sale-7', status: 'spent', loyalty: true });
  t.notOk('customer_id' in variants[0]! || 'value' in variants[0]! || 'balance' in variants[0]!, 'only the ids and the outcome');
});
