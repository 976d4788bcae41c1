// Reads every outbox row that can still be read from a database file, damaged or not (for
// `till-agent outbox export`). Never writes, never uses an index (a damaged index must not hide
// rows): the table is walked in seq order, and when a page fails, the rows after it are looked
// up one seq at a time so that only the rows on the damaged pages are lost. Those are reported
// as seq ranges.
import Database from 'better-sqlite3';

export interface SalvageReport {
  rows: number;
  /** seq ranges that could not be read (inclusive). */
  lost: Array<[number, number]>;
  /** Rows whose JSON columns were garbled: exported with the raw text. */
  garbled: number;
  /** Why the file could not be read at all, if so. */
  unreadable?: string;
}

type Row = Record<string, unknown>;

const JSON_COLUMNS = ['payload', 'result', 'error'] as const;

/** Calls emit for each readable row (state === null: every state), oldest first. */
export function salvageOutbox(file: string, state: string | null, emit: (row: Row) => void): SalvageReport {
  const report: SalvageReport = { rows: 0, lost: [], garbled: 0 };
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('query_only = ON');
  } catch (error) {
    return { ...report, unreadable: (error as Error).message };
  }
  try {
    const out = (raw: Row) => {
      if (state !== null && raw.state !== state) return;
      const row = decodeRow(raw);
      if (row.garbled) report.garbled++;
      report.rows++;
      emit(row.value);
    };
    let last = 0;
    try {
      // NOT INDEXED and the rowid order: the table's own b-tree, whatever the indexes hold.
      for (const raw of db.prepare('SELECT * FROM outbox NOT INDEXED ORDER BY seq').iterate() as Iterable<Row>) {
        out(raw);
        last = raw.seq as number;
      }
      return report;
    } catch (error) {
      if (!isCorrupt(error)) return { ...report, unreadable: (error as Error).message };
    }
    const max = highestSeq(db);
    if (max === null) {
      return { ...report, unreadable: last === 0 ? 'SQLite cannot read the outbox table (file header or table pages damaged)' : `the table cannot be located after seq ${last}` };
    }
    const one = db.prepare('SELECT * FROM outbox NOT INDEXED WHERE seq = ?');
    let lostFrom: number | null = null;
    for (let seq = last + 1; seq <= max; seq++) {
      let raw: Row | undefined;
      try {
        raw = one.get(seq) as Row | undefined;
      } catch (error) {
        if (!isCorrupt(error)) throw error;
        lostFrom ??= seq;
        continue;
      }
      if (lostFrom !== null) {
        report.lost.push([lostFrom, seq - 1]);
        lostFrom = null;
      }
      if (raw) out(raw);
    }
    if (lostFrom !== null) report.lost.push([lostFrom, max]);
    return report;
  } finally {
    db.close();
  }
}

/** The highest seq ever given: from sqlite_sequence, else the table's last row. */
function highestSeq(db: Database.Database): number | null {
  for (const sql of ["SELECT seq AS n FROM sqlite_sequence WHERE name = 'outbox'", 'SELECT max(seq) AS n FROM outbox NOT INDEXED']) {
    try {
      const n = (db.prepare(sql).get() as { n: number | null } | undefined)?.n;
      if (typeof n === 'number') return n;
    } catch {
      // damaged too: try the next source
    }
  }
  return null;
}

function decodeRow(raw: Row): { value: Row; garbled: boolean } {
  const value: Row = { ...raw };
  const garbled: string[] = [];
  for (const k of JSON_COLUMNS) {
    if (typeof value[k] !== 'string') continue;
    try {
      value[k] = JSON.parse(value[k] as string);
    } catch {
      garbled.push(k); // kept as the raw text
    }
  }
  if (garbled.length > 0) value.garbled = garbled;
  return { value, garbled: garbled.length > 0 };
}

function isCorrupt(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB|IOERR)/.test(code);
}

export function describeLoss(report: SalvageReport): string {
  const ranges = report.lost.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  const count = report.lost.reduce((n, [a, b]) => n + b - a + 1, 0);
  const parts = [`${report.rows} row(s) exported`];
  if (report.lost.length > 0) parts.push(`seq ${ranges.join(', ')} unreadable (at most ${count} row(s), some may never have existed)`);
  if (report.garbled > 0) parts.push(`${report.garbled} row(s) with garbled JSON exported as raw text (key "garbled")`);
  if (report.unreadable) parts.push(`stopped: ${report.unreadable}`);
  return parts.join('; ');
}
