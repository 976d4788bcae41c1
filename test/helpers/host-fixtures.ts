// Builders for host tests: a small seed, upstream messages and requests.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Basket } from '../../protocol/basket.ts';
import type { TillIdentity, UpstreamMessage, UpstreamRequest, UpstreamResult } from '../../protocol/upstream.ts';
import { HostService } from '../../host/service.ts';
import { Ledger } from '../../host/ledger.ts';
import { silentLogger } from '../../runtime/log.ts';
import { applySeed, loadSeedFile } from '../../host/seed.ts';
import Database from 'better-sqlite3';
import { PgLedger } from '../../host/pg/pg-ledger.ts';
import { TEST_PG_URL, pgQuery, pgTestLedger } from './pg.ts';
import { tempDir } from './tmp.ts';

export const TEST_SEED = `
participants:
  - id: P1
    name: Alice
    tier: gold
    identifiers:
      card: ["6006 4912 3456 7890"]
      phone: ["+33 6 12 34 56 78"]
      email: ["Alice@Example.com"]
      token: ["tok_alice"]
    balance: { amount: 1000, currency: EUR }
  - id: P2
    name: Bruno
    identifiers: { card: ["6006491234567908"] }
    balance: { amount: 500, currency: EUR }
    automatic_spend: true
  - id: P3
    name: Chiara
    identifiers: { card: ["6006491234567916"] }
    balance: { amount: 0, currency: EUR }
  - id: P4
    name: Dollar Dan
    identifiers: { card: ["6006491234567924"] }
    balance: { amount: 100, currency: USD }
offers:
  - { id: ALL10, name: 10% on everything, percent: 10 }
  - id: CROISSANT
    name: 0.50 off a croissant
    amount: 50
    currency: EUR
    instant: true
    conditions: { skus: [CROISSANT] }
products:
  - { sku: CROISSANT, name: Croissant, categories: [bakery] }
  - { sku: COFFEE, name: Coffee, categories: [hot-drinks] }
`;

export const SOURCE: TillIdentity = { merchant: 'M1', store: 'S1', terminal: 'T1' };

export function basket(items: Array<[sku: string, amount: number]>, currency = 'EUR'): Basket {
  const total = items.reduce((s, [, a]) => s + a, 0);
  return { currency, total, items: items.map(([sku, amount]) => ({ sku, qty: 1, unit_price: amount, amount })) };
}

let counter = 0;
const nextId = () => `m-${process.pid}-${++counter}`;
const CREATED_AT = '2026-03-04T10:00:00Z';

type Payload<O extends UpstreamMessage['op']> = Extract<UpstreamMessage, { op: O }>['payload'];

export function message<O extends UpstreamMessage['op']>(
  op: O, payload: Payload<O>, opts: { id?: string; txn_id?: string | null; created_at?: string } = {},
): UpstreamMessage {
  return { id: opts.id ?? nextId(), op, txn_id: opts.txn_id ?? null, created_at: opts.created_at ?? CREATED_AT, payload } as UpstreamMessage;
}

export const award = (customer_id: string, b: Basket, txn_id: string, id?: string) =>
  message('award', { customer_id, basket: b }, { txn_id, ...(id ? { id } : {}) });
export const spend = (customer_id: string, amount: number, txn_id: string, offline = false, currency = 'EUR') =>
  message('spend', { customer_id, amount, currency, offline }, { txn_id });
export const voidTxn = (txn_id: string, reason?: string) => message('void', reason ? { reason } : {}, { txn_id });

export function request(messages: UpstreamMessage[], source: TillIdentity = SOURCE, replyTo = 'till/v1/M1/S1/T1/res'): UpstreamRequest {
  return { v: 1, request_id: `r-${nextId()}`, reply_to: replyTo, source, sent_at: new Date().toISOString(), messages };
}

interface T { teardown(fn: () => unknown): void }

export async function writeSeed(dir: string, text = TEST_SEED, name = 'seed.yaml'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/**
 * The store host tests run against: SQLite unless TILL_TEST_HOST_STORE=postgres (test/host/postgres/
 * runs the same behaviour tests so, each in its own PostgreSQL schema).
 */
export const TEST_STORE = process.env.TILL_TEST_HOST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** What a test may do to the store behind the host's back (as an operator or a disk fault would). */
export interface StoreAccess {
  /** Another connection to the same store, as a second host process has. */
  openAgain(): Ledger;
  /** Runs SQL valid on both stores directly on the database (outside any host transaction). */
  exec(sql: string): Promise<void>;
  /** Inserts of ledger entries of this txn (and kind) fail as a storage fault would, until the returned function is called. */
  failEntries(txnId: string, kind?: string): Promise<() => Promise<void>>;
}

function sqliteAccess(t: T, file: string): StoreAccess {
  const db = () => {
    const d = new Database(file);
    t.teardown(() => d.close());
    return d;
  };
  return {
    openAgain() {
      const other = Ledger.open(file);
      t.teardown(() => other.close());
      return other;
    },
    async exec(sql) {
      db().exec(sql);
    },
    async failEntries(txnId, kind) {
      const d = db();
      d.exec(`CREATE TRIGGER injected_fault BEFORE INSERT ON entries WHEN NEW.txn_id = '${txnId}'${kind ? ` AND NEW.kind = '${kind}'` : ''}
        BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
      return async () => void d.exec('DROP TRIGGER injected_fault');
    },
  };
}

function pgAccess(t: T, schema: string): StoreAccess {
  return {
    openAgain() {
      const other = PgLedger.open({ url: TEST_PG_URL, schema });
      t.teardown(() => other.close());
      return other;
    },
    async exec(sql) {
      await pgQuery(schema, sql);
    },
    async failEntries(txnId, kind) {
      await pgQuery(schema, `CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
          IF NEW.txn_id = '${txnId}'${kind ? ` AND NEW.kind = '${kind}'` : ''} THEN RAISE EXCEPTION 'injected failure'; END IF;
          RETURN NEW; END $$;
        CREATE TRIGGER injected_fault BEFORE INSERT ON entries FOR EACH ROW EXECUTE FUNCTION injected_fault();`);
      return async () => void await pgQuery(schema, 'DROP TRIGGER injected_fault ON entries; DROP FUNCTION injected_fault();');
    },
  };
}

/** A ledger in a fresh temp dir (or PostgreSQL schema) with TEST_SEED applied. */
export async function seededLedger(t: T): Promise<{ ledger: Ledger; dir: string; file: string; store: StoreAccess }> {
  const dir = await tempDir(t, 'till-host-');
  const file = join(dir, 'host.db');
  let ledger: Ledger;
  let store: StoreAccess;
  if (TEST_STORE === 'postgres') {
    const pg = pgTestLedger(t);
    ledger = pg.ledger;
    store = pgAccess(t, pg.schema);
  } else {
    const sqlite = Ledger.open(file);
    t.teardown(() => sqlite.close());
    ledger = sqlite;
    store = sqliteAccess(t, file);
  }
  applySeed(ledger, loadSeedFile(await writeSeed(dir)), silentLogger());
  return { ledger, dir, file, store };
}

const FRONT_END_SETTINGS = { timezone: 'UTC', reduction: 'front_end' as const, default_product: { sku: 'UNKNOWN', name: 'Unknown product' } };

/** A host service on the seeded ledger (front-end reduction) and `one`: a request's first result, which must be ok. */
export async function seededService(t: T) {
  const { ledger } = await seededLedger(t);
  const service = new HostService(ledger, FRONT_END_SETTINGS, silentLogger());
  const one = (req: UpstreamRequest): Record<string, unknown> => {
    const r: UpstreamResult | undefined = service.handle({
      request_id: req.request_id, reply_to: req.reply_to, source: req.source, items: req.messages.map((m) => ({ ok: true, message: m })),
    }).response.results[0];
    if (!r?.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`);
    return r.result;
  };
  return { ledger, one };
}
