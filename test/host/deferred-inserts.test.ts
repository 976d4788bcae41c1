// The SQLite ledger holds a transaction's award entries back and inserts them many to a statement
// (ledger.ts bufferEntry/flushEntries, runtime/multi-row-insert.ts): whatever reads the ledger inside the
// batch must still see them, in the order they were appended, and a message rolled back to its
// savepoint must take its own with it.
import t from 'tap';
import Database from 'better-sqlite3';
import type { UpstreamMessage } from '../../protocol/upstream.ts';
import { silentLogger } from '../../runtime/log.ts';
import { HostService } from '../../host/service.ts';
import { TEST_STORE, award, basket, message, request, seededLedger, spend, voidTxn } from '../helpers/host-fixtures.ts';

const SETTINGS = { timezone: 'UTC', reduction: 'front_end' as const, default_product: { sku: 'UNKNOWN', name: 'Unknown product' } };
const sqliteOnly = { skip: TEST_STORE === 'postgres' && 'SQLite store only' };

/**
 * Batches whose handlers read what earlier messages of the batch appended: entries of a sale, its spends,
 * its basket. Apart, since a message that fails (a void finding nothing) makes its batch run again with a
 * savepoint per message, which writes the held-back entries before every message.
 */
function batches(): UpstreamMessage[][] {
  const many: UpstreamMessage[] = [];
  // Enough awards for every statement size (32, 8 and 1 rows) to be used.
  for (let i = 0; i < 45; i++) many.push(award(i % 2 ? 'P1' : 'P3', basket([['COFFEE', 100 + i], ['CROISSANT', 200]]), `sale-many-${i}`));
  many.push(spend('P3', 250, 'sale-many-44'));
  return [
    [
      award('P1', basket([['COFFEE', 1000], ['CROISSANT', 200]]), 'sale-1'), // an award and an instant spend
      spend('P1', 1100, 'sale-1'), // capped by the sale's own entries (host/sale.ts): 1,000, not 1,100
      message('refund', { sale_txn_id: 'sale-1', customer_id: 'P1', currency: 'EUR', items: [{ sku: 'COFFEE', qty: 1, amount: 1000 }] }, { txn_id: 'ret-1' }),
    ],
    [award('P2', basket([['COFFEE', 700]]), 'sale-2'), voidTxn('sale-2')], // the void reverses the entries of the award before it
    [
      award('P1', basket([['COFFEE', 1000], ['CROISSANT', 200]]), 'sale-3'),
      // The sale's instant spend counts as spent (credit-store.ts saleSpends), read before anything else wrote it.
      message('refund', { sale_txn_id: 'sale-3', customer_id: 'P1', currency: 'EUR', items: [{ sku: 'CROISSANT', qty: 1, amount: 200 }] }, { txn_id: 'ret-3' }),
    ],
    many,
  ];
}

async function run(t: Parameters<typeof seededLedger>[0], batches: UpstreamMessage[][]) {
  const { ledger, file } = await seededLedger(t);
  const service = new HostService(ledger, SETTINGS, silentLogger());
  const results = batches.flatMap((batch) => {
    const req = request(batch);
    return service.handle({ request_id: req.request_id, reply_to: req.reply_to, source: req.source, items: batch.map((m) => ({ ok: true, message: m })) })
      .response.results;
  });
  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  const entries = db.prepare(`SELECT seq, participant_id, terminal, txn_id, message_id, kind, amount, currency, offline, reverses, note
    FROM entries ORDER BY seq`).all();
  const wallets = db.prepare('SELECT participant_id, currency, balance FROM wallets ORDER BY participant_id, currency').all();
  return { results, entries, wallets };
}

/** A result without what differs from one run to the next (a refund's voucher codes, times). */
const comparable = (r: unknown) => JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'code' && typeof v === 'string' && v.startsWith('RV-') ? 'RV' : v)));

for (const failing of [false, true]) {
  t.test(`batches leave the entries, balances and answers that one batch per message leaves${failing ? ', a message failing in each' : ''}`, sqliteOnly, async (t) => {
    const all = batches();
    if (failing) for (const batch of all) batch.push(voidTxn('sale-unknown'));
    const together = await run(t, all);
    const apart = await run(t, all.flat().map((m) => [m]));
    t.equal(together.results.filter((r) => !r.ok).length, failing ? 4 : 0, failing ? 'the unknown voids alone fail' : 'none fails');
    t.same(together.results.map(comparable), apart.results.map(comparable), 'the same answers');
    t.same(together.entries, apart.entries, 'the same entries, in the same order (seq)');
    t.same(together.wallets, apart.wallets);
    t.ok(together.entries.length > 100, `${together.entries.length} entries`);
    t.match(together.results[1], { ok: true, result: { spent_amount: 1000 } }, 'the spend saw the entries of its sale, in its batch');
    t.match(together.results[2], { ok: true, result: { credited_spend_amount: 875 } }, 'the refund saw the sale and its spends, in its batch');
    const voided = together.results[failing ? 5 : 4];
    t.match(voided, { ok: true, result: { reversed_award_amount: 70 } }, 'the void found the award of its batch');
    t.match(together.results.at(failing ? -2 : -1), { ok: true, result: { spent_amount: 250 } });
  });
}

t.test('a message rolled back to its savepoint takes its held-back entries with it', sqliteOnly, async (t) => {
  const { ledger, file } = await seededLedger(t);
  const entry = (participant_id: string, amount: number, txn_id: string) => ({
    participant_id, terminal: 'M1/S1/T1', txn_id, message_id: `m-${txn_id}`, kind: 'award' as const, amount, currency: 'EUR',
  });
  ledger.immediate(() => {
    ledger.append(entry('P1', 10, 'kept-before'));
    t.throws(() => ledger.savepoint(() => {
      ledger.append(entry('P1', 20, 'rolled-back'));
      ledger.append(entry('P2', 30, 'rolled-back'));
      throw new Error('this message fails');
    }), /this message fails/);
    ledger.savepoint(() => ledger.append(entry('P2', 40, 'kept-after')));
    t.same(ledger.entries().filter((e) => e.kind === 'award').map((e) => e.txn_id), ['kept-before', 'kept-after'], 'read inside the transaction');
    ledger.append(entry('P1', 50, 'kept-last'));
  });
  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  t.same(db.prepare("SELECT txn_id, amount FROM entries WHERE kind = 'award' ORDER BY seq").all(), [
    { txn_id: 'kept-before', amount: 10 }, { txn_id: 'kept-after', amount: 40 }, { txn_id: 'kept-last', amount: 50 },
  ]);
  const balance = (p: string) => (db.prepare("SELECT balance FROM wallets WHERE participant_id = ? AND currency = 'EUR'").get(p) as { balance: number }).balance;
  t.equal(balance('P1'), 1000 + 10 + 50);
  t.equal(balance('P2'), 500 + 40);
});

t.test('a transaction that fails at its end inserts none of its held-back entries', sqliteOnly, async (t) => {
  const { ledger, file } = await seededLedger(t);
  t.throws(() => ledger.immediate(() => {
    ledger.append({ participant_id: 'P1', terminal: 'M1/S1/T1', txn_id: 'lost', message_id: 'm-lost', kind: 'award', amount: 10, currency: 'EUR' });
    throw new Error('the batch fails');
  }), /the batch fails/);
  ledger.immediate(() => {
    ledger.append({ participant_id: 'P1', terminal: 'M1/S1/T1', txn_id: 'next', message_id: 'm-next', kind: 'award', amount: 5, currency: 'EUR' });
  });
  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  t.same(db.prepare("SELECT txn_id FROM entries WHERE kind = 'award' ORDER BY seq").all(), [{ txn_id: 'next' }]);
});
