// A list of strings the till learnt from the host and keeps across restarts in the meta table
// (the host's currencies, the ops its backend does not offer), as JSON.
import type { Db } from './db.ts';

/** The list under `key`; undefined when none was stored or the value is unreadable (relearnt from the next answer). */
export function readStringList(db: Db, key: string): string[] | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  if (!row) return undefined;
  try {
    const parsed: unknown = JSON.parse(row.value);
    return Array.isArray(parsed) && parsed.every((s) => typeof s === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Stores `list` under `key` (throws what SQLite throws, e.g. a full disk: callers keep it in memory). */
export function storeStringList(db: Db, key: string, list: readonly string[]): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(list));
}
