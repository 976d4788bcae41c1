// 2. better-sqlite3 alone, without the outbox's bookkeeping: prepared inserts, 100 rows per
//    commit, WAL + synchronous=FULL (as agent/storage/db.ts). Once into the outbox schema with its
//    indexes, once into a bare two-column table; plus the disk's own fsync latency, the
//    floor under every commit.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDb, type Db } from '../agent/storage/db.ts';
import type { Result } from './report.ts';
import { awardAppend } from './sample-sale.ts';
import { perSecond, summarize } from './stats.ts';
import { withTempDir } from './temp-dir.ts';

const SECTION = '2. Raw better-sqlite3: 100 rows per commit (WAL, synchronous=FULL)';
const ROWS = 100_000;
const ROWS_PER_COMMIT = 100;
const FSYNCS = 500;

type Shape = 'outbox' | 'bare';

function open(shape: Shape, file: string): { db: Db; insert: (i: number) => void } {
  if (shape === 'outbox') {
    const db = openDb(file);
    const stmt = db.prepare(`INSERT INTO outbox (id, op, txn_id, fingerprint, customer_id, payload, offline, amount, currency, state, created_at, updated_at)
      VALUES (?, 'award', ?, ?, ?, ?, 0, NULL, 'EUR', 'pending', ?, ?)`);
    const sample = awardAppend('x');
    const payload = JSON.stringify(sample.payload);
    return {
      db,
      insert: (i) => stmt.run(randomUUID(), `raw-${i}`, sample.fingerprint, sample.customer_id, payload, sample.created_at, sample.created_at),
    };
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
  const stmt = db.prepare('INSERT INTO t (payload) VALUES (?)');
  const payload = JSON.stringify(awardAppend('x').payload);
  return { db, insert: () => stmt.run(payload) };
}

async function insertRate(shape: Shape, rows: number): Promise<{ rowsPerSecond: number; commitP99Ms: number }> {
  return withTempDir(`sqlite-${shape}`, async (dir) => {
    const { db, insert } = open(shape, join(dir, 'raw.db'));
    try {
      const commit = db.transaction((from: number) => {
        for (let i = from; i < from + ROWS_PER_COMMIT; i++) insert(i);
      });
      const commitMs: number[] = [];
      const start = performance.now();
      for (let from = 0; from < rows; from += ROWS_PER_COMMIT) {
        const t0 = performance.now();
        commit(from);
        commitMs.push(performance.now() - t0);
      }
      const elapsed = performance.now() - start;
      return { rowsPerSecond: perSecond(rows, elapsed), commitP99Ms: summarize(commitMs).p99 };
    } finally {
      db.close();
    }
  });
}

async function fsyncLatency(): Promise<{ p50: number; p99: number }> {
  return withTempDir('fsync', async (dir) => {
    const fd = openSync(join(dir, 'probe'), 'w');
    const page = Buffer.alloc(4096, 1);
    const samples: number[] = [];
    try {
      for (let i = 0; i < FSYNCS; i++) {
        writeSync(fd, page);
        const t0 = performance.now();
        fdatasyncSync(fd);
        samples.push(performance.now() - t0);
      }
    } finally {
      closeSync(fd);
    }
    const s = summarize(samples);
    return { p50: s.p50, p99: s.p99 };
  });
}

async function median<T>(runs: number, run: () => Promise<T>, key: (t: T) => number): Promise<{ median: T; min: number; max: number }> {
  const all: T[] = [];
  for (let i = 0; i < runs; i++) all.push(await run());
  all.sort((a, b) => key(a) - key(b));
  return { median: all[Math.floor(all.length / 2)]!, min: key(all[0]!), max: key(all[all.length - 1]!) };
}

export async function sqliteBench(runs = 3): Promise<Result[]> {
  const r = (name: string, value: number, unit: string, note?: string): Result =>
    ({ section: SECTION, name, value, unit, ...(note ? { note } : {}) });
  const spread = (m: { min: number; max: number }) =>
    runs > 1 ? `median of ${runs} runs (${Math.round(m.min).toLocaleString('en-US')}–${Math.round(m.max).toLocaleString('en-US')})` : undefined;
  const fsync = await fsyncLatency();
  const outbox = await median(runs, () => insertRate('outbox', ROWS), (x) => x.rowsPerSecond);
  const bare = await median(runs, () => insertRate('bare', ROWS), (x) => x.rowsPerSecond);
  return [
    r('disk fdatasync of a 4 KiB append p50', fsync.p50, 'ms'),
    r('disk fdatasync of a 4 KiB append p99', fsync.p99, 'ms'),
    r(`outbox schema + indexes: insert rate (${ROWS.toLocaleString('en-US')} rows)`, outbox.median.rowsPerSecond, 'rows/s', spread(outbox)),
    r('outbox schema + indexes: commit p99', outbox.median.commitP99Ms, 'ms'),
    r(`bare (id, payload) table: insert rate (${ROWS.toLocaleString('en-US')} rows)`, bare.median.rowsPerSecond, 'rows/s', spread(bare)),
    r('bare (id, payload) table: commit p99', bare.median.commitP99Ms, 'ms'),
  ];
}
