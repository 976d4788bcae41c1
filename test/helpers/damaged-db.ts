// Real SQLite files damaged byte-wise, the way a power cut on a cheap SSD or a bad sector does:
// pages are overwritten in place, nothing goes through SQLite.
import Database from 'better-sqlite3';
import { openSync, readSync, closeSync, writeSync, readFileSync } from 'node:fs';
import { openDb } from '../../agent/storage/db.ts';

/** An agent database holding `rows` delivered awards (txn ids `sale-1`…), closed and checkpointed. */
export function filledDatabase(file: string, rows: number): void {
  const db = openDb(file);
  const insert = db.prepare(`INSERT INTO outbox (id, op, txn_id, fingerprint, customer_id, payload, offline, amount, currency, state, result, created_at, updated_at)
      VALUES (?, 'award', ?, 'f', 'c-1', ?, 0, NULL, 'EUR', ?, ?, ?, ?)`);
  const at = new Date().toISOString();
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) {
      const payload = JSON.stringify({ customer_id: 'c-1', basket: { currency: 'EUR', total: i, note: 'x'.repeat(200) } });
      insert.run(`msg-${i}`, `sale-${i}`, payload, i % 2 === 0 ? 'done' : 'pending', i % 2 === 0 ? '{"award_amount":1}' : null, at, at);
    }
  })();
  db.close(); // the last close checkpoints the WAL into the file and removes it
}

function pageSize(file: string): number {
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  const size = header.readUInt16BE(16);
  return size === 1 ? 65536 : size;
}

/** Overwrites page `pgno` (1-based) with garbage, keeping nothing of it. */
export function garblePage(file: string, pgno: number): void {
  const size = pageSize(file);
  const fd = openSync(file, 'r+');
  try {
    const junk = Buffer.alloc(size);
    for (let i = 0; i < size; i++) junk[i] = (i * 131 + 7) & 0xff;
    writeSync(fd, junk, 0, size, (pgno - 1) * size);
  } finally {
    closeSync(fd);
  }
}

/** The root page of the outbox table (an interior page once the table spans several pages). */
export function outboxRootPage(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").get() as { rootpage: number }).rootpage;
  } finally {
    db.close();
  }
}

/** Root pages of the outbox's indexes. */
export function indexPages(file: string): number[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'").all() as Array<{ rootpage: number }>)
      .map((r) => r.rootpage);
  } finally {
    db.close();
  }
}

/** The table leaf pages (b-tree page type 13) that hold outbox rows, in file order. */
export function outboxLeafPages(file: string): number[] {
  const size = pageSize(file);
  const bytes = readFileSync(file);
  const pages: number[] = [];
  for (let p = 2; p * size <= bytes.length; p++) {
    const page = bytes.subarray((p - 1) * size, p * size);
    if (page[0] === 13 && page.includes('"basket"')) pages.push(p);
  }
  return pages;
}
