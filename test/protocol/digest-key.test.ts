// The keys the till derives and sends upstream as a message's txn_id (a named spend's, a voucher
// redemption's) must pass the host's check of txn_id: no card number in it (protocol/pan.ts). As
// hex digests about one in a thousand held 13–19 digits that read as one, and the host refused that
// spend or redemption for good (CI 2026-12-03: e2e/voucher-only-void failed on such a key).
import t from 'tap';
import { legacyRedemptionKey, redemptionKey } from '../../protocol/credit.ts';
import { containsPan } from '../../protocol/pan.ts';
import { legacySpendKey, spendKey, upstreamMessageSchema } from '../../protocol/upstream.ts';

const N = 20_000;

t.test('no derived key holds a digit, so none reads as a card number; the legacy hex keys did', async (t) => {
  let legacyPans = 0;
  let firstLegacyPan: { sale: string; spend: string } | undefined;
  for (let i = 0; i < N; i++) {
    const sale = `sale-${i}`;
    const spend = `s${i % 7}`;
    for (const key of [spendKey(sale, spend), redemptionKey(sale, `RV-7K2M9Q4T8B3D`)]) {
      if (/\d/.test(key.slice(3)) || containsPan(key)) t.fail(`${key} holds a digit`);
    }
    if (containsPan(legacySpendKey(sale, spend)) || containsPan(legacyRedemptionKey(sale, 'RV-7K2M9Q4T8B3D'))) {
      legacyPans++;
      firstLegacyPan ??= { sale, spend };
    }
  }
  t.ok(legacyPans > 0, `${legacyPans} of ${2 * N} legacy hex keys read as a card number (the defect)`);
  const { sale, spend } = firstLegacyPan!;
  t.match(spendKey(sale, spend), /^sp-[a-p]{32}$/, 'the same 32 characters, hex digits as letters');
  t.not(spendKey(sale, spend), legacySpendKey(sale, spend));
  t.equal(spendKey(sale, spend), spendKey(sale, spend), 'deterministic');
});

t.test('a named spend message with such a key passes the upstream schema the host validates with', async (t) => {
  // Find a sale whose legacy key is refused, to show the message the host refused and the one it takes.
  let sale = '';
  for (let i = 0; !sale; i++) if (containsPan(legacySpendKey(`s-${i}`, 'a'))) sale = `s-${i}`;
  const message = (txnId: string) => ({
    id: '01a23cbd-7952-760a-86ef-4aca282ff966', op: 'spend', txn_id: txnId, created_at: '2026-12-03T16:00:00Z',
    payload: { customer_id: 'alice', amount: 100, currency: 'EUR', offline: true, sale_txn_id: sale, spend_id: 'a' },
  });
  t.notOk(upstreamMessageSchema.safeParse(message(legacySpendKey(sale, 'a'))).success, 'the hex key: refused (txn_id "must not contain a payment card number")');
  t.ok(upstreamMessageSchema.safeParse(message(spendKey(sale, 'a'))).success, 'the key as written now: taken');
});
