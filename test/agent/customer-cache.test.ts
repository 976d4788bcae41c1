// The customer cache's balance updates after a settle (agent/customer-cache.ts), on a real SQLite
// file: a customer the till never cached costs no write after the first, and is written again
// once identified (remembered); several updates in one batch, cached or not.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { CustomerCache } from '../../agent/customer-cache.ts';
import { openDb, type Db } from '../../agent/storage/db.ts';
import { tempDir } from '../helpers/tmp.ts';

const AT = '2026-06-01T08:00:00.000Z';
const eur = (amount: number) => ({ amount, currency: 'EUR' });

async function db(t: Test): Promise<Db> {
  const handle = openDb(join(await tempDir(t), 'till-agent.db'));
  t.teardown(() => { if (handle.open) handle.close(); });
  return handle;
}

/** Counts the connection's write statements (prepared statements run through .run()). */
function countRuns(d: Db): { runs: () => number } {
  let runs = 0;
  const prepare = d.prepare.bind(d);
  d.prepare = ((sql: string) => {
    const stmt = prepare(sql);
    const run = stmt.run.bind(stmt);
    stmt.run = ((...args: unknown[]) => { if (/^\s*UPDATE customers/.test(sql)) runs += 1; return run(...args); }) as typeof stmt.run;
    return stmt;
  }) as typeof d.prepare;
  return { runs: () => runs };
}

t.test('a customer not cached: one update finds no row, later ones are not made; remembered, it is updated again', async (t) => {
  const d = await db(t);
  const counter = countRuns(d);
  const cache = new CustomerCache(d, () => new Date(AT));
  t.ok(cache.updateBalances([{ customerId: 'bob', balance: eur(10), asOf: AT }]));
  t.ok(cache.updateBalances([{ customerId: 'bob', balance: eur(20), asOf: AT }]));
  t.equal(counter.runs(), 1, 'the second update of an uncached customer is not run');
  t.equal(cache.get('bob'), undefined, 'still not cached: an update never creates a row');
  cache.remember('card', '6006490000000002', { id: 'bob', name: 'Bob', balance: eur(30) }, AT);
  cache.updateBalances([{ customerId: 'bob', balance: eur(40), asOf: AT }]);
  t.equal(counter.runs(), 2);
  t.equal(cache.get('bob')!.customer.balance.amount, 40, 'remembered: its balance follows the host again');
});

t.test('a batch: cached customers updated in order, uncached ones left out', async (t) => {
  const d = await db(t);
  const cache = new CustomerCache(d, () => new Date(AT));
  cache.remember('card', '6006490000000001', { id: 'alice', name: 'Alice', balance: eur(1000) }, AT);
  cache.remember('card', '6006490000000003', { id: 'carol', name: 'Carol', balance: eur(5) }, AT);
  t.ok(cache.updateBalances([
    { customerId: 'alice', balance: eur(900), asOf: AT },
    { customerId: 'bob', balance: eur(1), asOf: AT },
    { customerId: 'alice', balance: eur(800), asOf: AT },
    { customerId: 'carol', balance: eur(6), asOf: AT },
  ]));
  t.equal(cache.get('alice')!.customer.balance.amount, 800, 'the last answer of the batch wins');
  t.equal(cache.get('carol')!.customer.balance.amount, 6);
  t.equal(cache.get('bob'), undefined);
  t.ok(cache.updateBalances([]), 'nothing to do');
});

t.test('offline, a phone written "0033 6…" finds the customer identified as "+33 6…" (one number, one key)', async (t) => {
  const cache = new CustomerCache(await db(t), () => new Date(AT));
  cache.remember('phone', '+33 6 12 34 56 78', { id: 'alice', name: 'Alice', balance: eur(2500) }, AT);
  for (const value of ['0033 6 12 34 56 78', '+33 (0)6 12 34 56 78', '+33612345678']) t.equal(cache.lookup('phone', value, 30)?.customer.id, 'alice', value);
  t.equal(cache.lookup('phone', '06 12 34 56 78', 30), undefined, 'a national number is not guessed into a country');
});
