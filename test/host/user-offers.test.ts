// Offers issued to participants by the seed, and their expiry — on real SQLite files.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Ledger } from '../../host/ledger.ts';
import { silentLogger } from '../../runtime/log.ts';
import { isExpired } from '../../host/offer-handlers.ts';
import { SeedError, applySeed, loadSeedFile, parseSeed } from '../../host/seed.ts';
import { TEST_SEED, writeSeed } from '../helpers/host-fixtures.ts';
import { tempDir } from '../helpers/tmp.ts';

const SAMPLE = fileURLToPath(new URL('../../host/seed.sample.yaml', import.meta.url));
const log = silentLogger();
const WITH_OFFERS = TEST_SEED.replace('    balance: { amount: 500, currency: EUR }\n', `    balance: { amount: 500, currency: EUR }
    offers:
      - { id: UO-1, name: 2.00 off, amount: 200, currency: EUR, expires_at: "2027-01-31" }
      - { id: UO-2, name: 10% off bakery, percent: 10, conditions: { categories: [bakery] } }
`);

t.test('the sample seed issues offers to Alice and Bruno', async (t) => {
  const dir = await tempDir(t, 'till-uo-');
  const ledger = Ledger.open(join(dir, 'host.db'));
  t.teardown(() => ledger.close());
  t.match(applySeed(ledger, loadSeedFile(SAMPLE), log), { applied: true, user_offers_issued: 3 });
  t.same(ledger.userOffers.issued('P-1001').map((o) => o.id), ['UO-ALICE-BAKERY20', 'UO-ALICE-ESPRESSO']);
  t.match(ledger.userOffers.get('UO-ALICE-BAKERY20'), { reward: { kind: 'percent', basis_points: 2000 }, conditions: { categories: ['bakery'] }, expires_at: null });
});

t.test('issued once: a changed seed never resets a redeemed offer; ids are unique across participants', async (t) => {
  const dir = await tempDir(t, 'till-uo-');
  const ledger = Ledger.open(join(dir, 'host.db'));
  t.teardown(() => ledger.close());
  t.match(applySeed(ledger, loadSeedFile(await writeSeed(dir, WITH_OFFERS)), log), { applied: true, user_offers_issued: 2 });
  t.match(ledger.userOffers.get('UO-1'), { participant_id: 'P2', state: 'issued', reward: { kind: 'amount', amount: 200, currency: 'EUR' }, expires_at: '2027-01-31' });
  ledger.immediate(() => ledger.userOffers.setState('UO-1', 'redeemed', new Date().toISOString()));
  const changed = `${WITH_OFFERS}\n# changed\n`;
  t.match(applySeed(ledger, loadSeedFile(await writeSeed(dir, changed, 'seed2.yaml')), log), { applied: true, user_offers_issued: 0 });
  t.equal(ledger.userOffers.get('UO-1')?.state, 'redeemed', 'the ledger owns its state, not the seed');

  const stolen = changed.replace('  - id: P3\n    name: Chiara\n', '  - id: P3\n    name: Chiara\n    offers: [{ id: UO-NEW, name: x, amount: 1 }]\n')
    .replace('UO-NEW', 'UO-2').replace('      - { id: UO-2, name: 10% off bakery, percent: 10, conditions: { categories: [bakery] } }\n', '');
  const stolenFile = await writeSeed(dir, stolen, 'seed3.yaml');
  t.throws(() => applySeed(ledger, loadSeedFile(stolenFile), log), SeedError);
  t.equal(ledger.userOffers.get('UO-2')?.participant_id, 'P2', 'nothing of the rejected seed applied');
});

t.test('seed validation of issued offers names the field', async (t) => {
  const bad = TEST_SEED.replace('    balance: { amount: 500, currency: EUR }\n', `    balance: { amount: 500, currency: EUR }
    offers:
      - { id: UO-1, name: both, amount: 200, percent: 5 }
      - { id: "UO 2", name: spaces, amount: 1 }
      - { id: UO-1, name: again, percent: 5, currency: EUR, expires_at: tomorrow }
`);
  const error = (() => { try { parseSeed(bad, 'x.yaml'); } catch (e) { return e as SeedError; } return undefined; })();
  t.ok(error instanceof SeedError);
  const text = error!.errors.join('\n');
  t.match(text, /participants\[1\]\.offers\[0\]\.percent: give exactly one of percent or amount/);
  t.match(text, /participants\[1\]\.offers\[1\]\.id: must be printable ASCII without spaces/);
  t.match(text, /participants\[1\]\.offers\[2\]\.currency: only applies to a fixed amount offer/);
  t.match(text, /participants\[1\]\.offers\[2\]\.expires_at/);
  t.match(text, /participants\[1\]\.offers\[2\]\.id: duplicate issued offer id/);
});

t.test('expiry: a date is valid through that day in the host time zone, a date-time up to that instant', async (t) => {
  const day = { expires_at: '2026-03-04' };
  t.equal(isExpired(day, new Date('2026-03-04T22:59:00Z'), 'Europe/Paris'), false, '23:59 in Paris');
  t.equal(isExpired(day, new Date('2026-03-04T23:00:00Z'), 'Europe/Paris'), true, 'midnight in Paris');
  t.equal(isExpired(day, new Date('2026-03-04T23:00:00Z'), 'UTC'), false);
  t.equal(isExpired({ expires_at: '2026-03-04T12:00:00+01:00' }, new Date('2026-03-04T10:59:59Z'), 'UTC'), false);
  t.equal(isExpired({ expires_at: '2026-03-04T12:00:00+01:00' }, new Date('2026-03-04T11:00:00Z'), 'UTC'), true);
  t.equal(isExpired({ expires_at: null }, new Date('2999-01-01T00:00:00Z'), 'UTC'), false);
});
