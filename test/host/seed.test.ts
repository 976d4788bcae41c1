// Seed parsing, validation and apply-once semantics on real SQLite files.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Ledger } from '../../host/ledger.ts';
import { silentLogger } from '../../runtime/log.ts';
import { SeedError, applySeed, loadSeedFile, parseSeed } from '../../host/seed.ts';
import { TEST_SEED, writeSeed } from '../helpers/host-fixtures.ts';
import { tempDir } from '../helpers/tmp.ts';

const SAMPLE = fileURLToPath(new URL('../../host/seed.sample.yaml', import.meta.url));
const log = silentLogger();

async function fresh(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t, 'till-seed-');
  const ledger = Ledger.open(join(dir, 'host.db'));
  t.teardown(() => ledger.close());
  return { dir, ledger };
}

t.test('the shipped sample seed is valid and applies', async (t) => {
  const { ledger } = await fresh(t);
  const report = applySeed(ledger, loadSeedFile(SAMPLE), log);
  t.match(report, { applied: true, participants_added: 4, wallets_created: 5 });
  t.ok(report.offers_upserted >= 4);
  t.equal(ledger.participantByIdentifier('card', '6006491234567890')?.id, 'P-1001');
  t.equal(ledger.participantByIdentifier('email', 'bruno.keller@example.org')?.id, 'P-1002', 'stored normalised');
  t.equal(ledger.participant('P-1002')?.automatic_spend, true);
  t.match(ledger.offers().find((o) => o.id === 'HAPPY-HOUR'), { reward: { kind: 'percent', basis_points: 250 }, conditions: { weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'] } });
  t.match(ledger.offers().find((o) => o.id === 'CROISSANT-NOW'), { reward: { kind: 'amount', amount: 50, currency: 'EUR' }, instant: true });
  t.same(ledger.entries('P-1001').map((e) => [e.kind, e.amount]), [['seed', 2500]]);
  t.same(ledger.entries('P-1003'), [], 'no seed entry for a zero opening balance');
  // The demo's points member: a PTS wallet next to the money one, a tier with offers of its own.
  t.match(ledger.participant('P-1004'), { name: 'Dara Novak', tier: 'platinum' });
  t.same(ledger.wallets('P-1004').map((w) => [w.currency, w.balance]), [['EUR', 1500], ['PTS', 250]]);
  t.match(ledger.offers().find((o) => o.id === 'PLATINUM-PTS'), { conditions: { tiers: ['platinum'] } });
});

t.test('applied once: re-applying does not reset a wallet; a changed file adds without resetting', async (t) => {
  const { dir, ledger } = await fresh(t);
  const file = await writeSeed(dir);
  t.equal(applySeed(ledger, loadSeedFile(file), log).applied, true);
  ledger.immediate(() => ledger.append({ participant_id: 'P1', terminal: 'M/S/T', txn_id: 'x', message_id: 'm', kind: 'spend', amount: -400, currency: 'EUR' }));
  t.equal(applySeed(ledger, loadSeedFile(file), log).applied, false, 'same content: no-op');
  t.equal(ledger.wallet('P1')?.balance, 600);

  const changed = TEST_SEED
    .replace('balance: { amount: 1000, currency: EUR }', 'balance: { amount: 99999, currency: EUR }')
    .replace('token: ["tok_alice"]', 'token: ["tok_alice", "tok_alice_2"]')
    .replace('{ id: ALL10, name: 10% on everything, percent: 10 }', '{ id: ALL10, name: 12% on everything, percent: 12 }')
    .replace('participants:\n', 'participants:\n  - { id: P9, name: Newbie, identifiers: { card: ["6006491234567932"] }, balance: { amount: 250, currency: EUR } }\n');
  const report = applySeed(ledger, loadSeedFile(await writeSeed(dir, changed, 'seed2.yaml')), log);
  t.match(report, { applied: true, participants_added: 1, identifiers_added: 2, wallets_created: 1 });
  t.equal(ledger.wallet('P1')?.balance, 600, 'existing wallet untouched');
  t.equal(ledger.participantByIdentifier('token', 'tok_alice_2')?.id, 'P1', 'new identifier added');
  t.equal(ledger.wallet('P9')?.balance, 250, 'new participant opened with a seed entry');
  t.match(ledger.offers().find((o) => o.id === 'ALL10'), { name: '12% on everything', reward: { basis_points: 1200 } }, 'offer upserted');
});

t.test('two ledgers on one file apply a seed once', async (t) => {
  const { dir, ledger } = await fresh(t);
  const other = Ledger.open(join(dir, 'host.db'));
  t.teardown(() => other.close());
  const seed = loadSeedFile(await writeSeed(dir));
  t.same([applySeed(ledger, seed, log).applied, applySeed(other, seed, log).applied], [true, false]);
  t.equal(other.wallet('P1')?.balance, 1000);
});

t.test('an identifier owned by someone else rejects the whole changed seed', async (t) => {
  const { dir, ledger } = await fresh(t);
  applySeed(ledger, loadSeedFile(await writeSeed(dir)), log);
  const stolen = `
participants:
  - { id: P3, name: Chiara, identifiers: { card: ["6006491234567916", "6006-4912-3456-7890"] }, balance: { amount: 0, currency: EUR } }
offers:
  - { id: NEW, name: new, percent: 1 }
`;
  const file = await writeSeed(dir, stolen, 'stolen.yaml');
  let caught: unknown;
  try {
    applySeed(ledger, loadSeedFile(file), log);
  } catch (error) {
    caught = error;
  }
  t.ok(caught instanceof SeedError, 'a SeedError');
  t.same((caught as SeedError).errors, ['participants[0].identifiers.card[1]: already belongs to participant P1']);
  t.equal(ledger.participantByIdentifier('card', '6006491234567890')?.id, 'P1');
  t.notOk(ledger.offers().some((o) => o.id === 'NEW'), 'rolled back');
  t.notOk(ledger.seedApplied(loadSeedFile(file).hash));
});

t.test('validation reports every error with its path', async (t) => {
  const bad = `
participants:
  - id: A
    name: A
    identifiers: { card: ["1234 5678"], fax: ["x"] }
    balance: { amount: 10.5, currency: eur }
  - id: A
    name: B
    identifiers: { card: ["12345678"] }
    balance: { amount: 0, currency: EUR }
offers:
  - { id: O1, name: both, percent: 5, amount: 100 }
  - { id: O2, name: neither }
  - { id: O3, name: decimals, percent: 1.234 }
  - id: O4
    name: bad conditions
    percent: 5
    conditions: { weekdays: [monday], hours: { from: "9:00", to: "25:00" }, valid_from: "next week", colour: blue }
products:
  - { sku: X, name: X, categories: fruit }
`;
  let errors: string[] = [];
  try {
    parseSeed(bad, 'bad.yaml');
  } catch (error) {
    if (error instanceof SeedError) errors = error.errors;
  }
  const expected = [
    /^participants\[0\]\.identifiers: unknown key\(s\): fax/,
    /^participants\[0\]\.balance\.amount: must be an integer/,
    /^participants\[0\]\.balance\.currency: must be a currency like "EUR" or a points unit/,
    /^participants\[1\]\.id: duplicate participant id/,
    /^participants\[1\]\.identifiers\.card\[0\]: already used by participant A/,
    /^offers\[0\]\.percent: give exactly one of percent, amount, points or points_per_unit/,
    /^offers\[1\]\.percent: give exactly one of percent, amount, points or points_per_unit/,
    /^offers\[2\]\.percent: must have at most 2 decimals/,
    /^offers\[3\]\.conditions\.weekdays\[0\]: must be one of mon/,
    /^offers\[3\]\.conditions\.hours\.from: must be "HH:MM"/,
    /^offers\[3\]\.conditions\.hours\.to: must be "HH:MM"/,
    /^offers\[3\]\.conditions\.valid_from: must be a date/,
    /^offers\[3\]\.conditions: unknown key\(s\): colour/,
    /^products\[0\]\.categories: /,
  ];
  for (const re of expected) t.ok(errors.some((e) => re.test(e)), `reports ${re}`);
  t.notMatch(errors.join('\n'), /12345678|1234 5678/, 'identifier values are not echoed');
  t.throws(() => parseSeed('participants: [', 'x.yaml'), SeedError, 'YAML syntax errors too');
});

t.test('an amount written as a decimal (25.00) is refused, not read as 25 minor units', async (t) => {
  // YAML reads 25.00 as the integer 25: Alice's opening balance of 25.00 EUR became 0.25 EUR, a
  // fixed-amount offer of 0.50 written 50.0 became 0.50 by luck and 1.00 written 1.00 became 0.01.
  const seed = `
participants:
  - id: A
    name: Alice
    identifiers: { card: ["6006491234567890"] }
    balance: { amount: 25.00, currency: EUR }
    points: { amount: 250.0 }
offers:
  - { id: O1, name: one euro off, amount: 1.00, currency: EUR }
  - { id: O2, name: five percent, percent: 5.00 }
`;
  let errors: string[] = [];
  try {
    parseSeed(seed, 'seed.yaml');
  } catch (error) {
    if (error instanceof SeedError) errors = error.errors;
  }
  t.match(errors, [
    /^participants\[0\]\.balance\.amount: 25\.00 is read as 25 minor units \(cents; whole points for points\), not 25\.00: write the amount as a whole number of them, without a decimal point \(2500 for 25\.00\)$/,
    /^participants\[0\]\.points\.amount: 250\.0 is read as 250 /,
    /^offers\[0\]\.amount: 1\.00 is read as 1 minor units .*\(100 for 1\.00\)$/,
  ]);
  t.equal(errors.length, 3, 'percent is a percentage: 5.00 is 5 %');
  t.match(parseSeed(seed.replace('25.00', '2500').replace('250.0', '250').replace('1.00', '100'), 'seed.yaml'), { participants: [{ balance: { amount: 2500 } }] }, 'whole minor units: as before');
});
