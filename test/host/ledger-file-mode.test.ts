// The host's ledger holds the customers' identifiers (card numbers, phones, emails) and balances.
// Under systemd the unit's UMask=0027 keeps it private; run by hand or under another supervisor
// (umask 022) SQLite created host.db, -wal and -shm 0644, readable by every user of the machine.
// Now they are 0600 whatever the umask, and a ledger an older version made 0644 is tightened.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { Ledger } from '../../host/ledger.ts';
import { tempDir } from '../helpers/tmp.ts';

const mode = (file: string) => statSync(file).mode & 0o777;

t.test('host.db and its -wal and -shm are 0600 under umask 022; an older 0644 ledger is tightened', async (t) => {
  const previous = process.umask(0o022);
  t.teardown(() => { process.umask(previous); });
  const dir = await tempDir(t, 'till-ledger-mode-');

  const file = join(dir, 'host.db');
  const ledger = Ledger.open(file);
  t.teardown(() => ledger.close());
  for (const f of [file, `${file}-wal`, `${file}-shm`]) t.equal(mode(f).toString(8), '600', `${f} is private`);

  // A ledger made before (SQLite's own 0644), opened by this version.
  const old = join(dir, 'old.db');
  const raw = new Database(old);
  raw.pragma('journal_mode = WAL');
  raw.exec('CREATE TABLE x (a)');
  t.equal(mode(old).toString(8), '644', 'SQLite alone makes it world-readable');
  const reopened = Ledger.open(old);
  t.teardown(() => reopened.close());
  raw.close();
  for (const f of [old, `${old}-wal`, `${old}-shm`]) t.equal(mode(f).toString(8), '600', `${f} tightened`);
});
