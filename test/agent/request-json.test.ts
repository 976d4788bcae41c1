// The request's JSON text with stored payload texts is JSON.stringify of the request, byte for byte.
import t from 'tap';
import { payloadJson, requestJson } from '../../agent/upstream/request-json.ts';
import { toMessage } from '../../agent/upstream/forwarder.ts';
import type { OutboxRow } from '../../agent/upstream/outbox.ts';
import type { UpstreamMessage, UpstreamRequest } from '../../protocol/upstream.ts';
import { join } from 'node:path';
import { openDb } from '../../agent/storage/db.ts';
import { Outbox } from '../../agent/upstream/outbox.ts';
import { tempDir } from '../helpers/tmp.ts';
import { message } from './outbox-contract.ts';

const head = (chain?: { id: string; after: number | null }): Omit<UpstreamRequest, 'messages'> => ({
  v: 1,
  request_id: '5d1b1c9e-2f0a-4d55-9a0e-5b1d3c1f0a77',
  reply_to: 'till/m/s/t/res',
  source: { merchant: 'm "1"', store: 's\\1', terminal: 'tërminal' },
  sent_at: '2026-12-01T14:00:00.000Z',
  ...(chain ? { chain } : {}),
} as Omit<UpstreamRequest, 'messages'>);

let seq = 0;
function row(payload: Record<string, unknown>, txnId: string | null = `txn-${seq + 1}`): OutboxRow {
  seq++;
  return {
    seq, id: `msg-${seq}`, op: 'award', txn_id: txnId, fingerprint: 'f', customer_id: 'c', payload, offline: false, amount: null,
    currency: 'EUR', state: 'pending', attempts: 0, result: null, error: null, created_at: '2026-12-01T14:00:00.000Z',
    updated_at: '2026-12-01T14:00:00.000Z', settled_at: null,
  };
}

const payloads = (): Array<Record<string, unknown>> => [
  { customer_id: 'c1', basket: { currency: 'EUR', total: 1234, items: [{ sku: 'A', qty: 1.5, amount: 1234, tax_included: true }], store: 's1' } },
  { customer_id: 'c-ü\u2028"\\\u0001', basket: { currency: 'PTS', total: 0, items: [], note: undefined, discounts: [] }, pos_reduced: false },
  { a: null, nested: { deep: [1, -2, 3e21, 0.1, { x: 'y' }] }, emoji: '😀', lone: '\ud800' },
  {},
];

t.test('stored payload texts give JSON.stringify of the request, byte for byte', async (t) => {
  for (const chain of [undefined, { id: 'chain-1', after: null }, { id: 'chain-2', after: 41 }]) {
    for (let n = 0; n <= 4; n++) {
      const rows = payloads().slice(0, n).map((p, i) => row(p, i === 1 ? null : `txn-${i}`));
      for (const r of rows) payloadJson(r.payload); // as the outbox's insert does
      const messages = rows.map(toMessage);
      const expected = JSON.stringify({ ...head(chain), messages });
      t.equal(requestJson(head(chain), messages), expected, `chain ${chain?.id ?? 'none'}, ${n} messages`);
    }
  }
});

t.test('a payload without a stored text, or a message of another shape, is stringified as before', async (t) => {
  const stored = row(payloads()[0]!);
  payloadJson(stored.payload);
  const fresh = row(payloads()[1]!); // read back from the file: no stored text
  const messages = [stored, fresh].map(toMessage);
  t.equal(requestJson(head(), messages), JSON.stringify({ ...head(), messages }));
  const { payload, ...rest } = toMessage(stored);
  const reordered = { payload, ...rest } as unknown as UpstreamMessage;
  const extra = { ...toMessage(stored), extra: 1 } as unknown as UpstreamMessage;
  for (const m of [reordered, extra]) t.equal(requestJson(head(), [m]), JSON.stringify({ ...head(), messages: [m] }));
});

t.test('payloadJson is JSON.stringify', async (t) => {
  for (const p of payloads()) t.equal(payloadJson(p), JSON.stringify(p));
});

t.test("the outbox's insert keeps its payload text: the request does not stringify the payload again", async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  let serialised = 0;
  const counted = { toJSON: () => { serialised++; return 'x'; } };
  const outcome = await outbox.append(message({ payload: { customer_id: 'c1', basket: counted } }));
  t.equal(outcome.kind, 'created');
  t.equal(serialised, 1, 'stringified once by the insert');
  const sent = outcome.row; // an early row is sent as appended (nextPending's fresh rows)
  const text = requestJson(head(), [toMessage(sent!)]);
  t.equal(serialised, 1, 'not again for the request');
  t.equal(text, JSON.stringify({ ...head(), messages: [toMessage(sent!)] }));
});

t.test("a backlog's rows read back from the file carry their stored text into the request", async (t) => {
  const file = join(await tempDir(t), 'agent.db');
  const db = openDb(file);
  t.teardown(() => db.close());
  const first = new Outbox(db);
  await first.append(message({ txn_id: 'txn-kept', payload: { customer_id: 'c1', basket: { total: 1, items: [] } } }));
  await first.append(message({ txn_id: 'txn-withheld', payload: { customer_id: 'c2', basket: { total: 2, items: [] } } }));
  // The same JSON value in other bytes: a request made by stringifying the payload again would not have them.
  const spaced = '{ "customer_id" : "c1", "basket" : { "total" : 1, "items" : [ ] } }';
  db.prepare('UPDATE outbox SET payload = ? WHERE txn_id = ?').run(spaced, 'txn-kept');
  const reopened = new Outbox(db); // nothing fresh in memory: nextPending reads the rows from the file
  const withheld = reopened.findByTxn('award', 'txn-withheld')!;
  reopened.withholdReductions(withheld.id); // SQLite's json_set rewrites that payload's text
  const rows = reopened.nextPending(10);
  t.equal(rows.length, 2);
  const messages = rows.map(toMessage);
  const text = requestJson(head(), messages);
  t.ok(text.includes(`"payload":${spaced}`), 'the stored text as it is');
  t.same(JSON.parse(text), JSON.parse(JSON.stringify({ ...head(), messages })), 'the same JSON value as the request stringified');
  t.equal(((JSON.parse(text) as UpstreamRequest).messages[1]!.payload as Record<string, unknown>).pos_reduced, false, "the withheld payload as SQLite rewrote it");
});
