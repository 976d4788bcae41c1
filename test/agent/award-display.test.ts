// The customer display follows an award (agent/ops/display.ts followSale): ops/index.ts dispatch hands
// an award's promise on as it is and award() has the display follow the sale itself, once, with the
// answer the POS gets; a refused award shows nothing.
import t from 'tap';
import { join } from 'node:path';
import type { OpsContext } from '../../agent/ops/context.ts';
import { followSale } from '../../agent/ops/display.ts';
import { dispatch } from '../../agent/ops/index.ts';
import { openDb } from '../../agent/storage/db.ts';
import { Outbox } from '../../agent/upstream/outbox.ts';
import { silentLogger } from '../../runtime/log.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('an offline award: the display shows the sale once, after the commit; a conflict shows nothing', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  const outbox = new Outbox(db);
  t.teardown(() => { outbox.close(); db.close(); });
  const shown: unknown[] = [];
  const display = { name: 'front', page: { columns: 20 }, show: async (rows: unknown) => { shown.push(rows); } };
  const ctx = {
    outbox, uplink: { connected: false }, currencies: { check() {} }, now: () => new Date(), faults: new Set(),
    forwarder: { wake() {} }, protocol: 1, devices: { followers: () => [display] }, log: silentLogger,
    identity: { merchant: 'M1', store: 'S1', terminal: 'T1' }, // a conflict compares baskets without the till's store
  } as unknown as OpsContext;
  const basket = { currency: 'EUR', total: 470, items: [{ sku: '4006381333931', name: 'Espresso', qty: 2, unit_price: 160, amount: 320 }, { sku: 'X', name: 'Croissant', qty: 1, unit_price: 150, amount: 150 }] };
  const answer = dispatch(ctx, 'award', { txn_id: 'sale-1', customer_id: 'P-1001', basket });
  t.equal(shown.length, 0, 'nothing shown before the commit');
  t.match(await answer, { status: 'queued', txn_id: 'sale-1', currency: 'EUR' });
  t.equal(shown.length, 1, 'shown once, by the time the POS has its answer');
  t.match(JSON.stringify(shown[0]), /Croissant/, 'the last item');
  t.match(JSON.stringify(shown[0]), /4[.,]70/, 'and the total');
  await t.rejects(dispatch(ctx, 'award', { txn_id: 'sale-1', customer_id: 'P-1001', basket: { ...basket, total: 320, items: [basket.items[0]!] } }), { code: 'CONFLICT' });
  t.equal(shown.length, 1, 'a refused award shows nothing');
});

// SessionM's award (award_pending: its points are computed after the sale) showed "Points +0.00 EUR".
t.test('an awarded sale whose points come later: the display says so, not +0.00', async (t) => {
  const shown: Array<[string, string]> = [];
  const display = { name: 'front', page: { columns: 20 }, show: async (rows: [string, string]) => { shown.push(rows); } };
  const ctx = { devices: { followers: () => [display] }, log: silentLogger } as unknown as OpsContext;
  const base = { status: 'awarded' as const, txn_id: 'sale-1', currency: 'EUR', award_amount: 0, balance: { amount: 120, currency: 'EUR' } };
  followSale(ctx, 'award', {}, { ...base, award_pending: true });
  followSale(ctx, 'award', {}, { ...base, award_amount: 75 });
  t.match(shown[0], [/^Points +added later$/, /^Balance +1[.,]20 EUR$/]);
  t.notMatch(shown[0]![0], /0[.,]00/);
  t.match(shown[1], [/^Points +\+0[.,]75 EUR$/, /^Balance/], 'a known award as before');
});

t.test('a spend or a void: what it took and the balance after it, or thanks when offline', async (t) => {
  const shown: Array<[string, string]> = [];
  const display = { name: 'front', page: { columns: 20 }, show: async (rows: [string, string]) => { shown.push(rows); } };
  const ctx = { devices: { followers: () => [display] }, log: silentLogger } as unknown as OpsContext;
  const eur = (amount: number) => ({ amount, currency: 'EUR' });
  followSale(ctx, 'spend', {}, { status: 'spent', txn_id: 's', currency: 'EUR', spent_amount: 150, offline: false, balance: eur(2355) });
  followSale(ctx, 'spend', {}, { status: 'queued', txn_id: 's', currency: 'EUR', spent_amount: 0, offline: true });
  followSale(ctx, 'spend', {}, { status: 'spent', txn_id: 's', currency: 'EUR', spent_amount: 300, offline: false, reduction: 'back_end', voucher: { code: 'RV-1', ...eur(300) }, balance: eur(100) });
  followSale(ctx, 'void', {}, { status: 'queued', txn_id: 's' });
  followSale(ctx, 'refund', {}, { status: 'refunded' });
  t.same(shown, [
    ['Spent      -1.50 EUR', 'Balance    23.55 EUR'],
    ['Spent       0.00 EUR', 'Thank you!'],
    ['Voucher     3.00 EUR', 'Balance     1.00 EUR'],
    ['Sale voided', 'Thank you!'],
  ]);
});
