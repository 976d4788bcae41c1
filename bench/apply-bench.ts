// The host's apply path alone, in this process: HostService.handle on a ledger seeded with
// host/seed.sample.yaml, chained requests of 200 awards (the sample basket, the four sample
// customers in turn) from one till, as a backlog drain delivers them. No broker, no agent: what
// one host process spends per award, and how many statements (PostgreSQL: round trips) that takes.
//
//   npx tsx bench/apply-bench.ts [sqlite|postgres] [requests=20] [per_request=200]
//
// Prints one JSON line; with --statements, also each statement and how often it ran (counting
// wraps every statement call, which costs CPU of its own: compare rates without it).
// PostgreSQL: TILL_BENCH_PG_URL or postgres://postgres@127.0.0.1:5432/test, a schema of its own, dropped.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { Ledger } from '../host/ledger.ts';
import { silentLogger } from '../runtime/log.ts';
import { PgLedger } from '../host/pg/pg-ledger.ts';
import { SyncPg } from '../host/pg/sync-pg.ts';
import type { Batch } from '../host/batch.ts';
import { applySeed, loadSeedFile } from '../host/seed.ts';
import { HostService } from '../host/service.ts';
import { SAMPLE_SEED, sampleBasket } from './sample-sale.ts';
import { withTempDir } from './temp-dir.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const store = args[0] === 'postgres' ? 'postgres' : 'sqlite';
const requests = Number(args[1] ?? 20);
const perRequest = Number(args[2] ?? 200);
const listStatements = process.argv.includes('--statements');
const PG_URL = process.env.TILL_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CUSTOMERS = ['P-1001', 'P-1002', 'P-1003', 'P-1004'];

const counts = new Map<string, number>();
const note = (sql: string) => {
  const key = sql.replace(/\s+/g, ' ').slice(0, 100);
  counts.set(key, (counts.get(key) ?? 0) + 1);
};

function countSqlite(db: Database.Database): void {
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const statement = prepare(sql);
    return new Proxy(statement, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key);
        if (typeof value !== 'function') return value;
        const bound = (value as (...a: unknown[]) => unknown).bind(target);
        return key === 'run' || key === 'get' || key === 'all' ? (...a: unknown[]) => { note(sql); return bound(...a); } : bound;
      },
    });
  }) as typeof db.prepare;
  const exec = db.exec.bind(db);
  db.exec = ((sql: string) => { note(sql); return exec(sql); }) as typeof db.exec;
}

function countPg(): void {
  const query = SyncPg.prototype.query;
  SyncPg.prototype.query = function (this: SyncPg, ...a: Parameters<typeof query>) {
    note(a[0]);
    return query.apply(this, a);
  } as typeof query;
}

function dropSchema(schema: string): void {
  const conn = new SyncPg({ url: PG_URL, schema: 'public' });
  conn.connect();
  try {
    conn.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    conn.close();
  }
}

await withTempDir('apply', async (dir) => {
  const schema = `apply_bench_${process.pid}`;
  if (store === 'postgres' && listStatements) countPg();
  const ledger = store === 'postgres' ? PgLedger.open({ url: PG_URL, schema }) : Ledger.open(`${dir}/host.db`);
  try {
    if (store === 'sqlite' && listStatements) countSqlite((ledger as unknown as { db: Database.Database }).db);
    applySeed(ledger, loadSeedFile(fileURLToPath(SAMPLE_SEED)), silentLogger());
    const service = new HostService(
      ledger, { timezone: 'Europe/Paris', reduction: 'front_end', default_product: { sku: 'UNKNOWN', name: 'Unknown product' } }, silentLogger(),
    );
    const source = { merchant: 'M1', store: 'S001', terminal: 'T1' };
    let seq = 0;
    const next = (): Batch => {
      const after = seq;
      const items = Array.from({ length: perRequest }, () => {
        seq++;
        const message = {
          id: randomUUID(), op: 'award' as const, txn_id: `apply-${seq}`, seq, created_at: new Date().toISOString(),
          payload: { customer_id: CUSTOMERS[seq % CUSTOMERS.length]!, basket: sampleBasket() },
        };
        return { ok: true as const, message };
      });
      return { request_id: randomUUID(), reply_to: 'till/v1/M1/S001/T1/res', source, items, chain: after === 0 ? { start: true } : { after } } as unknown as Batch;
    };
    service.handle(next()); // warm-up: statement caches, JIT
    counts.clear();
    const cpu = process.cpuUsage();
    const started = performance.now();
    let failed = 0;
    for (let i = 0; i < requests; i++) failed += service.handle(next()).failed;
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const awards = requests * perRequest;
    const statements = [...counts.values()].reduce((s, n) => s + n, 0);
    console.log(JSON.stringify({
      store, awards, failed, awards_per_s: Math.round((awards / ms) * 1000), cpu_us_per_award: Math.round((used.user + used.system) / awards),
      ...(listStatements ? { statements_per_award: Number((statements / awards).toFixed(2)) } : {}),
    }));
    if (listStatements) for (const [sql, n] of [...counts].sort((a, b) => b[1] - a[1])) console.log(String(n).padStart(7), sql);
  } finally {
    ledger.close();
    if (store === 'postgres') dropSchema(schema);
  }
});
