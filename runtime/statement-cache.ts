// The host's ledger and the till's customer cache prepare their SQL where they run it
// (`db.prepare(sql).get(…)`), which reads well but compiles every statement again on every call:
// a third of the host's time per applied message when a backlog drains. This memoises prepare()
// by SQL text. Safe as long as no caller keeps a statement mid-iteration or flips its modes
// (pluck, raw, expand, safeIntegers): neither does (host/*.ts, agent/customer-cache.ts); a
// flipped mode would leak to the next caller of that SQL.
import type Database from 'better-sqlite3';

const MAX_STATEMENTS = 500; // the ledger's SQL is static text: a few dozen distinct statements

/** prepare() memoised by SQL text, for a connection's own statements (the till's customer cache). */
export function memoisedPrepare(db: Database.Database): (sql: string) => Database.Statement {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  return (sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      if (cache.size >= MAX_STATEMENTS) cache.clear();
      statement = prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
}

/** Every db.prepare() of this connection memoised (the host's ledger). */
export function cacheStatements(db: Database.Database): void {
  db.prepare = memoisedPrepare(db) as typeof db.prepare;
}
