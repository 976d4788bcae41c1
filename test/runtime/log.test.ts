// One redaction list for the agent and the host: card data, contact details and secrets never
// reach a log line, whichever program logs them.
import t from 'tap';
import { Writable } from 'node:stream';
import { capturingLogger } from '../helpers/log-capture.ts';
import { createLogger, isoTimestamp } from '../../runtime/log.ts';

t.test('card data, track data, phone, email and secrets are redacted; other fields are kept', async (t) => {
  const { log, lines } = capturingLogger();
  log.info({
    pan: '4111111111111111', track: '%B4111^X^?', tracks: ['a'], card: '4111', phone: '+35799123456', email: 'a@b.example',
    token: 't0k', password: 'pw', key: 'k', value: 'v', data: { data: 'scan' },
    customer: { phone: '+1', email: 'c@d.example', card: '5500', pan: '5500000000000004' },
    params: { value: 'P-1001' }, txn_id: 'sale-1',
  }, 'x');
  const line = lines[0]!;
  for (const k of ['pan', 'track', 'tracks', 'card', 'phone', 'email', 'token', 'password', 'key', 'value']) t.equal(line[k], '[redacted]', k);
  t.same(line.customer, { phone: '[redacted]', email: '[redacted]', card: '[redacted]', pan: '[redacted]' });
  t.same(line.params, { value: '[redacted]' });
  t.same(line.data, { data: '[redacted]' });
  t.equal(line.txn_id, 'sale-1');
});

t.test('a line\'s time is Date#toISOString of the moment it was written, where pino\'s isoTime puts it', async (t) => {
  const raw: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { raw.push(chunk.toString()); done(); } });
  const log = createLogger({ level: 'info' }, sink);
  const before = Date.now();
  log.info('first');
  log.info('second');
  const after = Date.now();
  t.equal(raw.length, 2);
  for (const text of raw) {
    const m = /^\{"level":"info","time":"([^"]+)","pid":\d+,"name":"till-agent","msg":"(first|second)"\}\n$/.exec(text);
    const time = m?.[1] ?? '';
    const ms = Date.parse(time);
    t.ok(m && ms >= before && ms <= after && new Date(ms).toISOString() === time, `${text.trim()} written in ${before}..${after}`);
  }
  t.match(isoTimestamp(), /^,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
});
