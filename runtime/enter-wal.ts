// Switch a SQLite connection to WAL, waiting for another process doing the same.
// Two processes opening one fresh file at once (hosts sharing a ledger file, started together)
// both read it under a shared lock and both need an exclusive one to switch: SQLite then answers
// one of them SQLITE_BUSY at once, without its busy handler (that wait could deadlock), so
// busy_timeout alone does not cover it (seen: 1 start in 8 of two hosts on a fresh file failed).
import type { Database } from 'better-sqlite3';
import { sleepSync } from './sleep-sync.ts';

/** Returns the journal mode now in force ('wal', or what the file system allows instead). */
export function enterWal(db: Database, waitMs = 5_000): string {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return String(db.pragma('journal_mode = WAL', { simple: true }));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw error;
      // Opening is synchronous (constructors): a short blocking pause, spread so both do not retry together.
      sleepSync(Math.min(50, 2 + attempt * 5) + Math.floor(Math.random() * 5));
    }
  }
}
