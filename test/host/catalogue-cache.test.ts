// The SQLite ledger keeps offers, accepted currencies, products and participants from one
// transaction to the next (ledger.ts Catalogue). What it keeps must never be stale: another
// connection's commit (a second host process, the CLI) empties it at the next BEGIN, this
// connection's own writes drop what they change, and a rolled-back write leaves nothing behind.
import t from 'tap';
import Database from 'better-sqlite3';
import { Ledger } from '../../host/ledger.ts';
import type { Offer } from '../../host/engine.ts';
import { TEST_STORE, seededLedger } from '../helpers/host-fixtures.ts';

const offer = (id: string, percent: number): Offer => ({
  id, name: `${percent}% off`, reward: { kind: 'percent', basis_points: percent * 100 }, instant: false, conditions: {},
});
const offerIds = (ledger: Ledger) => ledger.immediate(() => ledger.offers().map((o) => o.id));

t.test('what one connection keeps follows another connection\'s commits', { skip: TEST_STORE === 'postgres' && 'SQLite store only' }, async (t) => {
  const { ledger: first, file } = await seededLedger(t);
  const second = Ledger.open(file);
  t.teardown(() => second.close());
  const read = () => first.immediate(() => ({
    offers: first.offers().map((o) => o.id),
    currencies: first.walletCurrencies(),
    croissant: first.productInfo(['CROISSANT']).get('CROISSANT')?.categories,
    p9: first.participant('P9')?.name,
  }));
  t.same(read(), { offers: ['ALL10', 'CROISSANT'], currencies: ['EUR', 'USD'], croissant: ['bakery'], p9: undefined }, 'as seeded');
  t.same(read(), { offers: ['ALL10', 'CROISSANT'], currencies: ['EUR', 'USD'], croissant: ['bakery'], p9: undefined }, 'again, from what was kept');

  second.immediate(() => {
    second.upsertOffer(offer('NEW5', 5));
    second.upsertProducts([{ sku: 'CROISSANT', name: 'Croissant', categories: ['bakery', 'breakfast'] }]);
    second.insertParticipant({ id: 'P9', name: 'Nina', tier: null, automatic_spend: false });
    second.createWallet('P9', 'CHF');
  });
  t.same(read(), { offers: ['ALL10', 'CROISSANT', 'NEW5'], currencies: ['CHF', 'EUR', 'USD'], croissant: ['bakery', 'breakfast'], p9: 'Nina' },
    'the other connection\'s commit is seen at the next transaction');
});

t.test('own writes drop what they change; a rolled-back write leaves nothing kept', { skip: TEST_STORE === 'postgres' && 'SQLite store only' }, async (t) => {
  const { ledger } = await seededLedger(t);
  t.same(offerIds(ledger), ['ALL10', 'CROISSANT']);
  ledger.upsertOffer(offer('OWN1', 1)); // outside a transaction: committed at once
  t.same(offerIds(ledger), ['ALL10', 'CROISSANT', 'OWN1'], 'an own write outside a transaction');

  t.throws(() => ledger.immediate(() => {
    ledger.upsertOffer(offer('GONE', 2));
    ledger.upsertProducts([{ sku: 'COFFEE', name: 'Coffee', categories: ['gone'] }]);
    ledger.insertParticipant({ id: 'P8', name: 'Gone', tier: null, automatic_spend: false });
    ledger.createWallet('P8', 'GBP');
    // Read inside the transaction that will be rolled back: the uncommitted rows are what it sees.
    t.same(ledger.offers().map((o) => o.id), ['ALL10', 'CROISSANT', 'GONE', 'OWN1']);
    t.same(ledger.productInfo(['COFFEE']).get('COFFEE')?.categories, ['gone']);
    t.equal(ledger.participant('P8')?.name, 'Gone');
    t.same(ledger.walletCurrencies(), ['EUR', 'GBP', 'USD']);
    throw new Error('rolled back');
  }), /rolled back/);
  t.same(ledger.immediate(() => ({
    offers: ledger.offers().map((o) => o.id),
    coffee: ledger.productInfo(['COFFEE']).get('COFFEE')?.categories,
    p8: ledger.participant('P8'),
    currencies: ledger.walletCurrencies(),
  })), { offers: ['ALL10', 'CROISSANT', 'OWN1'], coffee: ['hot-drinks'], p8: undefined, currencies: ['EUR', 'USD'] }, 'nothing of the rolled-back transaction');

  // The same inside a savepoint that fails while its transaction commits.
  const after = ledger.immediate(() => {
    t.throws(() => ledger.savepoint(() => {
      ledger.upsertOffer(offer('SP', 3));
      t.same(ledger.offers().map((o) => o.id), ['ALL10', 'CROISSANT', 'OWN1', 'SP']);
      throw new Error('savepoint rolled back');
    }), /savepoint rolled back/);
    return ledger.offers().map((o) => o.id);
  });
  t.same(after, ['ALL10', 'CROISSANT', 'OWN1'], 'nothing of the rolled-back savepoint, in its transaction');
  t.same(offerIds(ledger), ['ALL10', 'CROISSANT', 'OWN1'], 'nor after it');
});

t.test('wallets kept between transactions follow every write to them', { skip: TEST_STORE === 'postgres' && 'SQLite store only' }, async (t) => {
  const { ledger: first, file } = await seededLedger(t);
  const second = Ledger.open(file);
  t.teardown(() => second.close());
  const entry = (participant_id: string, amount: number, currency = 'EUR') => ({
    participant_id, terminal: 'M1/S1/T1', txn_id: `t-${amount}`, message_id: null, kind: 'award' as const, amount, currency,
  });
  const balance = (ledger: Ledger, participant: string) => ledger.immediate(() => ledger.wallet(participant)?.balance);
  t.equal(balance(first, 'P1'), 1000, 'as seeded');
  first.immediate(() => first.append(entry('P1', 10)));
  t.equal(balance(first, 'P1'), 1010, 'its own committed append');

  second.immediate(() => second.append(entry('P1', 100)));
  t.equal(balance(first, 'P1'), 1110, 'another connection\'s append is seen at the next transaction');

  first.append(entry('P1', 5)); // outside a transaction: the SQL path, committed at once
  t.equal(balance(first, 'P1'), 1115, 'an own append outside a transaction');

  t.throws(() => first.immediate(() => {
    first.append(entry('P1', 1000));
    t.equal(first.wallet('P1')?.balance, 2115, 'inside the transaction, its own move');
    throw new Error('rolled back');
  }), /rolled back/);
  t.equal(balance(first, 'P1'), 1115, 'nothing of a rolled-back transaction');

  const inSavepoint = first.immediate(() => {
    first.append(entry('P1', 1));
    t.throws(() => first.savepoint(() => {
      first.append(entry('P1', 500));
      throw new Error('savepoint rolled back');
    }), /savepoint rolled back/);
    return first.wallet('P1')?.balance;
  });
  t.equal(inSavepoint, 1116, 'a rolled-back savepoint takes its move back, the one before it stays');
  t.equal(balance(first, 'P1'), 1116);

  first.immediate(() => first.createWallet('P1', 'PTS'));
  t.same(first.immediate(() => first.wallets('P1').map((w) => [w.currency, w.balance])), [['EUR', 1116], ['PTS', 0]], 'a wallet created');
  const rows = new Database(file, { readonly: true });
  t.teardown(() => rows.close());
  t.equal((rows.prepare("SELECT balance FROM wallets WHERE participant_id = 'P1' AND currency = 'EUR'").get() as { balance: number }).balance, 1116,
    'the table holds what was answered');
});

t.test('a till\'s chain and "no offer lock held" kept between transactions follow every write', { skip: TEST_STORE === 'postgres' && 'SQLite store only' }, async (t) => {
  const { ledger: first, file } = await seededLedger(t);
  const second = Ledger.open(file);
  t.teardown(() => second.close());
  const till = 'M1/S1/T1';
  const chain = (ledger: Ledger) => ledger.immediate(() => ledger.chainLast(till));
  t.equal(chain(first), null, 'no row yet');
  t.equal(chain(first), null, 'again, from what was kept');
  second.immediate(() => second.setChainLast(till, 7));
  t.equal(chain(first), 7, 'another connection\'s commit is seen at the next transaction');
  first.immediate(() => first.setChainLast(till, 8));
  t.equal(chain(first), 8, 'its own committed write');
  t.equal(chain(second), 8);
  t.throws(() => first.immediate(() => {
    first.setChainLast(till, 9);
    t.equal(first.chainLast(till), 9, 'inside the transaction, its own write');
    throw new Error('rolled back');
  }), /rolled back/);
  t.equal(chain(first), 8, 'nothing of a rolled-back transaction');
  first.setChainLast(till, 10); // outside a transaction: committed at once
  t.equal(chain(first), 10, 'an own write outside a transaction');

  const locked = (ledger: Ledger) => ledger.immediate(() => ledger.userOffers.lockedAmountByOthers('P1', 'EUR', till, 'sale-1'));
  const lock = (txn: string, amount: number) => ({
    terminal: 'M1/S1/T2', txn_id: txn, participant_id: 'P1', user_offer_id: null, amount, currency: 'EUR', expires_at: '2999-01-01T00:00:00.000Z',
  });
  t.equal(locked(first), 0, 'none held');
  t.equal(locked(first), 0, 'again, from what was kept');
  second.immediate(() => second.userOffers.addLock(lock('other-1', 100), new Date().toISOString()));
  t.equal(locked(first), 100, 'another connection\'s lock is seen at the next transaction');
  second.immediate(() => second.userOffers.release('M1/S1/T2', 'other-1'));
  t.equal(locked(first), 0, 'and its release');
  t.throws(() => first.immediate(() => {
    first.userOffers.addLock(lock('own-1', 30), new Date().toISOString());
    t.equal(first.userOffers.lockedAmountByOthers('P1', 'EUR', till, 'sale-1'), 30, 'inside the transaction, its own lock');
    throw new Error('rolled back');
  }), /rolled back/);
  t.equal(locked(first), 0, 'nothing of a rolled-back lock');
  first.immediate(() => first.userOffers.addLock(lock('own-2', 40), new Date().toISOString()));
  t.equal(locked(first), 40, 'its own committed lock');
  t.equal(locked(second), 40);
});
