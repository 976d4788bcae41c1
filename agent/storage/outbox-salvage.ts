// Reads every outbox row that can still be read from a database file, damaged or not (for
// `till-agent outbox export`). Never writes, never uses an index (a damaged index must not hide
// rows): the table is walked in seq order, and when a page fails, the rows after it are looked
// up one seq at a time so that only the rows on the damaged pages are lost. When SQLite could not
// read everything, the file's table leaf pages are also decoded byte by byte (sqlite-pages.ts):
// rows SQLite could not reach (a damaged header or interior page) are exported too, flagged
// `recovered_from_page`. What is still missing is reported as seq ranges.
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { candidateGeometries, leafRecords } from './sqlite-pages.ts';

export interface SalvageReport {
  rows: number;
  /** seq ranges that could not be read (inclusive). */
  lost: Array<[number, number]>;
  /** Rows whose JSON columns were garbled: exported with the raw text. */
  garbled: number;
  /** Rows read from the file's pages directly, SQLite having failed to reach them. */
  recovered: number;
  /** Why the file could not be read at all, if so. */
  unreadable?: string;
}

type Row = Record<string, unknown>;

const JSON_COLUMNS = ['payload', 'result', 'error'] as const;

/** Calls emit for each readable row (state === null: every state), oldest first. */
export function salvageOutbox(file: string, state: string | null, emit: (row: Row) => void): SalvageReport {
  const seen = new Set<number>();
  const report = readWithSqlite(file, state, (row) => {
    seen.add(row.seq as number);
    emit(row);
  });
  if (report.lost.length === 0 && !report.unreadable) return report;
  // Only where SQLite failed: elsewhere a row missing from the table was pruned, and its old copy
  // on a freed page must not come back.
  const failed = (seq: number) => (report.unreadable ? true : report.lost.some(([a, b]) => seq >= a && seq <= b));
  const raw = [...rawOutboxRows(file)].filter(([seq]) => !seen.has(seq) && failed(seq)).sort(([a], [b]) => a - b);
  for (const [seq, r] of raw) {
    seen.add(seq); // read, whether or not --state wants it
    if (state !== null && r.row.state !== state) continue;
    const row = decodeRow(r.row);
    if (row.garbled) report.garbled++;
    report.rows++;
    report.recovered++;
    emit({ ...row.value, recovered_from_page: r.page });
  }
  report.lost = report.lost.flatMap(([a, b]) => splitRange(a, b, seen));
  return report;
}

function readWithSqlite(file: string, state: string | null, emit: (row: Row) => void): SalvageReport {
  const report: SalvageReport = { rows: 0, lost: [], garbled: 0, recovered: 0 };
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
      delete raw.sale_txn_id; // schema 6's copy of payload.sale_txn_id: the payload is exported
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

/** [a, b] without the seqs in `have`, as ranges. */
function splitRange(a: number, b: number, have: Set<number>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from: number | null = null;
  for (let seq = a; seq <= b; seq++) {
    if (have.has(seq)) {
      if (from !== null) out.push([from, seq - 1]);
      from = null;
    } else {
      from ??= seq;
    }
  }
  if (from !== null) out.push([from, b]);
  return out;
}

/**
 * The columns of the outbox table (agent/storage/db.ts) as exported, settled_at added later (so sometimes absent).
 * Schema 6 appended sale_txn_id, a copy of payload.sale_txn_id: a record may have one value more, not exported.
 */
const OUTBOX_COLUMNS = ['seq', 'id', 'op', 'txn_id', 'fingerprint', 'customer_id', 'payload', 'offline', 'amount', 'currency',
  'state', 'attempts', 'result', 'error', 'created_at', 'updated_at', 'settled_at'] as const;
const STATE_RANK: Record<string, number> = { pending: 0, dead: 1, done: 2 };

/** Outbox rows found on the file's pages; of two versions of a row (a freed page), the more settled one. */
function rawOutboxRows(file: string): Map<number, { row: Row; page: number }> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return new Map();
  }
  let best = new Map<number, { row: Row; page: number }>();
  for (const { pageSize, reserved } of candidateGeometries(bytes)) {
    const found = new Map<number, { row: Row; page: number }>();
    for (const record of leafRecords(bytes, pageSize, reserved)) {
      const row = asOutboxRow(record.rowid, record.values);
      if (!row) continue;
      const previous = found.get(record.rowid);
      if (!previous || newer(row, previous.row)) found.set(record.rowid, { row, page: record.page });
    }
    if (found.size > best.size) best = found;
  }
  return best;
}

function asOutboxRow(rowid: number, v: unknown[]): Row | null {
  if (v.length < OUTBOX_COLUMNS.length - 1 || v.length > OUTBOX_COLUMNS.length + 1) return null;
  if (v[0] !== null || typeof v[1] !== 'string' || typeof v[2] !== 'string' || !/^[a-z][a-z.]*$/.test(v[2])) return null;
  if (typeof v[10] !== 'string' || !(v[10] in STATE_RANK) || typeof v[14] !== 'string') return null;
  const row: Row = {};
  OUTBOX_COLUMNS.forEach((column, i) => { row[column] = i < v.length ? v[i] : null; });
  row.seq = rowid;
  return row;
}

function newer(a: Row, b: Row): boolean {
  const rank = STATE_RANK[a.state as string]! - STATE_RANK[b.state as string]!;
  return rank !== 0 ? rank > 0 : String(a.updated_at) > String(b.updated_at);
}

function isCorrupt(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB|IOERR)/.test(code);
}

export function describeLoss(report: SalvageReport): string {
  const ranges = report.lost.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  const count = report.lost.reduce((n, [a, b]) => n + b - a + 1, 0);
  const parts = [`${report.rows} row(s) exported`];
  if (report.recovered > 0) parts.push(`${report.recovered} of them read from the file's pages directly (key "recovered_from_page")`);
  if (report.lost.length > 0) parts.push(`seq ${ranges.join(', ')} unreadable (at most ${count} row(s), some may never have existed)`);
  if (report.garbled > 0) parts.push(`${report.garbled} row(s) with garbled JSON exported as raw text (key "garbled")`);
  if (report.unreadable) parts.push(`stopped: ${report.unreadable}`);
  return parts.join('; ');
}
