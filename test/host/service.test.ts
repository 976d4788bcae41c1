// The host service against a real ledger (SQLite; test/host/postgres/ runs it on PostgreSQL): ops, dedup, savepoints, void.
import t, { type Test } from 'tap';
import {
  awardResultSchema, identifyResultSchema, previewResultSchema, spendResultSchema, voidResultSchema,
  type UpstreamRequest, type UpstreamResult,
} from '../../protocol/upstream.ts';
import type { Ledger } from '../../host/ledger.ts';
import { createLogger, silentLogger } from '../../runtime/log.ts';
import { DeferredLog } from '../../host/op-log.ts';
import type { Batch } from '../../host/batch.ts';
import { decodeRequest } from '../../host/request.ts';
import { HostService } from '../../host/service.ts';
import { SOURCE, TEST_SEED, award, basket, message, request, seededLedger, spend, voidTxn, writeSeed } from '../helpers/host-fixtures.ts';
import { tempDir } from '../helpers/tmp.ts';
import { applySeed, loadSeedFile } from '../../host/seed.ts';

const SETTINGS = { timezone: 'UTC', reduction: 'front_end' as const, default_product: { sku: 'UNKNOWN', name: 'Unknown product' } };

function asBatch(req: UpstreamRequest): Batch {
  return { request_id: req.request_id, reply_to: req.reply_to, source: req.source, items: req.messages.map((message) => ({ ok: true, message })) };
}

async function setup(t: Test) {
  const { ledger, store } = await seededLedger(t);
  const service = new HostService(ledger, SETTINGS, silentLogger());
  const run = (req: UpstreamRequest) => service.handle(asBatch(req)).response.results;
  const one = (req: UpstreamRequest) => {
    const [r] = run(req);
    if (!r) throw new Error('no result');
    return r;
  };
  return { ledger, store, service, run, one };
}

function ok(t: Test, r: UpstreamResult): Record<string, unknown> {
  if (!r.ok) {
    t.fail(`expected ok, got ${r.error.code}: ${r.error.message}`);
    return {};
  }
  return r.result;
}

const balanceOf = (ledger: Ledger, id: string) => ledger.wallet(id)?.balance;

function checkInvariant(t: Test, ledger: Ledger) {
  for (const id of ['P1', 'P2', 'P3', 'P4']) {
    const sum = ledger.entries(id).reduce((s, e) => s + e.amount, 0);
    t.equal(balanceOf(ledger, id), sum, `${id}: wallet balance equals the sum of its ledger entries`);
  }
}

t.test('identify normalises identifiers and never finds strangers', async (t) => {
  const { one } = await setup(t);
  for (const [by, value] of [['card', '6006-4912-3456-7890'], ['card', '6006491234567890'], ['phone', '+33 (6) 12.34.56.78'], ['email', '  ALICE@example.COM '], ['token', 'tok_alice']] as const) {
    const r = ok(t, one(request([message('identify', { by, value })])));
    t.ok(identifyResultSchema.safeParse(r).success);
    // currencies: the basket currencies the host accepts (here those of the seed's money wallets).
    t.same(r, { customer: { id: 'P1', name: 'Alice', tier: 'gold', balance: { amount: 1000, currency: 'EUR' } }, offers: [], currencies: ['EUR', 'USD'] }, `${by} ${value}`);
  }
  const miss = one(request([message('identify', { by: 'token', value: 'TOK_ALICE' })]));
  t.match(miss, { ok: false, error: { code: 'NOT_FOUND', permanent: true } }, 'tokens are case sensitive');
  t.notMatch(JSON.stringify(miss), /TOK_ALICE/, 'the identifier value is not echoed');
});

t.test('identify by phone: "0033 6…", "+33 (0)6…" and "+33 6…" are one number (protocol/LOCAL.md, "Identifying a customer")', async (t) => {
  const { one, ledger } = await setup(t);
  for (const value of ['0033 6 12 34 56 78', '00 33 612 345 678', '+33 (0)6 12 34 56 78', '(+33) 6 12 34 56 78', '0033 (0)6 12 34 56 78', '+33612345678']) {
    t.match(one(request([message('identify', { by: 'phone', value })])), { ok: true, result: { customer: { id: 'P1' } } }, value);
  }
  for (const value of ['06 12 34 56 78', '33 6 12 34 56 78', '+44 6 12 34 56 78']) {
    t.match(one(request([message('identify', { by: 'phone', value })])), { ok: false, error: { code: 'NOT_FOUND' } }, `${value}: another number`);
  }
  // A ledger seeded before: its "0039 …" phone was kept as the digits, "0039…".
  ledger.insertIdentifier('phone', '00393471234567', 'P3');
  t.match(one(request([message('identify', { by: 'phone', value: '0039 347 123 4567' })])), { ok: true, result: { customer: { id: 'P3' } } }, 'a phone kept under its old key');
});

t.test('preview computes without applying anything', async (t) => {
  const { one, ledger } = await setup(t);
  const r = ok(t, one(request([message('preview', { customer_id: 'P1', basket: basket([['CROISSANT', 200], ['COFFEE', 800]]) })])));
  t.ok(previewResultSchema.safeParse(r).success);
  t.match(r, { award_amount: 100 + 50, instant_spend_amount: 50, spendable_amount: 950, balance: { amount: 1000 } });
  t.equal(balanceOf(ledger, 'P1'), 1000);
  t.equal(ledger.entries('P1').length, 1, 'only the seed entry');
});

t.test('award writes award, instant and automatic spend entries', async (t) => {
  const { one, ledger } = await setup(t);
  const r = ok(t, one(request([award('P2', basket([['CROISSANT', 200], ['MYSTERY', 800]]), 'txn-1')])));
  t.ok(awardResultSchema.safeParse(r).success);
  // 10% of 1000 + 50 instant; payable 950; automatic min(500, 950) = 500
  t.match(r, { award_amount: 150, instant_spend_amount: 50, automatic_spend_amount: 500, total_spend_amount: 550, balance: { amount: 100 }, unknown_skus: ['MYSTERY'] });
  t.same(ledger.entries('P2').map((e) => [e.kind, e.amount, e.terminal, e.txn_id]), [
    ['seed', 500, null, null],
    ['award', 150, 'M1/S1/T1', 'txn-1'],
    ['instant_spend', -50, 'M1/S1/T1', 'txn-1'],
    ['automatic_spend', -500, 'M1/S1/T1', 'txn-1'],
  ]);
  checkInvariant(t, ledger);
});

t.test('unknown customer, other currency and missing txn_id are permanent errors that do not stop the batch', async (t) => {
  const { run, ledger } = await setup(t);
  const results = run(request([
    award('NOBODY', basket([['COFFEE', 100]]), 'txn-a'),
    award('P4', basket([['COFFEE', 100]]), 'txn-b'),
    message('award', { customer_id: 'P1', basket: basket([['COFFEE', 100]]) }, { txn_id: null }),
    spend('P1', 10, 'txn-c', false, 'USD'),
    award('P1', basket([['COFFEE', 1000]]), 'txn-d'),
  ]));
  t.match(results.map((r) => (r.ok ? 'ok' : `${r.error.code}:${r.error.permanent}`)), ['NOT_FOUND:true', 'BAD_REQUEST:true', 'BAD_REQUEST:true', 'BAD_REQUEST:true', 'ok']);
  t.equal(balanceOf(ledger, 'P1'), 1100);
  t.equal(balanceOf(ledger, 'P4'), 100);
});

t.test('dedup by message id and by (terminal, op, txn_id)', async (t) => {
  const { one, run, ledger } = await setup(t);
  const req = request([award('P1', basket([['COFFEE', 1000]]), 'txn-1')]);
  const first = ok(t, one(req));
  const again = run(req);
  t.same(again, [{ id: req.messages[0]?.id, ok: true, result: first }], 'same message id: the stored result');
  const otherId = award('P1', basket([['COFFEE', 5000]]), 'txn-1');
  const r = one(request([otherId]));
  t.same(r, { id: otherId.id, ok: true, result: first }, 'same txn under another message id: the first result, answered under the new id');
  t.equal(balanceOf(ledger, 'P1'), 1100, 'applied once');
  const elsewhere = ok(t, one(request([award('P1', basket([['COFFEE', 1000]]), 'txn-1')], { ...SOURCE, terminal: 'T2' })));
  t.match(elsewhere, { balance: { amount: 1200 } }, 'the same txn id on another till is another purchase');
  const spendSameTxn = ok(t, one(request([spend('P1', 100, 'txn-1')])));
  t.match(spendSameTxn, { spent_amount: 100 }, 'another op on the same txn is not a duplicate');
  checkInvariant(t, ledger);
});

t.test('repeats inside one request are deduplicated too, with and without a failing message in it', async (t) => {
  // The batch's dedup rows may be read ahead and its records written at the end (PostgreSQL), and a
  // failing message makes the batch run again with a savepoint per message: neither may apply twice.
  for (const failing of [false, true]) {
    const { run, ledger } = await setup(t);
    const first = award('P1', basket([['COFFEE', 1000]]), 'txn-1');
    const renamed = award('P1', basket([['COFFEE', 5000]]), 'txn-1');
    const bad = award('NOBODY', basket([['COFFEE', 100]]), 'txn-x');
    const second = award('P1', basket([['COFFEE', 2000]]), 'txn-2');
    const results = run(request([first, ...(failing ? [bad] : []), first, renamed, second]));
    const codes = results.map((r) => (r.ok ? 'ok' : r.error.code));
    t.same(codes, failing ? ['ok', 'NOT_FOUND', 'ok', 'ok', 'ok'] : ['ok', 'ok', 'ok', 'ok'], `${failing ? 'with' : 'without'} a failing message`);
    const applied = results[0]?.ok ? results[0].result : undefined;
    const rest = results.filter((r) => r.ok).slice(1, 3);
    t.same(rest.map((r) => (r.ok ? r.result : undefined)), [applied, applied], 'the repeats get the first result');
    t.equal(balanceOf(ledger, 'P1'), 1000 + 100 + 200, 'txn-1 and txn-2 applied once each');
    checkInvariant(t, ledger);
  }
});

t.test('message-id dedup is per till: another till reusing a message id gets its own answer', async (t) => {
  const { one, ledger } = await setup(t);
  const mine = award('P1', basket([['COFFEE', 1000]]), 'txn-a', 'shared-id');
  const first = ok(t, one(request([mine])));
  t.match(first, { balance: { amount: 1100 } });
  // Till T2 sends the same message id (guessed or copied) for its own purchase by Bruno.
  const T2 = { ...SOURCE, terminal: 'T2' };
  const theirs = award('P2', basket([['COFFEE', 2000]]), 'txn-b', 'shared-id');
  const r = ok(t, one(request([theirs], T2, 'till/v1/M1/S1/T2/res')));
  t.notSame(r, first, 'not T1\'s stored result');
  t.notMatch(JSON.stringify(r), /"amount":1100/, 'T1\'s customer balance is not disclosed');
  t.match(r, { award_amount: 200 }, 'T2\'s award is applied');
  t.equal(balanceOf(ledger, 'P1'), 1100, 'Alice untouched by T2');
  t.same(one(request([mine])), { id: 'shared-id', ok: true, result: first }, 'T1 resending still gets its own stored result');
  t.same(one(request([theirs], T2, 'till/v1/M1/S1/T2/res')), { id: 'shared-id', ok: true, result: r }, 'and T2 its own');
  checkInvariant(t, ledger);
});

t.test('online spend never goes below zero', async (t) => {
  const { one, ledger } = await setup(t);
  const r = ok(t, one(request([spend('P1', 1500, 'txn-1')])));
  t.ok(spendResultSchema.safeParse(r).success);
  t.same(r, { currency: 'EUR', spent_amount: 1000, balance: { amount: 0, currency: 'EUR' }, offline: false });
  t.match(ok(t, one(request([spend('P1', 10, 'txn-2')]))), { spent_amount: 0, balance: { amount: 0 } });
  t.equal(ledger.entries('P1').filter((e) => e.kind === 'spend').length, 1, 'no zero entries');
});

t.test('offline spend is applied as requested, may go negative, and is flagged', async (t) => {
  const { one, ledger } = await setup(t);
  const r = ok(t, one(request([spend('P3', 300, 'txn-1', true)])));
  t.same(r, { currency: 'EUR', spent_amount: 300, balance: { amount: -300, currency: 'EUR' }, offline: true });
  const [entry] = ledger.entries('P3').filter((e) => e.kind === 'spend');
  t.match(entry, { amount: -300, offline: true, txn_id: 'txn-1' });
  // A later purchase with automatic spend never spends a negative balance.
  t.match(ok(t, one(request([spend('P3', 10, 'txn-2')]))), { spent_amount: 0, balance: { amount: -300 } });
  checkInvariant(t, ledger);
});

t.test('an award for a sale this till voided is CONFLICT (permanent), nothing applied; the award before the void is still its dedup', async (t) => {
  const { one, run, ledger } = await setup(t);
  // A till replaced mid-sale: the new one's outbox does not have the void, the host does.
  ok(t, one(request([spend('P1', 200, 'sold')])));
  ok(t, one(request([voidTxn('sold')])));
  t.equal(balanceOf(ledger, 'P1'), 1000);
  const refused = { ok: false, error: { code: 'CONFLICT', permanent: true, message: /voided/ } };
  t.match(one(request([award('P1', basket([['COFFEE', 1000]]), 'sold')])), refused);
  t.equal(balanceOf(ledger, 'P1'), 1000, 'nothing awarded');
  // The void and the award in one batch (PostgreSQL: the void recorded in this transaction).
  const [v, a] = run(request([spend('P1', 100, 'sold-2'), voidTxn('sold-2'), award('P1', basket([['COFFEE', 1000]]), 'sold-2')])).slice(1);
  t.match(v, { ok: true });
  t.match(a, refused);
  t.equal(balanceOf(ledger, 'P1'), 1000);
  // An award applied before its sale's void, sent again (under another id): its stored result, not a refusal.
  const first = award('P1', basket([['COFFEE', 1000]]), 'sold-3');
  const r = ok(t, one(request([first])));
  ok(t, one(request([voidTxn('sold-3')])));
  t.same(one(request([{ ...first, id: 'again' }])), { id: 'again', ok: true, result: r });
  // Another till's void refuses nothing here.
  t.match(one(request([award('P1', basket([['COFFEE', 1000]]), 'sold')], { ...SOURCE, terminal: 'T9' })), { ok: true });
  checkInvariant(t, ledger);
});

t.test('void reverses the award and every spend of the txn; a second void is deduplicated', async (t) => {
  const { one, ledger } = await setup(t);
  ok(t, one(request([award('P2', basket([['CROISSANT', 200], ['COFFEE', 800]]), 'txn-1')])));
  // Offline (applied as the till approved it): online, the automatic spend left nothing to spend (sale-spend.test.ts).
  ok(t, one(request([spend('P2', 50, 'txn-1', true)])));
  t.equal(balanceOf(ledger, 'P2'), 500 + 150 - 50 - 500 - 50);
  const v = voidTxn('txn-1', 'customer changed mind');
  const r = ok(t, one(request([v])));
  t.ok(voidResultSchema.safeParse(r).success);
  t.same(r, { reversed_award_amount: 150, reversed_spend_amount: 600, currency: 'EUR', balance: { amount: 500, currency: 'EUR' } });
  t.equal(balanceOf(ledger, 'P2'), 500);
  const reversals = ledger.entries('P2').filter((e) => e.kind === 'reversal');
  t.equal(reversals.length, 4);
  t.ok(reversals.every((e) => e.note === 'customer changed mind' && e.reverses !== null));

  const second = voidTxn('txn-1');
  t.same(one(request([second])), { id: second.id, ok: true, result: r }, 'second void: the first void result, nothing reversed twice');
  t.equal(balanceOf(ledger, 'P2'), 500);
  t.match(one(request([voidTxn('txn-unknown')])), { ok: false, error: { code: 'NOT_FOUND', permanent: true } });
  t.match(one(request([voidTxn('txn-1')], { ...SOURCE, terminal: 'T9' })), { ok: false, error: { code: 'NOT_FOUND' } }, 'voids are per till');
  checkInvariant(t, ledger);
});

t.test('a sale awarded nothing is voided with nothing reversed, not refused as unknown', async (t) => {
  const { one, ledger } = await setup(t);
  t.match(ok(t, one(request([award('P3', basket([['COFFEE', 5]]), 'txn-small')]))), { award_amount: 0, instant_spend_amount: 0 });
  const r = ok(t, one(request([voidTxn('txn-small')])));
  t.ok(voidResultSchema.safeParse(r).success);
  t.same(r, { reversed_award_amount: 0, reversed_spend_amount: 0 });
  t.equal(ledger.entries('P3').filter((e) => e.kind === 'reversal').length, 0);
  t.match(one(request([voidTxn('txn-small')], { ...SOURCE, terminal: 'T9' })), { ok: false, error: { code: 'NOT_FOUND' } }, 'another till has no such sale');
  checkInvariant(t, ledger);
});

t.test('a sale whose offer redemptions were all reinstated is voided with nothing reversed, not refused as unknown', async (t) => {
  const { one, ledger } = await setup(t);
  // P3 (balance 0) gets a fixed-amount offer: its redemption writes no ledger entry of its own.
  const withOffer = TEST_SEED.replace('    balance: { amount: 0, currency: EUR }\n', `    balance: { amount: 0, currency: EUR }
    offers:
      - { id: UO-V, name: 1.00 off, amount: 100, currency: EUR }
`);
  t.match(applySeed(ledger, loadSeedFile(await writeSeed(await tempDir(t, 'till-host-offer-'), withOffer)), silentLogger()), { applied: true, user_offers_issued: 1 });
  const sale = basket([['COFFEE', 500]]);
  t.match(ok(t, one(request([message('redeem', { txn_id: 'sale-r', customer_id: 'P3', offer_id: 'UO-V', basket: sale }, { txn_id: 'red-1' })]))),
    { status: 'redeemed' });
  t.equal(ledger.userOffers.get('UO-V')?.state, 'redeemed');
  ok(t, one(request([message('reinstate', {}, { txn_id: 'red-1' })])));
  t.equal(ledger.userOffers.get('UO-V')?.state, 'issued', 'given back before the sale is cancelled');
  const r = ok(t, one(request([voidTxn('sale-r')])));
  t.ok(voidResultSchema.safeParse(r).success);
  t.same(r, { reversed_award_amount: 0, reversed_spend_amount: 0 });
  t.equal(ledger.userOffers.get('UO-V')?.state, 'issued', 'the void reinstates nothing twice');
  t.match(one(request([voidTxn('sale-r')], { ...SOURCE, terminal: 'T9' })), { ok: false, error: { code: 'NOT_FOUND' } }, 'another till has no such sale');
  t.match(one(request([voidTxn('sale-unknown')])), { ok: false, error: { code: 'NOT_FOUND' } }, 'a sale never seen stays unknown');
  checkInvariant(t, ledger);
});

t.test("a reinstate after its sale's award is CONFLICT, nothing applied: the sale's void gives the offer back; one applied before the award stays answered", async (t) => {
  const { one, run, ledger } = await setup(t);
  const withOffers = TEST_SEED.replace('    balance: { amount: 0, currency: EUR }\n', `    balance: { amount: 0, currency: EUR }
    offers:
      - { id: UO-A, name: 1.00 off, amount: 100, currency: EUR }
      - { id: UO-B, name: 0.50 off, amount: 50, currency: EUR }
`);
  t.match(applySeed(ledger, loadSeedFile(await writeSeed(await tempDir(t, 'till-host-offer-'), withOffers)), silentLogger()), { applied: true, user_offers_issued: 2 });
  const redeem = (redemption: string, offer: string, sale: string) =>
    message('redeem', { txn_id: sale, customer_id: 'P3', offer_id: offer, basket: basket([['COFFEE', 500]]) }, { txn_id: redemption });
  // The till's outbox no longer knows the award (replaced, restored from an older copy): the host decides.
  t.match(ok(t, one(request([redeem('red-a', 'UO-A', 'sale-a')]))), { status: 'redeemed', discount_amount: 100 });
  const awarded = ok(t, one(request([award('P3', { ...basket([['COFFEE', 500]]), total: 400, discounts: [{ code: 'UO-A', amount: 100 }] }, 'sale-a')])));
  const refused = { ok: false, error: { code: 'CONFLICT', permanent: true, message: /^redemption red-a: its sale sale-a was awarded with its discount.*void the sale/ } };
  t.match(one(request([message('reinstate', { reason: 'changed mind' }, { txn_id: 'red-a' })])), refused);
  t.equal(ledger.userOffers.get('UO-A')?.state, 'redeemed', 'the offer stays used: the awarded sale kept its discount');
  t.same(ledger.userOffers.issued('P3').map((o) => o.id), ['UO-B']);
  t.equal(ledger.processedByTxn(SOURCE.terminal, 'reinstate', 'red-a'), undefined, 'nothing recorded: not a result a repeat would get');
  // The sale's void cancels it whole: the award reversed and the offer given back. A reinstate then is answered as before.
  t.match(ok(t, one(request([voidTxn('sale-a')]))), { reversed_award_amount: awarded.award_amount, reinstated_offers: ['UO-A'] });
  t.equal(ledger.userOffers.get('UO-A')?.state, 'issued');
  t.same(ok(t, one(request([message('reinstate', {}, { txn_id: 'red-a' })]))), { offer_id: 'UO-A', reinstated_discount_amount: 100, currency: 'EUR' });
  t.equal(ledger.userOffers.get('UO-A')?.state, 'issued');

  // Reinstated before the award (the basket changed), then the award: a repeat of that reinstate, under another id, gets its first answer.
  t.match(ok(t, one(request([redeem('red-b', 'UO-B', 'sale-b')]))), { status: 'redeemed' });
  const first = message('reinstate', {}, { txn_id: 'red-b' });
  const before = ok(t, one(request([first])));
  ok(t, one(request([award('P3', basket([['COFFEE', 500]]), 'sale-b')])));
  t.same(one(request([{ ...first, id: 'again' }])), { id: 'again', ok: true, result: before });
  t.equal(ledger.userOffers.get('UO-B')?.state, 'issued');

  // The award and the reinstate in one batch (PostgreSQL: the award recorded in this transaction): refused too.
  t.match(ok(t, one(request([redeem('red-c', 'UO-B', 'sale-c')]))), { status: 'redeemed' });
  const [a, r] = run(request([award('P3', { ...basket([['COFFEE', 500]]), total: 450, discounts: [{ code: 'UO-B', amount: 50 }] }, 'sale-c'),
    message('reinstate', {}, { txn_id: 'red-c' })]));
  t.match(a, { ok: true });
  t.match(r, { ok: false, error: { code: 'CONFLICT', message: /sale sale-c was awarded/ } });
  t.equal(ledger.userOffers.get('UO-B')?.state, 'redeemed');
  checkInvariant(t, ledger);
});

t.test('ledger entries are append-only', async (t) => {
  const { store } = await setup(t);
  await t.rejects(store.exec('UPDATE entries SET amount = 0'), /append-only/);
  await t.rejects(store.exec('DELETE FROM entries'), /append-only/);
});

t.test('an unexpected failure rolls back that message only and stops the batch', async (t) => {
  const { run, ledger, store } = await setup(t);
  // Fault injection through the real database: the instant spend of txn-2 fails after
  // its award entry has been written, so the savepoint must undo that award too.
  const repair = await store.failEntries('txn-2', 'instant_spend');
  const results = run(request([
    award('P1', basket([['COFFEE', 1000]]), 'txn-1'),
    award('P1', basket([['CROISSANT', 200]]), 'txn-2'),
    award('P1', basket([['COFFEE', 1000]]), 'txn-3'),
  ]));
  t.equal(results.length, 2, 'no result for the message after the failure: the till resends it');
  t.match(results[0], { ok: true });
  t.match(results[1], { ok: false, error: { code: 'INTERNAL', permanent: false } });
  t.same(ledger.entries('P1').map((e) => e.txn_id), [null, 'txn-1'], 'txn-2 left nothing behind, txn-3 was not processed');
  t.equal(balanceOf(ledger, 'P1'), 1100);
  t.equal(ledger.processedByTxn('M1/S1/T1', 'award', 'txn-2'), undefined, 'the failure is not recorded as processed');

  await repair();
  const retry = run(request([award('P1', basket([['CROISSANT', 200]]), 'txn-2'), award('P1', basket([['COFFEE', 1000]]), 'txn-3')]));
  t.match(retry, [{ ok: true, result: { award_amount: 70, instant_spend_amount: 50 } }, { ok: true }], 'the resent messages apply');
  checkInvariant(t, ledger);
});

t.test('products.sync upserts products used by later awards', async (t) => {
  const { one, ledger } = await setup(t);
  const sync = message('products.sync', { products: [{ sku: 'MYSTERY', name: 'Now known', categories: ['hot-drinks'] }] });
  t.same(ok(t, one(request([sync]))), { accepted: 1 });
  t.same(ok(t, one(request([sync]))), { accepted: 1 }, 'deduplicated by message id');
  t.same([...ledger.productInfo(['MYSTERY', 'NOPE'])], [['MYSTERY', { categories: ['hot-drinks'] }]]);
  const r = ok(t, one(request([award('P1', basket([['MYSTERY', 100]]), 'txn-1')])));
  t.equal(r.unknown_skus, undefined);
});

t.test('decodeRequest: invalid messages get BAD_REQUEST, valid ones are processed', async (t) => {
  const { service, ledger } = await setup(t);
  const good = award('P1', basket([['COFFEE', 1000]]), 'txn-1');
  const req = request([good]);
  const raw = { ...req, messages: [{ id: 'bad-1', op: 'award', txn_id: 'x', created_at: 'yesterday', payload: {} }, good, { op: 'spend' }] };
  const decoded = decodeRequest(Buffer.from(JSON.stringify(raw)));
  if (decoded.kind !== 'batch') throw new Error(`expected a batch, got ${decoded.kind}`);
  t.equal(decoded.dropped, 1, 'a message without an id cannot be answered');
  const results = service.handle(decoded.batch).response.results;
  t.match(results, [{ id: 'bad-1', ok: false, error: { code: 'BAD_REQUEST', permanent: true, message: /messages\[0\]\.created_at/ } }, { id: good.id, ok: true }]);
  t.equal(balanceOf(ledger, 'P1'), 1100);

  const badEnvelope = decodeRequest(JSON.stringify({ ...req, v: 2 }));
  t.match(badEnvelope, { kind: 'reject', reply_to: req.reply_to, response: { request_id: req.request_id, results: [{ id: good.id, ok: false, error: { code: 'BAD_REQUEST', permanent: true } }] } });
  t.match(decodeRequest('{not json'), { kind: 'drop' });
  t.match(decodeRequest(JSON.stringify({ v: 1 })), { kind: 'drop' });
});

t.test('a batch run again after a failing message logs its lines once; a rolled-back message logs none', async (t) => {
  const { ledger } = await seededLedger(t);
  const lines: Array<{ msg: string }> = [];
  const logger = createLogger({ level: 'info', name: 'till-host' }, { write: (line: string) => { lines.push(JSON.parse(line) as { msg: string }); } });
  const service = new HostService(ledger, SETTINGS, logger);
  // The unknown SKU is logged by the award; the refund of an unknown sale then fails, so the
  // batch is rolled back and run again with a savepoint per message.
  const refundUnknown = message('refund', { sale_txn_id: 'nope', customer_id: null, currency: 'EUR', items: [{ sku: 'X', qty: 1, amount: 1 }] }, { txn_id: 'ret-x' });
  const results = service.handle(asBatch(request([award('P1', basket([['MYSTERY', 100]]), 'log-once'), refundUnknown]))).response.results;
  t.match(results, [{ ok: true }, { ok: false, error: { code: 'NOT_FOUND' } }]);
  t.equal(lines.filter((l) => l.msg === 'award with unknown SKUs').length, 1, 'the award\'s line once, not once per run');
  t.equal(lines.filter((l) => /message rejected/.test(l.msg)).length, 1, 'the refusal logged');

  const deferred = new DeferredLog();
  deferred.info({ a: 1 }, 'kept');
  const mark = deferred.mark();
  deferred.warn({ b: 2 }, 'rolled back');
  deferred.rollbackTo(mark);
  lines.length = 0;
  deferred.flushTo(logger);
  t.same(lines.map((l) => l.msg), ['kept']);
});

t.test('a redeem for a sale already awarded is CONFLICT, nothing applied: the offer stays in the wallet', async (t) => {
  const { one, ledger } = await setup(t);
  const withOffer = TEST_SEED.replace('    balance: { amount: 0, currency: EUR }\n', `    balance: { amount: 0, currency: EUR }
    offers:
      - { id: UO-L, name: 1.00 off, amount: 100, currency: EUR }
`);
  t.match(applySeed(ledger, loadSeedFile(await writeSeed(await tempDir(t, 'till-host-offer-'), withOffer)), silentLogger()), { applied: true, user_offers_issued: 1 });
  ok(t, one(request([award('P3', basket([['COFFEE', 500]]), 'sale-l')])));
  // A till before its own check committed it: the host refuses it for good (a dead letter there).
  t.match(one(request([message('redeem', { txn_id: 'sale-l', customer_id: 'P3', offer_id: 'UO-L', basket: basket([['COFFEE', 500]]) }, { txn_id: 'red-l' })])),
    { ok: false, error: { code: 'CONFLICT', permanent: true, message: /^sale sale-l is already awarded/ } });
  t.equal(ledger.userOffers.get('UO-L')?.state, 'issued', 'still in the wallet');
  t.equal(ledger.processedByTxn(SOURCE.terminal, 'redeem', 'red-l'), undefined, 'nothing recorded');
  checkInvariant(t, ledger);
});
