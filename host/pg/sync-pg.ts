// A synchronous PostgreSQL connection, so the host's handlers (written against the synchronous
// ledger interface, host/store.ts) run unchanged on PostgreSQL. The `pg` client lives in a
// worker thread; query() posts the statement to it and blocks on Atomics.wait until the worker
// has put the answer on the port, exactly as better-sqlite3 blocks on the file. The host
// processes one request at a time per process anyway (consumer.ts); fleet scale comes from
// several processes, each with its own connection.
//
//   caller ──postMessage(sql, params)──▶ worker: pg.Client.query ──postMessage(rows)──▶ port
//      └── Atomics.wait(signal) ◀──────────────── Atomics.notify(signal) ──┘  receiveMessageOnPort
//
// The worker is an eval'd CommonJS script (not a module file): it then runs the same under tsx
// (tests) and from build/ (a .ts worker file would not load in a tsx-run parent on Node 20).
import { createRequire } from 'node:module';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { watchdogWhileBlocked } from '../../runtime/sd-notify.ts';

export interface PgConnectionOptions {
  /** postgres://USER@HOST:PORT/DATABASE (pg's connection string; query parameters such as sslmode apply). */
  url: string;
  /** From password_file or TILL_HOST_PG_PASSWORD; never logged, never in an error message. */
  password?: string;
  /** Every table lives in this schema (search_path); created if missing. */
  schema: string;
  application_name?: string;
}

/** SQLSTATEs after which the whole transaction is worth running again (host/store.ts). */
const CONFLICT_CODES = new Set(['40001', '40P01']);

/** A serialization failure or deadlock: not the message's fault, the transaction runs again. */
export function isConflictError(error: unknown): boolean {
  return error instanceof PgError && error.code !== undefined && CONFLICT_CODES.has(error.code);
}

/**
 * The server could not be reached or is not taking sessions yet (down, restarting, failing over,
 * a name not resolvable yet at boot): worth waiting for. Not a wrong password, database, role or
 * right, which waiting does not mend. Node's socket errors carry their errno name as the code.
 */
export function isUnreachableError(error: unknown): boolean {
  if (!(error instanceof PgError)) return false;
  const code = error.code;
  return code === undefined || /^E[A-Z]+$/.test(code) || code.startsWith('08') || UNREACHABLE_CODES.has(code);
}
/** admin_shutdown, crash_shutdown, cannot_connect_now (starting up, shutting down, in recovery), too_many_connections. */
const UNREACHABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

export class PgError extends Error {
  constructor(message: string, readonly code: string | undefined, readonly detail?: string) {
    super(message);
    this.name = 'PgError';
  }
}

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** The statements the ledger's parts run over one connection (pg-ledger.ts, pg-user-offers.ts, pg-credit.ts). */
export interface Sql {
  all<R>(text: string, params?: readonly unknown[]): R[];
  get<R>(text: string, params?: readonly unknown[]): R | undefined;
  run(text: string, params?: readonly unknown[]): number;
}

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const pg = require(workerData.pgPath);
const { parse } = require(require.resolve('pg-connection-string', { paths: [workerData.pgPath] }));
const { port, signal, options } = workerData;
// BIGINT (20) and NUMERIC (1700, sums) as numbers: amounts stay within ±2^53 (protocol/money.ts).
const types = { getTypeParser: (oid, format) => (oid === 20 || oid === 1700 ? Number : pg.types.getTypeParser(oid, format)) };
// The URL parsed here, not given as connectionString: pg lays what it parses from a connectionString
// over the other options, and a URL without a password parses to password '', so the password
// (password_file, TILL_HOST_PG_PASSWORD) never reached the server.
const config = parse(options.url);
if (options.password !== undefined) config.password = options.password;
const client = new pg.Client({
  ...config, application_name: options.application_name, connectionTimeoutMillis: options.connectTimeoutMs, types,
});
let broken;
// Statements with parameters run as named prepared statements, one per distinct text: the server
// parses them once per connection and keeps their plans, instead of parsing and planning each
// execution (the host runs the same ~30 texts all day). Bounded, in case a text is ever built per call.
const names = new Map();
const MAX_NAMED = 256;
let named = 0;
client.on('error', (e) => { broken = e; });
const reply = (message) => {
  port.postMessage(message);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
};
const fail = (e) => reply({ ok: false, message: String(e && e.message || e), code: e && e.code, detail: e && e.detail });
port.on('message', async (m) => {
  try {
    if (m.connect) {
      await client.connect();
      return reply({ ok: true, rows: [], rowCount: 0 });
    }
    if (broken) return fail(broken);
    let name;
    if (m.params && m.params.length > 0) {
      name = names.get(m.sql);
      if (name === undefined && names.size < MAX_NAMED) { name = 'h' + ++named; names.set(m.sql, name); }
    }
    let r;
    try {
      r = await client.query({ name, text: m.sql, values: m.params });
    } catch (e) {
      // "cached plan must not change result type": a table changed under a prepared SELECT * (another
      // host migrated the schema). The statement fails this once; the next run prepares a new one.
      if (name !== undefined && e && e.code === '0A000') names.delete(m.sql);
      throw e;
    }
    reply({ ok: true, rows: r.rows || [], rowCount: r.rowCount || 0 });
  } catch (e) {
    fail(e);
  }
});
`;

const CONNECT_TIMEOUT_MS = 10_000;
/** A query that takes longer is abandoned with its connection (statement_timeout cancels it server side first). */
const QUERY_TIMEOUT_MS = 60_000;
/** A wait is cut in slices this long so that systemd's watchdog pings go on meanwhile (runtime/sd-notify.ts). */
const WAIT_SLICE_MS = 250;

export class SyncPg {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  /** Set when a statement failed with a serialization failure or deadlock (cleared by the caller). */
  conflicted = false;

  constructor(private readonly options: PgConnectionOptions) {}

  get connected(): boolean {
    return this.worker !== undefined;
  }

  /** Connects (again, after a lost connection). Throws a PgError naming the server, never the password. */
  connect(): void {
    if (this.worker) return;
    const { port1, port2 } = new MessageChannel();
    const pgPath = createRequire(import.meta.url).resolve('pg');
    const options = {
      url: this.options.url, password: this.options.password, connectTimeoutMs: CONNECT_TIMEOUT_MS,
      application_name: this.options.application_name ?? 'till-host',
    };
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true, workerData: { pgPath, port: port2, signal: this.signal, options }, transferList: [port2],
    });
    const worker = this.worker;
    worker.unref();
    // Only this worker's own end: an old one may exit after a reconnect started a new one.
    const gone = () => { if (this.worker === worker) this.drop(); };
    worker.on('error', gone);
    worker.on('exit', gone);
    this.port = port1;
    try {
      this.call({ connect: true }, CONNECT_TIMEOUT_MS + 1000);
      this.query(`SET search_path TO ${quoteIdent(this.options.schema)}`);
      this.query(`SET statement_timeout = ${QUERY_TIMEOUT_MS - 5000}`);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): QueryResult<R> {
    if (!this.worker) throw new PgError('not connected to PostgreSQL', '08003');
    try {
      return this.call({ sql, params }, QUERY_TIMEOUT_MS) as QueryResult<R>;
    } catch (error) {
      if (isConflictError(error)) this.conflicted = true;
      // A connection-level failure (no SQLSTATE, or class 08): start again with a new connection.
      if (!(error instanceof PgError) || error.code === undefined || error.code.startsWith('08') || error.code === '57P01') this.close();
      throw error;
    }
  }

  close(): void {
    const worker = this.worker;
    this.drop();
    void worker?.terminate();
  }

  private drop(): void {
    this.port?.close();
    this.port = undefined;
    this.worker = undefined;
  }

  private call(message: object, timeoutMs: number): QueryResult<unknown> {
    const port = this.port;
    if (!port) throw new PgError('not connected to PostgreSQL', '08003');
    Atomics.store(this.signal, 0, 0);
    port.postMessage(message);
    const deadline = performance.now() + timeoutMs;
    let answer: { ok: true; rows: unknown[]; rowCount: number } | { ok: false; message: string; code?: string; detail?: string } | undefined;
    for (;;) {
      const left = deadline - performance.now();
      const woke = Atomics.wait(this.signal, 0, 0, Math.max(0, Math.min(left, WAIT_SLICE_MS)));
      answer = receiveMessageOnPort(port)?.message as typeof answer;
      if (answer) break;
      if (woke === 'timed-out' && left > WAIT_SLICE_MS) {
        watchdogWhileBlocked();
        continue;
      }
      if (woke === 'timed-out') {
        this.close();
        throw new PgError(`PostgreSQL did not answer within ${timeoutMs} ms`, undefined);
      }
      // Woken with no answer. 'ok': the previous answer's notify, late (the flag is still 0): wait
      // again. 'not-equal': the previous answer's 1, late. The worker posts, then stores 1 and
      // notifies; a wake-up between the two took that answer before its 1, which then landed after
      // this statement's 0 (CI, 2026-12-01: 'the PostgreSQL worker stopped' on a healthy worker).
      // Take the stale 1 back and look once more: this statement's answer is posted before its own
      // 1, so it is on the port now or its 1 is still to come.
      if (woke === 'not-equal') {
        Atomics.compareExchange(this.signal, 0, 1, 0);
        answer = receiveMessageOnPort(port)?.message as typeof answer;
        if (answer) break;
      }
    }
    if (!answer.ok) throw new PgError(answer.message, answer.code, answer.detail);
    return { rows: answer.rows, rowCount: answer.rowCount };
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
