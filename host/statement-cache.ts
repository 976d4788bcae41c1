// The ledger prepares its SQL where it runs it (`db.prepare(sql).get(…)`), which reads well but
// compiles every statement again on every call: a third of the host's time per applied message
// when a backlog drains. This memoises prepare() per connection by SQL text. Safe as long as no
// caller keeps a statement mid-iteration or flips its modes (pluck, raw, expand, safeIntegers):
// the host does neither (host/*.ts); a flipped mode would leak to the next caller of that SQL.
import type Database from 'better-sqlite3';

const MAX_STATEMENTS = 500; // the ledger's SQL is static text: a few dozen distinct statements

export function cacheStatements(db: Database.Database): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      if (cache.size >= MAX_STATEMENTS) cache.clear();
      statement = prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  }) as typeof db.prepare;
}
