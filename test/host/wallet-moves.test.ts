// The SQLite ledger writes a transaction's wallet moves once per wallet (ledger.ts flushWallets),
// its balances checked and kept in the transaction's cache meanwhile: whatever a batch does —
// several entries per wallet, a failing message rolled back to its savepoint, a wallet created
// mid-batch — the committed `wallets` row equals its opening balance plus its entries, and the
// balances answered are the committed ones.
import t from 'tap';
import Database from 'better-sqlite3';
import type { UpstreamRequest } from '../../protocol/upstream.ts';
import { silentLogger } from '../../runtime/log.ts';
import { HostService } from '../../host/service.ts';
import { TEST_STORE, award, basket, request, seededLedger, spend, voidTxn } from '../helpers/host-fixtures.ts';

const SETTINGS = { timezone: 'UTC', reduction: 'front_end' as const, default_product: { sku: 'UNKNOWN', name: 'Unknown product' } };

t.test('wallets hold their opening balance plus their entries after batches with failures in them', { skip: TEST_STORE === 'postgres' && 'SQLite store only' }, async (t) => {
  const { ledger, file } = await seededLedger(t);
  const service = new HostService(ledger, SETTINGS, silentLogger());
  const handle = (req: UpstreamRequest) => service.handle({
    request_id: req.request_id, reply_to: req.reply_to, source: req.source, items: req.messages.map((message) => ({ ok: true, message })),
  }).response.results;
  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  const table = (participant: string) => (db.prepare("SELECT balance FROM wallets WHERE participant_id = ? AND currency = 'EUR'").get(participant) as { balance: number }).balance;
  const fromEntries = (participant: string) => (db.prepare("SELECT coalesce(sum(amount), 0) AS s FROM entries WHERE participant_id = ? AND currency = 'EUR'").get(participant) as { s: number }).s;

  // One batch: two customers, several entries each, and a message that fails in the middle (the
  // batch is rolled back and run again with a savepoint per message).
  const results = handle(request([
    award('P1', basket([['COFFEE', 1000]]), 'txn-1'),
    award('P2', basket([['COFFEE', 2000]]), 'txn-2'),
    spend('P1', 300, 'txn-3'),
    voidTxn('txn-unknown'),
    award('P1', basket([['CROISSANT', 500]]), 'txn-4'),
    spend('P2', 100, 'txn-5'),
  ]));
  t.same(results.map((r) => r.ok), [true, true, true, false, true, true], 'the unknown void alone fails');
  for (const participant of ['P1', 'P2', 'P3']) {
    t.equal(table(participant), fromEntries(participant), `${participant}: the wallet row is its entries' sum`);
  }
  const last = results.at(-1);
  t.match(last, { ok: true, result: { balance: { amount: table('P2') } } }, 'the balance answered is the committed one');
  const p1 = results[4];
  t.match(p1, { ok: true, result: { balance: { amount: table('P1') } } });

  // One more batch, on the balances the first left.
  const again = handle(request([spend('P1', 50, 'txn-6'), award('P1', basket([['COFFEE', 100]]), 'txn-7')]));
  t.same(again.map((r) => r.ok), [true, true]);
  t.equal(table('P1'), fromEntries('P1'), 'P1 after a second batch');
  t.match(again[1], { ok: true, result: { balance: { amount: table('P1') } } });
});
