// protocol/fast-upstream.ts checks a request's datetimes with zod's own pattern (DATETIME_PATTERN),
// not through safeParse: the pattern must stay the one the schema's datetime check tests, and the
// fast path must accept exactly the datetimes upstreamRequestSchema accepts.
import t from 'tap';
import { z } from 'zod';
import { DATETIME_PATTERN, fastUpstreamRequest, fastUpstreamResponse } from '../../protocol/fast-upstream.ts';
import { upstreamRequestSchema, upstreamResponseSchema } from '../../protocol/upstream.ts';

const BASKET = {
  currency: 'EUR', total: 470,
  items: [{ sku: '4006381333931', name: 'Espresso', qty: 2, unit_price: 160, amount: 320 }, { sku: '3017620422003', name: 'Croissant', qty: 1, unit_price: 150, amount: 150 }],
};
const request = (sentAt: string, createdAt: string) => ({
  v: 1, request_id: 'r-1', reply_to: 'till/v1/M1/S1/T1/res', source: { merchant: 'M1', store: 'S1', terminal: 'T1' }, sent_at: sentAt,
  messages: [{ id: 'm-1', op: 'award', txn_id: 'sale-1', created_at: createdAt, payload: { customer_id: 'P-1001', basket: BASKET } }],
});
const VALID = '2026-11-24T08:00:03Z';

const CANDIDATES = [
  '2026-11-24T08:00:03.120Z', '2026-11-24T09:00:03+01:00', '2026-11-24T08:00:03Z', '2026-11-24T08:00:03.1234567-05:30',
  '2024-02-29T00:00:00Z', '2026-02-29T00:00:00Z', '2000-02-29T23:59:59Z', '1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z',
  '2026-11-24T24:00:00Z', '2026-11-24T08:60:00Z', '2026-11-24T08:00:03', '2026-11-24T08:00:03z', '2026-11-24 08:00:03Z',
  '2026-11-24T08:00:03+0100', '2026-11-24T08:00:03+24:00', '2026-11-24T08:00Z', '2026-11-24', '', ' 2026-11-24T08:00:03Z',
  '2026-11-24T08:00:03Z\n', '2026-11-24T08:00:03.Z', '+2026-11-24T08:00:03Z', '2026-11-24T08:00:03.120Zextra',
];

t.test("the pattern is the schema's datetime check's own", async (t) => {
  const check = (z.string().datetime({ offset: true }) as unknown as { _zod: { def: { checks: Array<{ _zod: { def: { pattern: RegExp } } }> } } })
    ._zod.def.checks[0]!._zod.def.pattern;
  t.equal(DATETIME_PATTERN.source, check.source);
  t.equal(DATETIME_PATTERN.flags, check.flags);
  t.notOk(DATETIME_PATTERN.global || DATETIME_PATTERN.sticky, 'no lastIndex state between tests');
});

t.test('sent_at, created_at and a response\'s at: accepted by the fast path exactly when the schema accepts them', async (t) => {
  let accepted = 0;
  for (const when of CANDIDATES) {
    for (const raw of [request(when, VALID), request(VALID, when)]) {
      const schemaOk = upstreamRequestSchema.safeParse(raw).success;
      if (schemaOk) accepted++;
      t.equal(fastUpstreamRequest(raw) !== undefined, schemaOk, `${JSON.stringify(when)} in ${raw.sent_at === when ? 'sent_at' : 'created_at'}`);
    }
    const response = { v: 1, request_id: 'r-1', at: when, results: [] };
    t.equal(fastUpstreamResponse(response) !== undefined, upstreamResponseSchema.safeParse(response).success, `at ${JSON.stringify(when)}`);
  }
  t.ok(accepted >= 10 && accepted < CANDIDATES.length * 2, `both sides reached (${accepted} of ${CANDIDATES.length * 2} accepted)`);
  t.ok(fastUpstreamRequest(request(VALID, VALID)), 'a valid award request takes the fast path');
});
