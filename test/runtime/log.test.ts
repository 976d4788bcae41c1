// One redaction list for the agent and the host: card data, contact details and secrets never
// reach a log line, whichever program logs them.
import t from 'tap';
import { capturingLogger } from '../helpers/log-capture.ts';

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
