// Rows of one table inserted several to a statement (`INSERT … VALUES (…), (…), …`). A statement's
// fixed cost — its step and reset, a cursor opened on the table and on each index, and with
// AUTOINCREMENT the table's sqlite_sequence row read and written — is then paid once for all the
// rows it carries. The host's ledger entries (three indexes, AUTOINCREMENT), callgrind, better-sqlite3's
// run alone, 9,600 rows: 34.7 k instructions a row one to a statement, 28.0 k three, 24.2 k eight,
// 23.1 k thirty-two (issue 10).
import type Database from 'better-sqlite3';

/** Rows per statement, largest first: n rows take as many of the largest as fit, then of the next. */
export const ROWS_PER_STATEMENT = [32, 8, 1] as const;

export class MultiRowInsert {
  private readonly statements: Database.Statement[];

  /**
   * `head`: `INSERT INTO t (a, b, c)`; `tuple`: one row's values, `(?, ?, ?)`, with `width` anonymous
   * parameters (each row binds its own).
   */
  constructor(db: Database.Database, head: string, tuple: string, private readonly width: number) {
    this.statements = ROWS_PER_STATEMENT.map((n) => db.prepare(`${head} VALUES ${Array<string>(n).fill(tuple).join(', ')}`));
  }

  /**
   * Inserts the rows in their order (the rowids AUTOINCREMENT gives follow it). `values`: the rows'
   * parameters one after the other, `width` a row. They are passed as arguments, not as an array per
   * row: better-sqlite3 reads an array's elements through V8's generic element access, ~300
   * instructions a value more (callgrind, issue 10). If a statement fails, the rows of the statements
   * before it stay inserted: run this inside a transaction or savepoint that the error rolls back.
   */
  run(values: readonly unknown[]): void {
    const width = this.width;
    const rows = values.length / width;
    if (!Number.isInteger(rows)) throw new Error(`multi-row insert: ${values.length} values are not rows of ${width}`);
    let row = 0;
    for (let s = 0; s < ROWS_PER_STATEMENT.length; s++) {
      const n = ROWS_PER_STATEMENT[s]!;
      const statement = this.statements[s]!;
      for (; rows - row >= n; row += n) statement.run(...values.slice(row * width, (row + n) * width));
    }
  }
}
