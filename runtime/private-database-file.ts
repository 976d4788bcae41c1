// A SQLite file holding what other users of the machine must not read (the host's ledger: customers'
// card numbers, phones, emails and balances; the agent's outbox), made 0600 whatever the umask: under
// systemd the unit's UMask=0027 and StateDirectoryMode=0700 keep it private, but run by hand or under
// another supervisor (umask 022) SQLite created it 0644, readable by every user. SQLite gives its -wal
// and -shm the main file's mode. A file an older version made 0644 is tightened.
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';

/** The host's ledger: created 0600 when missing, tightened when an older version left it open to others. */
export function privateDatabaseFile(file: string): void {
  // SQLite's in-memory and temporary databases are no file: opening the name would create one.
  if (file === '' || file === ':memory:') return;
  try {
    closeSync(openSync(file, 'a', 0o600)); // created 0600 when missing (an empty file is a new database to SQLite)
  } catch {
    return; // a directory that is not there or not ours: SQLite's own open says so, with the path
  }
  tightenDatabaseFile(file);
}

/** A database made by an older version (0644 outside systemd) becomes 0600; its -wal and -shm too. */
export function tightenDatabaseFile(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      const mode = statSync(f).mode & 0o777;
      if (mode & 0o077) chmodSync(f, mode & 0o700);
    } catch {
      // missing, or another user's: SQLite reports what matters when it opens the file
    }
  }
}
