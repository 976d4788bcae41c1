// The host writes its per-request line through a child logger without redaction (consumer.ts
// requestLog: pino's `*.` redactor on every field was most of the line's cost). That is safe only
// while the line holds primitives under keys no REDACT path names: then redaction cannot change it.
// This holds requestLine to that, and the two loggers to writing the same line.
import t from 'tap';
import { requestLine } from '../../host/consumer.ts';
import type { Batch, HandleSummary } from '../../host/batch.ts';
import { REDACT } from '../../runtime/log.ts';
import { capturingLogger } from '../helpers/log-capture.ts';

const batch = (chain?: Batch['chain']): Batch => ({
  request_id: 'req-1', reply_to: 'till/v1/M1/S1/T1/res', source: { merchant: 'M1', store: 'S1', terminal: 'T1' },
  ...(chain ? { chain } : {}), items: [{ ok: false, id: 'm-1', errors: ['x'] }],
});
const summary = (refused: boolean): HandleSummary => ({
  response: { v: 1, request_id: 'req-1', results: [], ...(refused ? { chain: { accepted: false, last: 41 } } : {}) } as HandleSummary['response'],
  applied: 1, duplicates: 2, failed: 3, refused,
});
const variants = [
  requestLine(batch(), summary(false), 1.4),
  requestLine(batch({ start: true }), summary(false), 2.6, 0.4),
  requestLine(batch({ after: 40 }), summary(true), 3, 1),
];
const named = new Set(REDACT.flatMap((path) => path.split('.')).filter((part) => part !== '*'));

t.test('every field of the request line is a primitive under a key no redaction path names', async (t) => {
  for (const fields of variants) {
    for (const [key, value] of Object.entries(fields)) {
      t.notOk(named.has(key), `${key} is not named by REDACT`);
      t.ok(value === null || value === undefined || ['string', 'number', 'boolean'].includes(typeof value), `${key} is a primitive`);
    }
  }
  t.match(variants[2], { chain: 'after', refused: true, last: 41, sync_ms: 1, ms: 3 });
});

t.test('the unredacted child writes what the redacting logger writes', async (t) => {
  const { log, lines } = capturingLogger();
  const plain = log.child({}, { redact: [] });
  for (const fields of variants) {
    log.info(fields, 'request handled');
    plain.info(fields, 'request handled');
  }
  t.equal(lines.length, 6);
  for (let i = 0; i < lines.length; i += 2) {
    const { time: _a, ...redacted } = lines[i]!;
    const { time: _b, ...unredacted } = lines[i + 1]!;
    t.same(unredacted, redacted);
  }
  // And the child does not redact: which is why only requestLine's fields may go through it.
  plain.info({ token: 'secret' }, 'x');
  t.equal(lines.at(-1)!.token, 'secret');
});
