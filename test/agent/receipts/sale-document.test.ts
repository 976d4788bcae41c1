// A sale's receipt rebuilt from the till's records (receipt preview): the pure document builder,
// and the read-only reader against a real SQLite file written by the real outbox.
import t from 'tap';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDb } from '../../../agent/storage/db.ts';
import { Outbox, type OutboxRow } from '../../../agent/upstream/outbox.ts';
import { saleDocument } from '../../../agent/receipts/sale-document.ts';
import { readTxnRecords } from '../../../agent/receipts/txn-records.ts';
import { tempDir } from '../../helpers/tmp.ts';

const row = (over: Partial<OutboxRow>): OutboxRow => ({
  seq: 1, id: 'm1', op: 'award', txn_id: 'sale-1', fingerprint: 'f', customer_id: 'P-1001', payload: {}, offline: false,
  amount: null, currency: 'EUR', state: 'done', attempts: 1, result: null, error: null,
  created_at: '2026-11-24T08:00:00.000Z', updated_at: '2026-11-24T08:00:01.000Z', ...over,
});

const basket = {
  currency: 'EUR', total: 420, tax_total: 38,
  items: [{ sku: '4006381333931', name: 'Espresso', qty: 2, unit_price: 160, amount: 320 }, { sku: 'SKU-2', qty: 1, unit_price: 150, amount: 150 }],
  discounts: [{ code: 'STAFF', amount: 50 }],
};

t.test('the award basket becomes the document: names (or SKUs), qty, discounts with a subtotal, tax', async (t) => {
  t.equal(saleDocument([], ['H']), null, 'no records: unknown sale');
  t.same(saleDocument([row({ payload: { customer_id: 'P-1001', basket } })], ['Shop']), {
    currency: 'EUR',
    header: ['Shop'],
    items: [{ name: 'Espresso', qty: 2, amount: 320, sku: '4006381333931' }, { name: 'SKU-2', qty: 1, amount: 150, sku: 'SKU-2' }],
    subtotal: 470,
    discounts: [{ name: 'STAFF', amount: 50 }],
    taxes: [{ name: 'Tax', amount: 38 }],
    total: 420,
    payments: [],
    footer: ["Preview from the till's records"],
  });
  const spendOnly = saleDocument([row({ op: 'spend', amount: 200, currency: 'GBP' })], ['Shop']);
  t.match(spendOnly, { currency: 'GBP', items: [], total: 0, footer: ['No basket recorded for this sale', "Preview from the till's records"] });
});

t.test('a return (receipt preview --txn REFUND_ID) shows the lines that came back, negative, and their total', async (t) => {
  const payload = { sale_txn_id: 'sale-1', customer_id: 'P-1001', currency: 'JPY', items: [{ sku: 'GYOZA', qty: 1, amount: 390 }, { sku: 'TEA', qty: 2, amount: 600 }] };
  t.same(saleDocument([row({ op: 'refund', txn_id: 'ret-1', currency: 'JPY', payload })], ['Shop']), {
    currency: 'JPY',
    header: ['Shop'],
    items: [{ name: 'GYOZA', qty: 1, amount: -390, sku: 'GYOZA' }, { name: 'TEA', qty: 2, amount: -600, sku: 'TEA' }],
    discounts: [],
    taxes: [],
    total: -990,
    payments: [],
    footer: ['Return of sale sale-1', "Preview from the till's records"],
  });
});

t.test('readTxnRecords reads rows and the cached name without changing the file', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  const db = openDb(file);
  const outbox = new Outbox(db);
  await outbox.append({ id: 'a1', op: 'award', txn_id: 'sale-9', fingerprint: 'f', customer_id: 'alice', payload: { customer_id: 'alice', basket },
    offline: false, amount: null, currency: 'EUR', created_at: new Date().toISOString() });
  db.prepare(`INSERT INTO customers (id, name, tier, balance_amount, currency, as_of, seen_at) VALUES ('alice', 'Alice Martin', NULL, 0, 'EUR', 'x', 'x')`).run();
  db.close();
  const hash = async () => createHash('sha256').update(await readFile(file)).digest('hex');
  const before = await hash();
  const records = readTxnRecords(file, 'sale-9');
  t.match(records, { rows: [{ id: 'a1', op: 'award', state: 'pending', offline: false, payload: { basket: { total: 420 } } }], customerName: 'Alice Martin' });
  t.same(readTxnRecords(file, 'other'), { rows: [] });
  t.equal(await hash(), before, 'the database file is unchanged');
  t.throws(() => readTxnRecords(join(file, '..', 'missing.db'), 'sale-9'), 'a missing file is an error, not a new database');
});
