// Per-till order of pipelined (chained) requests at the host, with two host services on one
// real store (SQLite file; PostgreSQL in test/host/postgres/) as two host processes would be: a batch that arrives before its predecessor,
// twice, or after a transient failure of its predecessor is not applied out of order or twice.
import t, { type Test } from 'tap';
import type { Ledger } from '../../host/ledger.ts';
import { silentLogger } from '../../runtime/log.ts';
import { decodeRequest } from '../../host/request.ts';
import { HostService } from '../../host/service.ts';
import type { Chain, UpstreamMessage, UpstreamResponse } from '../../protocol/upstream.ts';
import { award, basket, request, seededLedger } from '../helpers/host-fixtures.ts';

const SETTINGS = { timezone: 'UTC', reduction: 'front_end' as const, default_product: { sku: 'UNKNOWN', name: 'Unknown product' } };

async function twoHosts(t: Test) {
  const { ledger, store } = await seededLedger(t);
  const other = store.openAgain();
  const hosts = [ledger, other].map((l) => new HostService(l, SETTINGS, silentLogger()));
  /** Sends a chained request through the real decoder to host `h`. */
  const send = (h: number, messages: UpstreamMessage[], chain?: Chain): UpstreamResponse => {
    const decoded = decodeRequest(JSON.stringify({ ...request(messages), ...(chain ? { chain } : {}) }));
    if (decoded.kind !== 'batch') throw new Error(`not a batch: ${decoded.errors.join('; ')}`);
    return hosts[h]!.handle(decoded.batch).response;
  };
  return { ledger, store, send };
}

/** Awards of 100 (10 back each) for P3, numbered from `from`, with seqs equal to their number. */
function awards(from: number, count: number, tag = 'txn'): UpstreamMessage[] {
  return Array.from({ length: count }, (_, i) => ({ ...award('P3', basket([['COFFEE', 100]]), `${tag}-${from + i}`), seq: from + i }));
}

/** txn ids of the award entries in the order the ledger applied them. */
function appliedOrder(ledger: Ledger): string[] {
  return ledger.entries('P3').filter((e) => e.kind === 'award').map((e) => e.txn_id ?? '');
}

t.test('chained batches on two hosts apply in order; one that comes early is refused, then accepted', async (t) => {
  const { ledger, send } = await twoHosts(t);
  const first = send(0, awards(1, 3), { start: true });
  t.same(first.chain, { accepted: true, last: 3 }, 'start batch applied, last seq 3');
  t.ok(first.results.every((r) => r.ok));

  // Batch 3 (after 6) reaches host 1 before batch 2 (after 3) was processed anywhere.
  const early = send(1, awards(7, 3), { after: 6 });
  t.same(early, { ...early, results: [], chain: { accepted: false, last: 3 } }, 'refused: no results, the host says where it is');
  t.same(appliedOrder(ledger), ['txn-1', 'txn-2', 'txn-3'], 'nothing of the early batch applied');

  t.same(send(0, awards(4, 3), { after: 3 }).chain, { accepted: true, last: 6 }, 'batch 2 on host 0');
  t.same(send(1, awards(7, 3), { after: 6 }).chain, { accepted: true, last: 9 }, 'batch 3 resent, now on host 1');
  t.same(appliedOrder(ledger), Array.from({ length: 9 }, (_, i) => `txn-${i + 1}`), 'applied in seq order');
  t.equal(ledger.wallet('P3')?.balance, 90, 'each once');
});

t.test('a duplicated batch is not applied twice, chained or resent as a start batch', async (t) => {
  const { ledger, send } = await twoHosts(t);
  send(0, awards(1, 2), { start: true });
  const once = send(1, awards(3, 2), { after: 2 });
  t.same(once.chain, { accepted: true, last: 4 });
  const twice = send(0, awards(3, 2), { after: 2 });
  t.same(twice.chain, { accepted: false, last: 4 }, 'the same chained batch again is refused');
  t.same(twice.results, []);
  // After a go-back the till resends from its first unsettled row as a start batch.
  const again = send(0, awards(1, 6), { start: true });
  t.same(again.chain, { accepted: true, last: 6 });
  const results = (r: UpstreamResponse) => r.results.map((x) => x.ok && x.result);
  t.same(results(again).slice(2, 4), results(once), 'repeats answered with the stored results');
  t.same(appliedOrder(ledger), Array.from({ length: 6 }, (_, i) => `txn-${i + 1}`), 'repeats answered from storage, only 5 and 6 applied');
  t.equal(ledger.wallet('P3')?.balance, 60);
});

t.test('a transient failure mid-batch: the chain stops at the last processed message', async (t) => {
  const { ledger, store, send } = await twoHosts(t);
  // A storage fault on one purchase (rolled back, INTERNAL, permanent: false).
  const repair = await store.failEntries('txn-3');
  const r = send(0, awards(1, 4), { start: true });
  t.same(r.results.map((x) => x.ok), [true, true, false], 'stopped at txn-3');
  t.match(r.results[2], { ok: false, error: { code: 'INTERNAL', permanent: false } });
  t.same(r.chain, { accepted: true, last: 2 }, 'last is the message before the failure');
  t.same(send(1, awards(5, 2), { after: 4 }).chain, { accepted: false, last: 2 }, 'the batch pipelined behind it is refused');
  await repair();
  t.same(send(1, awards(3, 4), { after: 2 }).chain, { accepted: true, last: 6 }, 'the till resends from the gap');
  t.same(appliedOrder(ledger), ['txn-1', 'txn-2', 'txn-3', 'txn-4', 'txn-5', 'txn-6']);
});

t.test('a permanent refusal counts as processed; the chain goes on', async (t) => {
  const { send } = await twoHosts(t);
  const stranger = { ...award('NOBODY', basket([['COFFEE', 100]]), 'txn-2'), seq: 2 };
  const r = send(0, [awards(1, 1)[0]!, stranger, awards(3, 1)[0]!], { start: true });
  t.same(r.results.map((x) => x.ok), [true, false, true]);
  t.same(r.chain, { accepted: true, last: 3 });
  t.same(send(1, awards(4, 1), { after: 3 }).chain, { accepted: true, last: 4 });
});

t.test('a chained request without seqs, or with seqs out of order, is a BAD_REQUEST and applies nothing', async (t) => {
  const { ledger, send } = await twoHosts(t);
  const noSeq = awards(1, 2).map(({ seq: _seq, ...m }) => m as UpstreamMessage);
  const a = send(0, noSeq, { start: true });
  t.same(a.results.map((r) => !r.ok && r.error.code), ['BAD_REQUEST', 'BAD_REQUEST']);
  t.equal(a.chain, undefined);
  const backwards = awards(1, 2).reverse();
  t.same(send(0, backwards, { start: true }).results.map((r) => !r.ok && r.error.permanent), [true, true]);
  t.same(send(0, awards(1, 2), { after: 5 }).results.map((r) => !r.ok && r.error.code), ['BAD_REQUEST', 'BAD_REQUEST'], 'seqs not after chain.after');
  t.same(appliedOrder(ledger), []);
});

t.test('requests without chain (a till that does not pipeline) are applied as before and leave no chain', async (t) => {
  const { ledger, send } = await twoHosts(t);
  const r = send(1, awards(5, 2));
  t.equal(r.chain, undefined);
  t.ok(r.results.every((x) => x.ok));
  t.equal(ledger.chainLast('M1/S1/T1'), null);
});
