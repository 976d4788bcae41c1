// The keys the till derives and sends upstream as a message's txn_id (a named spend's, a voucher
// redemption's) must pass the host's check of txn_id: no card number in it (protocol/pan.ts). As
// hex digests about one in a thousand held 13–19 digits that read as one, and the host refused that
// spend or redemption for good (CI 2026-12-03: e2e/voucher-only-void failed on such a key).
import t from 'tap';
import { legacyRedemptionKey, redemptionKey } from '../../protocol/credit.ts';
import { opaqueId } from '../../protocol/digest-key.ts';
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

t.test('the ids the till makes up for the POS (sync_id, job_id) hold no digit; random UUIDs sometimes read as a card number', async (t) => {
  const ids = new Set<string>();
  for (let i = 0; i < N; i++) {
    const id = opaqueId();
    if (/\d/.test(id) || containsPan(id)) t.fail(`${id} holds a digit`);
    ids.add(id);
  }
  t.equal(ids.size, N, 'all different');
  t.match(opaqueId(), /^[a-p]{8}-[a-p]{4}-[a-p]{4}-[a-p]{4}-[a-p]{12}$/, "a UUID's shape, digits as letters");
  // A UUID whose digit groups read as a card (4326-8946-74840…): the POS's sync_id or job_id field refused it.
  t.ok(containsPan('3bc0fc25-248c-4326-8946-74840bbc50da'), 'such a UUID (randomUUID gave 2,679 in 2,000,000) reads as a card number');
});
