// The durable outbox: every money request is committed here (fsynced) before the POS
// hears "yes", and leaves only when the host's answer for it has arrived.
//
//   append() ─┐ same tick ┌─> one transaction, one fsync ─> resolve all callers
//   append() ─┘           │
//
// The fsync of a group commit runs off the event loop (WAL mode): the transaction commits
// without syncing (synchronous=NORMAL for that commit only), then the WAL file is fdatasync'd on
// the thread pool, and only then are the callers answered: by the first fsync to complete that
// began after their commit. Meanwhile the loop parses the next requests and commits them once a turn
// of the loop brings no more (a larger group); their fsync begins at once on the WAL's other
// descriptor (SYNCS_IN_FLIGHT), or, with both busy, when one completes.
// Until its fsync completes, a commit's rows are not handed to the forwarder (nextPending), so
// the host never applies a row a power cut could still take back — except rows appended with
// appendEarly (online award, void, refund: agent/ops/outcome.ts, EARLY_OPS), which may be sent
// while their fsync runs; their callers still answer the POS only after it (UPSTREAM.md,
// "Online requests: the local fsync overlaps the round trip").
// Rows move pending → done | dead; dead → pending on retry. Nothing is ever deleted
// except done rows older than the retention window (in trusted time, a sale's rows together).
import type { Statement } from 'better-sqlite3';
import { AgentError } from '../../protocol/errors.ts';
import { isoString } from '../../protocol/iso-time.ts';
import { DURABLE_OPS, type DurableOp, type HostResult, type UpstreamError } from '../../protocol/upstream.ts';
import { parseKept } from '../../runtime/kept-json.ts';
import { WalSync, type SyncFn } from '../../runtime/wal-sync.ts';
import { WalCheckpointer } from '../../runtime/wal-checkpointer.ts';
import { isDiskFull, withoutFsync, type Db } from '../storage/db.ts';
import { observed, type WriteObserver } from '../storage/storage-health.ts';
import { checkResult, readResult, type ReadResult } from './host-results.ts';
import { payloadJson } from './request-json.ts';

export type OutboxState = 'pending' | 'done' | 'dead';

export interface OutboxRow {
  seq: number;
  id: string;
  op: DurableOp;
  txn_id: string | null;
  fingerprint: string;
  customer_id: string | null;
  payload: Record<string, unknown>;
  offline: boolean;
  amount: number | null;
  currency: string | null;
  state: OutboxState;
  attempts: number;
  /**
   * The host's answer to a done row, checked against its op's schema (null: none yet, or
   * unreadable). Read it with resultOf(row, op) / answerOf / balanceOf (host-results.ts).
   */
  result: HostResult | null;
  /** A done row whose ok answer does not match its op's schema: which fields. The host applied it. */
  result_error?: string;
  error: UpstreamError | null;
  created_at: string;
  updated_at: string;
  /** When the host's answer was recorded, in trusted time (agent/till-clock.ts); null while pending. */
  settled_at?: string | null;
}

/** What a caller commits; the outbox adds seq, state, attempts, result, error, updated_at and settled_at. */
export type AppendInput = Omit<OutboxRow, 'seq' | 'state' | 'attempts' | 'result' | 'result_error' | 'error' | 'updated_at' | 'settled_at'>;

export type AppendOutcome =
  | { kind: 'created'; row: OutboxRow }
  | { kind: 'existing'; row: OutboxRow }
  | { kind: 'conflict'; row: OutboxRow };

/** A spend approved offline, not yet confirmed: its place in the outbox and the amount approved. */
export interface OfflineSpend {
  seq: number;
  amount: number;
}

export interface OutboxStats {
  pending: number;
  dead: number;
  oldest_pending_at: string | null;
  /** Ok answers that did not match their op's schema, ever settled on this till (host-results.ts). */
  unreadable: number;
}

/** One products.sync batch as products.status reports it (read without its products). */
export interface ProductBatchRow {
  id: string;
  state: OutboxState;
  mode: string | null;
  batch: number;
  last: boolean;
  products: number;
  result: HostResult<'products.sync'> | null;
  result_error?: string;
  error: UpstreamError | null;
}

/** A SKU an earlier batch of the same products.sync carries, where (its batch number and index in it). */
export interface ProductSkuSent {
  sku: string;
  batch: number;
  index: number;
}

/**
 * appendEarly's answer: the outcome once committed (in the WAL, maybe not yet on disk), and a
 * promise that resolves once it is on disk, or rejects with the storage error if the fsync fails.
 */
export interface EarlyAppend {
  outcome: AppendOutcome;
  durable: Promise<void>;
}

/** A host's answer to one message, as it arrived: settle() checks an ok result against the message's op. */
export type Outcome =
  /** checked: checkResult(op, result), when the caller already has it (the forwarder's answer-first rows). */
  | { id: string; ok: true; result: Record<string, unknown>; checked?: ReadResult }
  | { id: string; ok: false; error: UpstreamError };

/**
 * What the agent asks of an outbox, whatever keeps it (the SQLite Outbox below is the one we
 * have): test/agent/outbox-contract.ts is the suite every implementation must pass, and the
 * forwarder, the ops and the offline policy take this interface, not the class.
 */
export interface OutboxStore {
  /**
   * Commit one message; resolves only once it is durable. Same (op, txn_id): existing or conflict.
   * A new award, redeem or voucher.redeem for a sale whose void is here (not a dead letter) rejects
   * with CONFLICT, nothing committed (LOCAL.md "The sale flow", step 5); so do appendAll and appendEarly.
   */
  append(input: AppendInput): Promise<AppendOutcome>;
  /** Commit several messages atomically. */
  appendAll(items: AppendInput[]): Promise<AppendOutcome[]>;
  /**
   * Commit one message that may be sent before it is durable: resolves once committed (the
   * forwarder may hand a created row to the host from then on); `durable` settles with the fsync.
   * Only for ops whose host dedups by (till, op, txn_id): see agent/ops/outcome.ts. Optional: an
   * outbox without it is used through append().
   */
  appendEarly?(input: AppendInput): Promise<EarlyAppend>;
  get(id: string): OutboxRow | undefined;
  findByTxn(op: DurableOp, txnId: string): OutboxRow | undefined;
  /** findByTxn's row if its seq is after afterSeq, else undefined (an award's later void). */
  findByTxnAfter(op: DurableOp, txnId: string, afterSeq: number): OutboxRow | undefined;
  /** The redeem rows of a sale (payload.txn_id). */
  redemptionsOf(saleTxnId: string): OutboxRow[];
  /** Every row with this txn_id, in order. */
  forTxn(txnId: string): OutboxRow[];
  /** Rows of `op` that name txnId as their sale (payload.sale_txn_id). */
  forSale(op: DurableOp, txnId: string): OutboxRow[];
  /** Pending rows in FIFO order after `afterSeq`. */
  nextPending(limit: number, afterSeq?: number): OutboxRow[];
  /**
   * Count a send of these rows (before their answer can arrive: the forwarder calls it right after
   * the send). A row whose send was already counted by its commit (precountSends) is skipped once.
   */
  markAttempt(ids: string[]): void;
  /**
   * The forwarder says how many rows it sends the moment they are committed (0: none now; undefined:
   * no forwarder). A commit of early rows (appendEarly) it would all send at once, with no other row
   * pending, counts their first send in the commit itself: one write transaction fewer per online
   * award, and the count is on disk before the request leaves, so a send that kills the agent is
   * counted too. Optional: without it every send is counted by markAttempt.
   */
  precountSends?(sendsAtOnce: (() => number) | undefined): void;
  /**
   * Apply the host's answers: pending rows become done or dead; returns the rows that changed. An
   * ok answer that does not match its op's schema still makes the row done (the host applied it):
   * it comes back with result null and result_error, and counts in stats().unreadable.
   */
  settle(outcomes: Outcome[]): OutboxRow[];
  withholdReductions(id: string): OutboxRow | undefined;
  /** Dead rows back to pending (one, or all with null); how many. */
  retry(id: string | null): number;
  stats(): OutboxStats;
  /**
   * True when no row is pending, known without a read (false: some may be; ask stats()). Optional:
   * an outbox without it is asked stats() every time.
   */
  nonePending?(): boolean;
  /** Rows in `state`, in seq order: the oldest `limit` pending or dead ones, the newest `limit` done ones. */
  list(state: OutboxState, limit: number): OutboxRow[];
  pendingSpend(customerId: string, currency: string): number;
  /** A customer's spends approved offline and not yet confirmed by the host, every sale's, in order (receipts). */
  offlineSpendsOf(customerId: string, currency: string): OfflineSpend[];
  /**
   * The customer's newest delivered row whose answer reports their balance (award, spend, void,
   * refund), by seq (the order the host applied them), or undefined. The last known balance of a
   * customer the identify cache does not hold (ops/known-balance.ts): offline spends only.
   */
  lastBalanceRow(customerId: string): OutboxRow | undefined;
  offlineSpendExposure(): Array<{ currency: string; count: number; amount: number; since: string }>;
  productBatches(syncId: string): ProductBatchRow[];
  /** Which of `skus` the batches of products.sync `syncId` already carry: the first batch and index of each. */
  productSkusSent(syncId: string, skus: readonly string[]): ProductSkuSent[];
  pruneDone(olderThan: Date): number;
  /** Resolves once every append made so far has committed. */
  drainWrites(): Promise<void>;
  /** Upkeep the forwarder runs just after sending, while the host has the request (a WAL checkpoint). */
  checkpointIfDue?(): void;
}

/**
 * The columns an OutboxRow is read from: every one but sale_txn_id (schema 6), the payload's copy kept
 * for the index outbox_sale. Read in raw mode (rowStatement): an array in this order.
 */
const ROW_COLUMNS = 'seq, id, op, txn_id, fingerprint, customer_id, payload, offline, amount, currency, state, ' +
  'attempts, result, error, created_at, updated_at, settled_at';

/** A row read in object mode (`SELECT *` of another reader: agent/receipts/txn-records.ts). */
interface RowRecord extends Omit<OutboxRow, 'payload' | 'offline' | 'result' | 'error'> {
  payload: string;
  offline: number;
  result: string | null;
  error: string | null;
}

/** An outbox row read as an object (readers of the file with their own statements). */
/** A customer's newest delivered row whose answer reports their balance (lastBalanceRow; receipts/txn-records.ts). */
export const LAST_BALANCE_ROW = `FROM outbox WHERE customer_id = ? AND state = 'done'
  AND json_type(result, '$.balance') = 'object' ORDER BY seq DESC LIMIT 1`;

export function decode(raw: RowRecord): OutboxRow {
  const { result, result_error } = readResult(raw.op, raw.result);
  const row: OutboxRow = {
    ...raw,
    payload: JSON.parse(raw.payload) as Record<string, unknown>,
    offline: raw.offline === 1,
    result,
    error: raw.error === null ? null : (JSON.parse(raw.error) as UpstreamError),
  };
  if (result_error !== undefined) row.result_error = result_error;
  return row;
}

type RawRow = [
  seq: number, id: string, op: DurableOp, txn_id: string | null, fingerprint: string, customer_id: string | null,
  payload: string, offline: number, amount: number | null, currency: string | null, state: OutboxState, attempts: number,
  result: string | null, error: string | null, created_at: string, updated_at: string, settled_at: string | null,
];

/**
 * A statement that reads ROW_COLUMNS, in better-sqlite3's raw mode: each row comes back as an array and
 * decodeRaw() builds the OutboxRow in one object literal. In object mode better-sqlite3 sets each column
 * on a new object from C++ (a map transition per key), and decode() copied that object again: ~43 k of
 * an online award's ~1 M instructions for the settle's one row (callgrind, issue 10).
 */
function rowStatement(db: Db, sql: string): Statement {
  return db.prepare(sql).raw(true);
}

/** decode() of a row read through rowStatement: the same OutboxRow, keys in the same order. */
function decodeRaw(raw: RawRow): OutboxRow {
  return decodeWith(raw, JSON.parse(raw[6]) as Record<string, unknown>, readResult(raw[2], raw[12]));
}

/** decodeRaw with the payload and the checked result given (parsed from the row's texts, or known to equal them). */
function decodeWith(raw: RawRow, payload: Record<string, unknown>, { result, result_error }: ReadResult): OutboxRow {
  const op = raw[2];
  const error = raw[13];
  // The keys in ROW_COLUMNS order, as the object mode gave them (outbox.list's JSON keeps it).
  const row: OutboxRow = {
    seq: raw[0], id: raw[1], op, txn_id: raw[3], fingerprint: raw[4], customer_id: raw[5],
    payload,
    offline: raw[7] === 1, amount: raw[8], currency: raw[9], state: raw[10], attempts: raw[11],
    result,
    error: error === null ? null : (JSON.parse(error) as UpstreamError),
    created_at: raw[14], updated_at: raw[15], settled_at: raw[16],
  };
  if (result_error !== undefined) row.result_error = result_error;
  return row;
}

/**
 * nextPending's columns: every one of ROW_COLUMNS but the payload packed by SQLite into one JSON array,
 * then the payload. better-sqlite3 sets each column of a raw row on a new array through V8's API
 * (v8::Object::Set, ~0.9 k instructions, and ~0.35 k to make the value): for 17 columns ~21 k of a
 * drained award's instructions (callgrind, issue 10); two columns and a JSON.parse of the small array
 * cost less. JSON keeps every value's type here: integers, texts (a JSON text in a column is a string
 * in the array, not nested JSON: a column has no JSON subtype) and nulls.
 */
const PACKED_COLUMNS = 'json_array(seq, id, op, txn_id, fingerprint, customer_id, offline, amount, currency, state, ' +
  'attempts, result, error, created_at, updated_at, settled_at), payload';

type PackedRow = [packed: string, payload: string];
type Packed = [
  seq: number, id: string, op: DurableOp, txn_id: string | null, fingerprint: string, customer_id: string | null,
  offline: number, amount: number | null, currency: string | null, state: OutboxState, attempts: number,
  result: string | null, error: string | null, created_at: string, updated_at: string, settled_at: string | null,
];

/**
 * decodeRaw of a row read with PACKED_COLUMNS: the same OutboxRow, keys in the same order. The rows nextPending
 * hands to the forwarder keep the payload's stored text with the parsed payload (runtime/kept-json.ts), so the
 * request puts it in as it is instead of stringifying the payload again (request-json.ts; a drained award's
 * payload was parsed, then stringified: ~15 k of the agent's ~520 k instructions per drained award, callgrind,
 * issue 10). The text is what the append stored, JSON.stringify of the payload, or SQLite's json_set of it
 * (withholdReductions): the same JSON value.
 */
function decodeSent(raw: PackedRow): OutboxRow {
  const p = JSON.parse(raw[0]) as Packed;
  const op = p[2];
  const error = p[12];
  const { result, result_error } = readResult(op, p[11]);
  const row: OutboxRow = {
    seq: p[0], id: p[1], op, txn_id: p[3], fingerprint: p[4], customer_id: p[5],
    payload: parseKept(raw[1]) as Record<string, unknown>,
    offline: p[6] === 1, amount: p[7], currency: p[8], state: p[9], attempts: p[10],
    result,
    error: error === null ? null : (JSON.parse(error) as UpstreamError),
    created_at: p[13], updated_at: p[14], settled_at: p[15],
  };
  if (result_error !== undefined) row.result_error = result_error;
  return row;
}

/**
 * A row nextPending handed out (read from the file, or fresh from its insert), as the ok answer's settle
 * leaves it: what a read would return, without the read. Of its columns a settle writes state, result, error, updated_at and settled_at; attempts
 * (markAttempt) and the payload (withholdReductions, which drops the row from Outbox.sentRows) are
 * the only others written while a row is pending; the rest never change. Keys in ROW_COLUMNS order.
 */
function settledRow(sent: OutboxRow, attempts: number, { result, result_error }: ReadResult, at: string, settledAt: string): OutboxRow {
  const row: OutboxRow = {
    seq: sent.seq, id: sent.id, op: sent.op, txn_id: sent.txn_id, fingerprint: sent.fingerprint, customer_id: sent.customer_id,
    payload: sent.payload,
    offline: sent.offline, amount: sent.amount, currency: sent.currency, state: 'done', attempts,
    result,
    error: null,
    created_at: sent.created_at, updated_at: at, settled_at: settledAt,
  };
  if (result_error !== undefined) row.result_error = result_error;
  return row;
}

/** better-sqlite3's error for a UNIQUE (or primary key) index refusing a row. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A row nextPending handed out (Outbox.sentRows) and its attempt count now (markAttempt counts in place). */
interface Sent {
  row: OutboxRow;
  attempts: number;
}

/** markAttempt's range UPDATE counted other rows than those it was given: rolled back, counted row by row. */
class NotTheBatch extends Error {}

/** Rows kept for settle (Outbox.sentRows) at most: a window of full batches is 4 × 500. */
const SENT_ROWS = 4096;

/** meta key: how many ok answers did not match their op's schema (stats().unreadable). */
const UNREADABLE_KEY = 'outbox_unreadable_answers';

type CommitResult = { ok: true; outcomes: AppendOutcome[] } | { ok: false; error: unknown };

/** A group commit waiting for its fsync: its callers, their results, the first seq it holds back (Outbox.unsyncedFrom). */
interface Committed {
  waiting: Waiting[];
  results: CommitResult[];
  first: number | null;
}

/** An fsync in flight: the WAL descriptor it runs on and the commits made before it began that no earlier one covers. */
interface Syncing {
  wal: WalSync;
  groups: Committed[];
}

/**
 * fdatasyncs of the WAL in flight at once, each on its own descriptor of the file. One began after a
 * commit covers it, whichever completes first; while one runs, the next commits need not wait for it to
 * begin theirs (on a busy machine an fsync's round trip through the thread pool took 1–3 ms, while the
 * event loop idled). Each its own descriptor: Linux reports a writeback error to every descriptor open
 * when it happened, once each, so two fsyncs at once on one descriptor could leave one of them unaware
 * of an error in pages the other wrote back (errseq_t).
 */
export const SYNCS_IN_FLIGHT = 2;

interface Waiting {
  items: AppendInput[];
  resolve: (outcomes: AppendOutcome[]) => void;
  reject: (error: unknown) => void;
  /** appendEarly: told right after the commit, before the fsync; its rows may be forwarded from then on. */
  committed?: (outcomes: AppendOutcome[]) => void;
}

/** The sale an outbox row belongs to (SQL over the row `outbox`), for pruning a sale's rows together. */
const SALE_OF_ROW = `CASE
  WHEN sale_txn_id IS NOT NULL THEN sale_txn_id
  WHEN op = 'redeem' THEN json_extract(payload, '$.txn_id')
  WHEN op = 'reinstate' THEN coalesce((SELECT json_extract(r.payload, '$.txn_id') FROM outbox r
    WHERE r.op = 'redeem' AND r.txn_id = outbox.txn_id), txn_id)
  ELSE txn_id END`;

/**
 * Group commits between two checkpoints of checkpointIfDue. SQLite checkpoints by itself inside
 * the commit that takes the WAL past 1,000 pages; an online award writes about a dozen (its
 * append, attempt count, settle and cached balance), so about one award in 80 waited for that
 * checkpoint (page copies, an fsync of the database file) before the POS heard its answer. The
 * forwarder calls checkpointIfDue just after sending; 64 online awards leave ~740 pages (measured),
 * below SQLite's mark, whose own checkpoint stays as the net (offline nothing is sent; a drain
 * settles hundreds of rows a commit). The checkpoint itself runs in a worker thread on its own
 * connection (runtime/wal-checkpointer.ts): on the event loop it still held up the host's answer
 * for an award in 64 (~1 ms of the nodelay p99, issue 10).
 */
export const CHECKPOINT_EVERY_COMMITS = 64;

/** Rows nextPending may hand out from memory (Outbox.fresh): an online award has one; a backlog is read. */
const FRESH_ROWS = 64;
/**
 * Group commits without a nextPending call after which nobody is taking rows (Outbox.commitsUnpulled).
 * Online the forwarder asks after each commit it can send, and under load whenever an answer frees a
 * slot of its window: a few commits apart.
 */
const FRESH_IDLE_COMMITS = 4;

export class Outbox implements OutboxStore {
  private queue: Waiting[] = [];
  /** Counts group commits and runs checkpointIfDue's checkpoints, in a worker where it can. */
  private readonly checkpoints: WalCheckpointer;
  private flushScheduled = false;
  /** The queue's length at the last flushWhenDue that waited (-1: none yet). */
  private queuedAtCheck = -1;
  /** An fsync of group commits is on the thread pool (inFlight is not empty). */
  private syncing = false;
  /** The fsyncs in flight, in the order they began (at most SYNCS_IN_FLIGHT, one per WAL descriptor). */
  private readonly inFlight: Syncing[] = [];
  /** Group commits no fsync has begun after yet: they wait for a free descriptor. */
  private unsynced: Committed[] = [];
  /**
   * The lowest seq of a commit's rows, not appended early, whose fsync has not completed: rows from
   * it on are not forwarded yet (FIFO: an early row after it waits too).
   */
  private unsyncedFrom: number | null = null;
  /**
   * The highest seq in the table (appends go through this outbox alone): nextPending after it has
   * nothing to read. The forwarder asks just after each send, for the rows behind it.
   */
  private maxSeq: number;
  /** maxSeq when this outbox was opened: every row after it was created through insertOne. */
  private readonly seqAtOpen: number;
  /**
   * The highest seq insertOne gave each op's rows since opening (only ever too large: a rolled-back
   * insert leaves its seq here). findByTxnAfter needs no read past it.
   */
  private readonly lastCreated = new Map<DurableOp, number>();
  /**
   * The txn_ids of the void rows (read at open, then added as voids are inserted): a new award,
   * offer or voucher redemption for one of them is refused (insertOne). Only ever too large (a rolled-back insert, a pruned sale):
   * a txn_id found here is checked against the file. A Set probe per award, not a statement: the
   * award for a voided sale is rare, the award common (offline ~2 M instructions an award, issue 10).
   */
  private readonly voidedTxns: Set<string>;
  /**
   * The seqs of every pending row, when known (null: not known, nextPending reads). The forwarder
   * reads from the first pending row after each landed batch; once the rows it was handed are
   * settled this says "none" without a read (~30–40 µs an online award, issue 10). Only ever too
   * large: a row is added when inserted (a rollback leaves a harmless extra), removed once its
   * settle committed; a retry, or a settle inside someone else's transaction, makes it unknown.
   */
  private pendingSeqs: Set<number> | null = null;
  /**
   * Rows created by the last commits, as insertOne returned them, while no other write has touched
   * a pending row since (any such write empties it): nextPending hands these to the forwarder
   * without reading them back (a WAL read transaction while their fdatasync runs, ~90 µs wall an
   * online award). At most FRESH_ROWS; past that it is emptied and nextPending reads.
   */
  private readonly fresh = new Map<number, OutboxRow>();
  /**
   * Group commits since nextPending was last called. After FRESH_IDLE_COMMITS of them nobody is taking
   * rows (offline, the forwarder stopped): commits keep no rows in `fresh` and it lets go of those it
   * held. Kept for ~64 offline awards, rows (their payloads, baskets, stored JSON) outlived two
   * young-generation collections, were promoted, and brought V8's full collections: ~10 % of an offline
   * award's instructions (issue 10).
   */
  private commitsUnpulled = 0;
  /** See precountSends. */
  private sendsAtOnce: (() => number) | undefined;
  /**
   * The rows nextPending handed to the forwarder (read from the file, or from `fresh`), by id, until they are settled: an ok
   * answer's settle then reads nothing back and makes the row from this one, the attempts markAttempt
   * counted since, and the answer it has (settledRow). Reading the whole row back, with its payload
   * and result texts parsed again, was ~70 k of the agent's ~440 k instructions per drained award
   * (callgrind, issue 10); then `RETURNING attempts`, SQLite's RETURNING through an ephemeral table
   * opened, written and closed per row, ~10 k more. Exact while nothing else changes the row:
   * withholdReductions, the one other write to a pending row's columns, drops it; an attempt count
   * inside someone else's transaction (which may roll back) empties it. A row here is pending (only
   * settle() ends that, and drops it). At most SENT_ROWS (past that, emptied: settle reads the rows
   * back as before).
   */
  private readonly sentRows = new Map<string, Sent>();
  /** During a commit whose created rows the forwarder sends at once: insertOne counts their first send. */
  private precounting = false;
  /**
   * Rows whose first send their commit counted, until markAttempt skips them (the send) or they are
   * settled. A row that was not sent after all (the link dropped in between) stays here until its
   * real send: counted once either way. Only a stop between the commit and the send counts a send
   * that did not happen.
   */
  private readonly precounted = new Set<string>();
  /** The WAL file, fdatasync'd after each group commit; not enabled: not in WAL mode, commits sync themselves. */
  private readonly wal: WalSync;
  /** Descriptors of the WAL with no fsync in flight (this.wal among them; SYNCS_IN_FLIGHT in all). */
  private readonly freeWals: WalSync[] = [];
  private readonly stmt: Record<string, Statement>;
  private readonly byTxn = new Map<DurableOp, Statement>();
  private readonly inserts = new Map<DurableOp, Statement>();
  private readonly bySale = new Map<DurableOp, Statement>();
  private readonly byState = new Map<OutboxState, Statement>();
  // Transaction wrappers made once: db.transaction() builds five functions per call (~5 µs, three calls an award).
  private readonly groupTx: (items: AppendInput[]) => AppendOutcome[];
  private readonly commitTx: (waiting: Waiting[]) => CommitResult[];
  private readonly attemptTx: (at: string, ids: string[], range: Sent[] | undefined) => void;
  private readonly settleTx: (outcomes: Outcome[], at: string, settledAt: string) => OutboxRow[];

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
    private readonly observer?: WriteObserver,
    /** The till's trusted time (agent/till-clock.ts): settled_at, and so pruning, go by it. */
    private readonly trusted: () => Date = now,
    /** The WAL's fdatasync (runtime/wal-sync.ts; tests hold it or fail it). */
    walSync?: SyncFn,
    /** False: checkpoints on this thread, as without a worker (tests). */
    checkpointWorker = true,
  ) {
    this.stmt = {
      byId: rowStatement(db, `SELECT ${ROW_COLUMNS} FROM outbox WHERE id = ?`),
      byTxnAny: rowStatement(db, `SELECT ${ROW_COLUMNS} FROM outbox WHERE txn_id = ? ORDER BY seq`),
      nextPending: rowStatement(db, `SELECT ${PACKED_COLUMNS} FROM outbox WHERE state = 'pending' AND seq > ? AND seq < ? ORDER BY seq LIMIT ?`),
      syncNormal: db.prepare('PRAGMA synchronous = NORMAL'),
      syncFull: db.prepare('PRAGMA synchronous = FULL'),
      // RETURNING: the settled row comes back from the update itself (no second lookup by id).
      done: rowStatement(db, `UPDATE outbox SET state = 'done', result = ?, error = NULL, updated_at = ?, settled_at = ? WHERE id = ? AND state = 'pending' RETURNING ${ROW_COLUMNS}`),
      // A row nextPending handed out is found by its seq (the rowid: one b-tree search), not its id (a
      // search of the id index, then of the table): ~2-3 k instructions fewer per UPDATE in the agent (its id
      // index's pages hot; 12 k in isolation), callgrind, issue 10. The seq of an id never changes.
      // Without RETURNING: SQLite's RETURNING writes its rows to an ephemeral table, opened, written and closed
      // per statement (~10 k instructions an UPDATE, callgrind, issue 10); the attempt count is known (Sent).
      doneSent: db.prepare(`UPDATE outbox SET state = 'done', result = ?, error = NULL, updated_at = ?, settled_at = ? WHERE seq = ? AND state = 'pending'`),
      dead: rowStatement(db, `UPDATE outbox SET state = 'dead', error = ?, updated_at = ?, settled_at = ? WHERE id = ? AND state = 'pending' RETURNING ${ROW_COLUMNS}`),
      attempt: db.prepare(`UPDATE outbox SET attempts = attempts + 1, updated_at = ? WHERE id = ? AND state = 'pending'`),
      attemptSent: db.prepare(`UPDATE outbox SET attempts = attempts + 1, updated_at = ? WHERE seq = ? AND state = 'pending'`),
      // A batch nextPending read is every pending row of its seq range: one statement counts them all (markAttempt).
      attemptRange: db.prepare(`UPDATE outbox SET attempts = attempts + 1, updated_at = ? WHERE seq >= ? AND seq <= ? AND state = 'pending'`),
      withholdReductions: db.prepare(`UPDATE outbox SET payload = json_set(payload, '$.pos_reduced', json('false')), updated_at = ?
          WHERE id = ? AND op = 'award' AND state = 'pending'`),
      retryOne: db.prepare(`UPDATE outbox SET state = 'pending', updated_at = ? WHERE id = ? AND state = 'dead'`),
      retryAll: db.prepare(`UPDATE outbox SET state = 'pending', updated_at = ? WHERE state = 'dead'`),
      stats: db.prepare(`SELECT
          (SELECT count(*) FROM outbox WHERE state = 'pending') AS pending,
          (SELECT count(*) FROM outbox WHERE state = 'dead') AS dead,
          (SELECT created_at FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT 1) AS oldest_pending_at,
          coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = '${UNREADABLE_KEY}'), 0) AS unreadable`),
      countUnreadable: db.prepare(`INSERT INTO meta (key, value) VALUES ('${UNREADABLE_KEY}', '1')
          ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`),
      pendingSpend: db.prepare(`SELECT coalesce(sum(amount), 0) AS total FROM outbox
          WHERE state = 'pending' AND op = 'spend' AND customer_id = ? AND currency = ?`),
      productBatches: db.prepare(`SELECT id, state, json_extract(payload, '$.sync.mode') AS mode,
          json_extract(payload, '$.sync.batch') AS batch, json_extract(payload, '$.sync.last') AS last,
          json_array_length(payload, '$.products') AS products, result, error
          FROM outbox WHERE op = 'products.sync' AND json_extract(payload, '$.sync.id') = ? ORDER BY seq`),
      // In SQLite: a catalogue's earlier batches hold up to 50,000 products a request, and only the repeats come out.
      productSkusSent: db.prepare(`SELECT json_extract(p.value, '$.sku') AS sku, json_extract(o.payload, '$.sync.batch') AS batch,
          p.key AS "index" FROM outbox o, json_each(o.payload, '$.products') p
          WHERE o.op = 'products.sync' AND json_extract(o.payload, '$.sync.id') = ?
            AND json_extract(p.value, '$.sku') IN (SELECT value FROM json_each(?))
          ORDER BY o.seq, p.key`),
      // Named index: left to itself SQLite scanned every pending row through outbox_pending (with 20,000 awards queued
      // offline, ~9 ms per offline spend, which checks its limits with this) instead of the pending spends (~0.01 ms).
      // No index on customer_id for delivered rows (one more write per append): newest first, stopping
      // at the first hit; asked only by an offline spend of a customer the identify cache lacks.
      lastBalanceRow: rowStatement(db, `SELECT ${ROW_COLUMNS} ${LAST_BALANCE_ROW}`),
      offlineSpendsOf: db.prepare(`SELECT seq, amount FROM outbox INDEXED BY outbox_spend_pending
          WHERE state = 'pending' AND op = 'spend' AND offline = 1 AND customer_id = ? AND currency = ? ORDER BY seq`),
      offlineExposure: db.prepare(`SELECT currency, count(*) AS count, coalesce(sum(amount), 0) AS amount, min(created_at) AS since
          FROM outbox INDEXED BY outbox_spend_pending WHERE state = 'pending' AND op = 'spend' AND offline = 1
          GROUP BY currency ORDER BY currency`),
      // A sale's rows go together, and only once all of them are delivered and old: a repeat or a
      // void of the sale, a spend's cap and a return find every row they need until then. A sale's
      // rows are its own (txn_id), its named spends, refunds and voucher redemptions
      // (payload.sale_txn_id), its offer redemptions (a redeem's payload.txn_id) and their
      // reinstates (txn_id = the redemption's).
      prune: db.prepare(`WITH grouped AS (SELECT seq, state, settled_at, ${SALE_OF_ROW} AS sale FROM outbox),
          live AS (SELECT sale FROM grouped WHERE (state <> 'done' OR settled_at >= @cutoff) AND sale IS NOT NULL)
        DELETE FROM outbox WHERE seq IN (SELECT seq FROM grouped WHERE state = 'done' AND settled_at < @cutoff
          AND (sale IS NULL OR sale NOT IN (SELECT sale FROM live)))`),
    };
    this.maxSeq = (db.prepare('SELECT coalesce(max(seq), 0) FROM outbox').pluck().get() as number);
    this.seqAtOpen = this.maxSeq;
    // Read through the index outbox_txn_op (txn_id, op), not the table: once per start.
    this.voidedTxns = new Set(db.prepare(`SELECT txn_id FROM outbox WHERE op = 'void' AND txn_id IS NOT NULL`).pluck().all() as string[]);
    try {
      // Syncs the WAL once now: rows a crashed process committed without their fsync become
      // durable before the forwarder may send them.
      this.wal = new WalSync(db, walSync);
      this.freeWals.push(this.wal);
      for (let i = 1; i < SYNCS_IN_FLIGHT && this.wal.enabled; i++) this.freeWals.push(new WalSync(db, walSync));
    } catch (error) {
      throw storageError(error);
    }
    this.checkpoints = new WalCheckpointer(db, { every: CHECKPOINT_EVERY_COMMITS, worker: checkpointWorker });
    // One statement per op, the op written into its SQL: with `op = ?` SQLite compiled the statement
    // again on every new binding (a bound op might make the partial index outbox_redeem, WHERE op =
    // 'redeem', usable), ~130 µs per lookup instead of ~4, and every append makes one (issue 10).
    for (const op of DURABLE_OPS) {
      this.byTxn.set(op, rowStatement(db, `SELECT ${ROW_COLUMNS} FROM outbox WHERE txn_id = ? AND op = '${op}'`));
      // The op written in: each string parameter is a UTF-8 copy in better-sqlite3's binding and another
      // in SQLite's (~1 k instructions, issue 10). A single row of VALUES: SQLite checks its constraints
      // before it writes, so the statement needs no journal of its own (INSERT ... SELECT, which would
      // bind created_at once for both time columns, opened one and wrote each page to it: +4 k an insert).
      this.inserts.set(op, db.prepare(`INSERT INTO outbox (id, op, txn_id, fingerprint, customer_id, payload, offline, amount, currency, state, created_at, updated_at, sale_txn_id, attempts)
        VALUES (?, '${op}', ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`));
      // Named spends and refunds are keyed by their own id; this finds those of one sale (index outbox_sale).
      this.bySale.set(op, rowStatement(db, `SELECT ${ROW_COLUMNS} FROM outbox WHERE op = '${op}' AND sale_txn_id = ? ORDER BY seq`));
    }
    // Same for the state, which outbox_pending, outbox_dead and outbox_spend_pending are restricted on.
    for (const state of ['pending', 'done', 'dead'] as const) {
      // pending and dead: the oldest first, the order they are sent in. done: the newest `limit` rows
      // (kept keep_done_days, thousands on a busy till), so yesterday's sale is among them, still in seq order.
      this.byState.set(state, rowStatement(db, state === 'done'
        ? `SELECT * FROM (SELECT ${ROW_COLUMNS} FROM outbox WHERE state = 'done' ORDER BY seq DESC LIMIT ?) ORDER BY seq`
        : `SELECT ${ROW_COLUMNS} FROM outbox WHERE state = '${state}' ORDER BY seq LIMIT ?`));
    }
    // One caller's bad row must not fail the others: each caller gets a savepoint
    // (a nested better-sqlite3 transaction) inside the one shared commit.
    // A caller with one row needs no savepoint: a failing statement undoes only itself.
    this.groupTx = db.transaction((items: AppendInput[]) => items.map((item) => this.insertOne(item)));
    this.commitTx = db.transaction((waiting: Waiting[]) => {
      const results: CommitResult[] = [];
      for (const w of waiting) {
        try {
          results.push({ ok: true, outcomes: w.items.length === 1 ? [this.insertOne(w.items[0]!)] : this.groupTx(w.items) });
        } catch (error) {
          if (isDiskFull(error)) throw error;
          results.push({ ok: false, error });
        }
      }
      return results;
    });
    this.attemptTx = db.transaction((at: string, ids: string[], range: Sent[] | undefined) => {
      if (range) {
        const { changes } = this.stmt.attemptRange!.run(at, range[0]!.row.seq, range[range.length - 1]!.row.seq);
        if (changes !== range.length) throw new NotTheBatch();
        return;
      }
      for (const id of ids) {
        // A row handed out by nextPending (the forwarder counts the send of what it was handed): by seq, as doneSent.
        const sent = this.sentRows.get(id);
        if (sent) this.stmt.attemptSent!.run(at, sent.row.seq);
        else this.stmt.attempt!.run(at, id);
      }
    });
    this.settleTx = db.transaction((outcomes: Outcome[], at: string, settledAt: string) => {
      const changed: OutboxRow[] = [];
      for (const o of outcomes) {
        const sent = this.sentRows.get(o.id);
        let row: OutboxRow;
        if (o.ok && sent !== undefined) {
          if (this.stmt.doneSent!.run(JSON.stringify(o.result), at, settledAt, sent.row.seq).changes === 0) continue;
          // The stored result is JSON.stringify(o.result), and o.result a parsed JSON value: checking the
          // object is checking the text parsed again.
          row = settledRow(sent.row, sent.attempts, o.checked ?? checkResult(sent.row.op, o.result), at, settledAt);
        } else {
          const raw = (o.ok
            ? this.stmt.done!.get(JSON.stringify(o.result), at, settledAt, o.id)
            : this.stmt.dead!.get(JSON.stringify(o.error), at, settledAt, o.id)) as RawRow | undefined;
          if (!raw) continue;
          row = decodeRaw(raw);
        }
        if (row.result_error !== undefined) this.stmt.countUnreadable!.run();
        changed.push(row);
      }
      return changed;
    });
  }

  /**
   * Commit one message; resolved only after the commit (and its fsync) completed. Not appendAll's
   * promise awaited: one promise and a turn of the microtask queue fewer per request (issue 10).
   */
  append(input: AppendInput): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ items: [input], resolve: (outcomes) => resolve(outcomes[0]!), reject });
      this.scheduleFlush();
    });
  }

  /** Commit several messages atomically, sharing the next group commit. */
  appendAll(items: AppendInput[]): Promise<AppendOutcome[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** See OutboxStore.appendEarly. */
  appendEarly(input: AppendInput): Promise<EarlyAppend> {
    return new Promise((resolveCommitted, rejectCommitted) => {
      const durable = new Promise<void>((resolve, reject) => {
        this.queue.push({
          items: [input],
          resolve: () => resolve(),
          reject,
          committed: ([outcome]) => resolveCommitted({ outcome: outcome!, durable }),
        });
      });
      // A commit that fails never calls `committed`: the caller hears the error here. After
      // `committed`, this is a no-op and the caller handles `durable` itself.
      durable.catch(rejectCommitted);
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.queuedAtCheck = -1;
    // setImmediate: every request parsed in this turn of the event loop joins the commit.
    setImmediate(this.flushWhenDue);
  }

  /**
   * The commit, once due: at once while no fsync is in flight (one request at a time, e.g. online, waits
   * for nothing); while one is, once a turn of the event loop brought no more appends (the loop would
   * otherwise wait with nothing to do). Committing each turn's requests as soon as a descriptor was free
   * made groups of ~5.5 rows at 16 connections offline, each paying a commit's fixed share (its WAL
   * frames for sqlite_sequence, page 1 and the tails of the table and indexes, two PRAGMA statements, an
   * fstat, an fdatasync's hand-off): waiting for a quiet turn makes ~7.3, and the agent's CPU per award
   * ~14 % less (bench/README, issue 10). Those rows' fsync would begin later than it might otherwise,
   * by the turns the loop spends on requests that arrive meanwhile.
   */
  private readonly flushWhenDue = (): void => {
    if (this.inFlight.length > 0 && this.queue.length !== this.queuedAtCheck) {
      this.queuedAtCheck = this.queue.length;
      setImmediate(this.flushWhenDue);
      return;
    }
    this.flush();
  };

  private flush(): void {
    const waiting = this.queue;
    this.queue = [];
    this.flushScheduled = false;
    const wal = this.wal.enabled;
    let results: CommitResult[];
    const commit = () => this.commitTx(waiting);
    this.precounting = this.sendsAtOnceNow(waiting);
    try {
      results = observed(this.observer, () => {
        if (!wal) return commit();
        this.stmt.syncNormal!.run();
        try {
          return commit();
        } finally {
          this.stmt.syncFull!.run();
        }
      });
    } catch (error) {
      for (const w of waiting) w.reject(storageError(error));
      return;
    } finally {
      this.precounting = false;
    }
    this.checkpoints.committed();
    // Committed: its new rows are what a read would return (insertOne), until another write; kept
    // while someone takes rows (see commitsUnpulled).
    const keep = this.commitsUnpulled++ < FRESH_IDLE_COMMITS;
    if (!keep) this.fresh.clear();
    for (const r of results) {
      if (!r.ok) continue;
      for (const o of r.outcomes) {
        if (o.kind !== 'created') continue;
        if (keep) this.fresh.set(o.row.seq, o.row);
        if (o.row.attempts > 0) this.precounted.add(o.row.id);
      }
    }
    if (this.fresh.size > FRESH_ROWS) this.fresh.clear();
    // appendEarly callers hear of their committed row now; the forwarder may send it from here.
    results.forEach((r, i) => { if (r.ok) waiting[i]!.committed?.(r.outcomes); });
    if (!wal) return answerGroup(waiting, results);
    let first: number | null = null;
    results.forEach((r, i) => {
      if (!r.ok || waiting[i]!.committed) return;
      for (const o of r.outcomes) if (o.kind === 'created' && (first === null || o.row.seq < first)) first = o.row.seq;
    });
    if (first !== null && (this.unsyncedFrom === null || first < this.unsyncedFrom)) this.unsyncedFrom = first;
    this.unsynced.push({ waiting, results, first });
    if (this.freeWals.length > 0) this.syncUnsynced();
  }

  /**
   * One fdatasync for the commits in `unsynced` (it begins after all of them), on a free descriptor;
   * once it completes, every commit made before it began is answered (also those of fsyncs that began
   * earlier and are still running: this one covers them).
   */
  private syncUnsynced(): void {
    const wal = this.freeWals.pop()!;
    const sync: Syncing = { wal, groups: this.unsynced };
    this.unsynced = [];
    this.inFlight.push(sync);
    this.syncing = true;
    wal.syncNow((error) => this.synced(sync, error));
  }

  private synced(sync: Syncing, error: NodeJS.ErrnoException | null): void {
    this.freeWals.push(sync.wal);
    const at = this.inFlight.indexOf(sync);
    if (error) {
      // The rows may be lost on a power cut: nobody hears "yes" for them (a repeat finds them
      // if they survived, and answers then). An early row may already be at the host: its
      // caller answers the POS with this error all the same, and the host's answer, when it
      // comes, is settled into the row like any other. Every commit not answered yet too: its pages
      // may have been in the writeback that failed, which an fsync on another descriptor may or may
      // not report.
      this.observer?.failed(error);
      const failed = this.inFlight.flatMap((s) => s.groups.splice(0)).concat(this.unsynced.splice(0));
      if (at >= 0) this.inFlight.splice(at, 1);
      this.afterSync();
      for (const g of failed) for (const w of g.waiting) w.reject(storageError(error));
      return;
    }
    // Durable: the commits of this one and of those that began before it (made before this one began).
    // Those still run, their descriptors busy, with nothing left to answer.
    const answered: Committed[] = [];
    for (let i = 0; i <= at; i++) answered.push(...this.inFlight[i]!.groups.splice(0));
    if (at >= 0) this.inFlight.splice(at, 1);
    this.afterSync();
    for (const g of answered) answerGroup(g.waiting, g.results);
  }

  /** After an fsync completed: what is still held back, and the next fsync if commits wait for one. */
  private afterSync(): void {
    // The first commit, in commit order, that holds rows back (its seqs are the lowest), read in
    // place: this runs once per group commit.
    this.unsyncedFrom = null;
    for (let i = 0; i < this.inFlight.length && this.unsyncedFrom === null; i++) this.unsyncedFrom = firstHeldBack(this.inFlight[i]!.groups);
    if (this.unsyncedFrom === null) this.unsyncedFrom = firstHeldBack(this.unsynced);
    if (this.unsynced.length > 0 && this.freeWals.length > 0) this.syncUnsynced();
    this.syncing = this.inFlight.length > 0;
  }

  /**
   * Whether the forwarder sends every row this commit creates the moment it is committed: all of
   * them early (no fsync to wait for), no other row pending (they are the next to go), and no more
   * than it sends at once.
   */
  private sendsAtOnceNow(waiting: Waiting[]): boolean {
    if (this.sendsAtOnce === undefined || this.pendingSeqs?.size !== 0 || this.unsyncedFrom !== null) return false;
    let items = 0;
    for (const w of waiting) {
      if (!w.committed) return false;
      items += w.items.length;
    }
    return items <= this.sendsAtOnce();
  }

  private insertOne(item: AppendInput): AppendOutcome {
    // Checked here, in the commit's transaction, not by the op before its append: a void queued in
    // the same group commit just before the award counts too. A redemption names its sale in its payload.
    const sale = item.payload.sale_txn_id;
    const ofSale = item.op === 'award' ? item.txn_id : item.op === 'voucher.redeem' ? sale : item.op === 'redeem' ? item.payload.txn_id : undefined;
    if (typeof ofSale === 'string' && this.voidedTxns.has(ofSale)) this.refuseVoidedSale(item, ofSale);
    // Positional parameters: better-sqlite3 binds named ones by looking each name up in an object.
    const attempts = this.precounting ? 1 : 0;
    let lastInsertRowid: number | bigint;
    try {
      ({ lastInsertRowid } = this.inserts.get(item.op)!.run(item.id, item.txn_id, item.fingerprint, item.customer_id,
        payloadJson(item.payload), item.offline ? 1 : 0, item.amount, item.currency, item.created_at, item.created_at,
        typeof sale === 'string' ? sale : null, attempts));
    } catch (error) {
      // The insert is the idempotency check: the unique index outbox_txn_op refuses a second row of
      // (txn_id, op), and only then is the row already there read. A lookup before every insert was a
      // statement of its own for a row almost never there (~5 k instructions an offline award, issue 10).
      // A refused statement undoes only itself and leaves the transaction nothing to write, so a repeat
      // is answered on a full disk too (not so INSERT ... ON CONFLICT DO NOTHING: its AUTOINCREMENT
      // counter is written all the same, ee6b3ca).
      const existing = item.txn_id !== null && isUniqueViolation(error)
        ? this.byTxn.get(item.op)!.get(item.txn_id) as RawRow | undefined
        : undefined;
      if (!existing) throw error; // another constraint (a message id given twice), a full disk, ...
      const row = decodeRaw(existing);
      return { kind: row.fingerprint === item.fingerprint ? 'existing' : 'conflict', row };
    }
    // The row as a read would return it, without reading it back: a new row is pending, with no
    // result yet, its first send counted if the forwarder sends it at once (precountSends). Its payload is the caller's object, not the stored text parsed
    // again (~10 µs an award): payloads are plain JSON values built from a parsed request, so the
    // two differ at most by keys whose value is undefined, which no reader tells from absent ones.
    const seq = Number(lastInsertRowid);
    if (seq > this.maxSeq) this.maxSeq = seq;
    if (seq > (this.lastCreated.get(item.op) ?? 0)) this.lastCreated.set(item.op, seq);
    if (item.op === 'void' && item.txn_id !== null) this.voidedTxns.add(item.txn_id);
    this.pendingSeqs?.add(seq);
    const row: OutboxRow = {
      seq,
      id: item.id,
      op: item.op,
      txn_id: item.txn_id,
      fingerprint: item.fingerprint,
      customer_id: item.customer_id,
      payload: item.payload,
      offline: item.offline,
      amount: item.amount,
      currency: item.currency,
      state: 'pending',
      attempts,
      result: null,
      error: null,
      created_at: item.created_at,
      updated_at: item.created_at,
      settled_at: null,
    };
    return { kind: 'created', row };
  }

  /**
   * A new award, offer or voucher redemption for a sale this till voided: CONFLICT. One made before
   * the void and repeated is not new (the insert finds it: its first outcome, or CONFLICT for other
   * content); a void the host refused (dead) voided nothing.
   */
  private refuseVoidedSale(item: AppendInput, saleTxnId: string): void {
    if (item.txn_id !== null && this.byTxn.get(item.op)!.get(item.txn_id) !== undefined) return;
    const voided = this.byTxn.get('void')!.get(saleTxnId) as RawRow | undefined;
    if (voided === undefined || voided[10] === 'dead') return;
    throw new AgentError('CONFLICT', `${item.op} for txn_id ${saleTxnId}: that sale was voided on this till; a new sale needs a new txn_id`);
  }

  get(id: string): OutboxRow | undefined {
    const raw = this.stmt.byId!.get(id) as RawRow | undefined;
    return raw && decodeRaw(raw);
  }

  findByTxn(op: DurableOp, txnId: string): OutboxRow | undefined {
    const raw = this.byTxn.get(op)?.get(txnId) as RawRow | undefined;
    return raw && decodeRaw(raw);
  }

  /**
   * Without a read when no row of `op` can come after afterSeq: none was created since opening past
   * it, and it is not before the rows the outbox was opened with. Every award asks for its sale's
   * later void (agent/ops/award.ts), which is almost never there: a read transaction, its locks
   * and a lookup per award (issue 10).
   */
  findByTxnAfter(op: DurableOp, txnId: string, afterSeq: number): OutboxRow | undefined {
    if (afterSeq >= this.seqAtOpen && afterSeq >= (this.lastCreated.get(op) ?? 0)) return undefined;
    const row = this.findByTxn(op, txnId);
    return row && row.seq > afterSeq ? row : undefined;
  }

  /** The redeem rows of a sale: their own txn_id is the redemption id, the sale's is in the payload. */
  redemptionsOf(saleTxnId: string): OutboxRow[] {
    const rows = rowStatement(this.db, `SELECT ${ROW_COLUMNS} FROM outbox WHERE op = 'redeem' AND json_extract(payload, '$.txn_id') = ? ORDER BY seq`).all(saleTxnId) as RawRow[];
    return rows.map(decodeRaw);
  }

  forTxn(txnId: string): OutboxRow[] {
    return (this.stmt.byTxnAny!.all(txnId) as RawRow[]).map(decodeRaw);
  }

  /** Rows of `op` that name txnId as their sale (payload.sale_txn_id): a sale's refunds. */
  forSale(op: DurableOp, txnId: string): OutboxRow[] {
    return ((this.bySale.get(op)?.all(txnId) ?? []) as RawRow[]).map(decodeRaw);
  }

  /** The next pending rows in FIFO order, read from disk a page at a time. */
  nextPending(limit: number, afterSeq = 0): OutboxRow[] {
    this.commitsUnpulled = 0;
    if (afterSeq >= this.maxSeq || this.pendingSeqs?.size === 0) return [];
    const known = this.fromFresh(limit, afterSeq);
    if (known) {
      this.keepSent(known);
      return known;
    }
    const rows = (this.stmt.nextPending!.all(afterSeq, this.unsyncedFrom ?? Number.MAX_SAFE_INTEGER, limit) as PackedRow[]).map(decodeSent);
    this.keepSent(rows);
    // All of them, from the first on, none held back for its fsync, committed: every pending row.
    if (afterSeq === 0 && this.unsyncedFrom === null && rows.length < limit && !this.db.inTransaction) {
      this.pendingSeqs = new Set(rows.map((r) => r.seq));
    }
    return rows;
  }

  /**
   * Rows handed to the forwarder, kept for their settle (sentRows): read from the file, or fresh, i.e.
   * as insertOne made them (what a read returns; an online award's row is one).
   */
  private keepSent(rows: OutboxRow[]): void {
    if (this.sentRows.size + rows.length > SENT_ROWS) this.sentRows.clear();
    for (const row of rows) this.sentRows.set(row.id, { row, attempts: row.attempts });
  }

  /**
   * nextPending's answer from `fresh`, or undefined: when every row it would return (the first of
   * pendingSeqs, a superset of the pending rows, after afterSeq and before unsyncedFrom) is fresh.
   */
  private fromFresh(limit: number, afterSeq: number): OutboxRow[] | undefined {
    if (this.pendingSeqs === null || this.fresh.size === 0 || this.db.inTransaction) return undefined;
    const before = this.unsyncedFrom ?? Number.MAX_SAFE_INTEGER;
    const seqs = [...this.pendingSeqs].filter((seq) => seq > afterSeq && seq < before).sort((a, b) => a - b).slice(0, limit);
    const rows: OutboxRow[] = [];
    for (const seq of seqs) {
      const row = this.fresh.get(seq);
      if (!row) return undefined;
      rows.push(row);
    }
    return rows;
  }

  markAttempt(ids: string[]): void {
    // Sends their commit counted (precountSends) are not counted again.
    const rest = this.precounted.size === 0 ? ids : ids.filter((id) => !this.precounted.delete(id));
    if (rest.length === 0) return;
    this.fresh.clear();
    const at = isoString(this.now());
    if (this.db.inTransaction) {
      // Counted inside someone else's transaction, which may roll back: the counts in sentRows would not be known.
      this.sentRows.clear();
      this.write(() => this.attemptTx(at, rest, undefined));
      return;
    }
    const sent = rest === ids ? this.batchOf(rest) : undefined;
    // Bookkeeping, on the way to the host: no fsync of its own (withoutFsync).
    try {
      this.write(() => withoutFsync(this.db, () => this.attemptTx(at, rest, sent)));
    } catch (error) {
      if (!(error instanceof NotTheBatch)) throw error;
      this.write(() => withoutFsync(this.db, () => this.attemptTx(at, rest, undefined)));
    }
    // Committed: each row handed out has one more (its UPDATE's `state = 'pending'` held: a row in sentRows is pending).
    if (sent) for (const s of sent) s.attempts += 1;
    else for (const id of rest) { const s = this.sentRows.get(id); if (s) s.attempts += 1; }
  }

  /**
   * The rows of `ids` if all were handed out by nextPending and are in seq order, else undefined (counted
   * row by row). The forwarder counts the batches nextPending handed out, each every pending row of its
   * seq range; attemptTx counts the range in one UPDATE and checks that it counted as many rows as it
   * was given: every row of sentRows is pending, so each of them was counted, and an equal count means
   * no other (a row made pending since by a retry, a rollback), else it rolls back and counts row by row.
   */
  private batchOf(ids: string[]): Sent[] | undefined {
    if (ids.length < 2) return undefined;
    const out: Sent[] = new Array(ids.length);
    let last = 0;
    for (let i = 0; i < ids.length; i++) {
      const s = this.sentRows.get(ids[i]!);
      if (s === undefined || s.row.seq <= last) return undefined;
      last = s.row.seq;
      out[i] = s;
    }
    return out;
  }

  precountSends(sendsAtOnce: (() => number) | undefined): void {
    this.sendsAtOnce = sendsAtOnce;
  }

  /**
   * Apply the host's answers in one transaction; returns the rows that changed state. Each row is
   * read back through decode(), which checks an ok answer against its op's schema: this is where
   * an answer is parsed on arrival. One that does not match is counted here, in the same commit.
   */
  settle(outcomes: Outcome[]): OutboxRow[] {
    this.fresh.clear();
    const at = isoString(this.now());
    const settledAt = isoString(this.trusted());
    const apply = () => this.settleTx(outcomes, at, settledAt);
    // The host's ok answers: if a power cut loses them the rows are resent and the host's dedup
    // answers them again, so they need no fsync of their own. A refusal does (the host keeps no
    // record of it: resent, it could be applied after the till was told it was refused).
    const inOuter = this.db.inTransaction;
    let changed: OutboxRow[];
    try {
      changed = this.write(() => (outcomes.every((o) => o.ok) ? withoutFsync(this.db, apply) : apply()));
    } finally {
      // Settled, or to be read again by nextPending (which keeps the payload again).
      if (this.sentRows.size > 0) for (const o of outcomes) this.sentRows.delete(o.id);
    }
    // Committed: these rows are no longer pending (inside an outer transaction that may yet roll back: not known).
    if (inOuter) this.pendingSeqs = null;
    else for (const row of changed) this.pendingSeqs?.delete(row.seq);
    if (this.precounted.size > 0) for (const row of changed) this.precounted.delete(row.id);
    return changed;
  }

  /**
   * A pending award the POS is about to be answered "queued" for: committed (fsync) before that
   * answer, so every send from now on tells the host the POS deducted no instant or automatic spend.
   * Returns the row as it is now (already answered by the host: unchanged).
   */
  withholdReductions(id: string): OutboxRow | undefined {
    this.fresh.clear();
    this.sentRows.delete(id); // its payload changes: settle reads the row back
    this.write(() => this.stmt.withholdReductions!.run(this.now().toISOString(), id));
    return this.get(id);
  }

  retry(id: string | null): number {
    const at = this.now().toISOString();
    this.pendingSeqs = null;
    this.fresh.clear();
    return this.write(() => (id === null ? this.stmt.retryAll!.run(at).changes : this.stmt.retryOne!.run(at, id).changes));
  }

  stats(): OutboxStats {
    return this.stmt.stats!.get() as OutboxStats;
  }

  nonePending(): boolean {
    // pendingSeqs is a superset of the pending rows: empty means none, more means maybe.
    return this.pendingSeqs?.size === 0 && !this.db.inTransaction;
  }

  list(state: OutboxState, limit: number): OutboxRow[] {
    const stmt = this.byState.get(state);
    return stmt ? (stmt.all(limit) as RawRow[]).map(decodeRaw) : [];
  }

  /** Spends queued on this till for a customer, not yet confirmed by the host. */
  pendingSpend(customerId: string, currency: string): number {
    return (this.stmt.pendingSpend!.get(customerId, currency) as { total: number }).total;
  }

  offlineSpendsOf(customerId: string, currency: string): OfflineSpend[] {
    return this.stmt.offlineSpendsOf!.all(customerId, currency) as OfflineSpend[];
  }

  lastBalanceRow(customerId: string): OutboxRow | undefined {
    const raw = this.stmt.lastBalanceRow!.get(customerId) as RawRow | undefined;
    return raw && decodeRaw(raw);
  }

  /** Offline spends approved by this till and not yet confirmed by the host, per currency. */
  offlineSpendExposure(): Array<{ currency: string; count: number; amount: number; since: string }> {
    return this.stmt.offlineExposure!.all() as Array<{ currency: string; count: number; amount: number; since: string }>;
  }

  /** The batches of one products.sync upload (payload.sync.id), in order. */
  productBatches(syncId: string): ProductBatchRow[] {
    type Raw = Omit<ProductBatchRow, 'last' | 'result' | 'error'> & { last: number; result: string | null; error: string | null };
    return (this.stmt.productBatches!.all(syncId) as Raw[]).map((r) => {
      const { result, result_error } = readResult('products.sync', r.result);
      const row: ProductBatchRow = {
        ...r,
        last: r.last === 1,
        result: result as HostResult<'products.sync'> | null,
        error: r.error === null ? null : (JSON.parse(r.error) as UpstreamError),
      };
      if (result_error !== undefined) row.result_error = result_error;
      return row;
    });
  }

  productSkusSent(syncId: string, skus: readonly string[]): ProductSkuSent[] {
    const first = new Map<string, ProductSkuSent>();
    for (const r of this.stmt.productSkusSent!.all(syncId, JSON.stringify(skus)) as ProductSkuSent[]) {
      if (!first.has(r.sku)) first.set(r.sku, r);
    }
    return [...first.values()];
  }

  /** Delivered rows settled before `olderThan` (trusted time), a sale's rows all together. */
  pruneDone(olderThan: Date): number {
    return this.write(() => this.stmt.prune!.run({ cutoff: olderThan.toISOString() }).changes);
  }

  /** Every write goes through here: the observer hears of it, a full disk is STORAGE_FULL. */
  private write<T>(fn: () => T): T {
    try {
      return observed(this.observer, fn);
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * A passive checkpoint every CHECKPOINT_EVERY_COMMITS group commits, handed to the checkpoint
   * worker. Called by the forwarder once a request is on its way (see CHECKPOINT_EVERY_COMMITS).
   * Throws the worker's last failure (once), STORAGE_FULL for a full disk. Without a worker it runs
   * here, not while a commit's fsync is in flight.
   */
  checkpointIfDue(): void {
    const checkpoints = this.checkpoints;
    if (!checkpoints.due || !this.wal.enabled || !this.db.open) return;
    if (!checkpoints.offThread && (this.syncing || this.db.inTransaction)) return;
    this.write(() => checkpoints.runIfDue());
  }

  /** Wait for queued appends to commit (used on shutdown). */
  async drainWrites(): Promise<void> {
    while (this.queue.length > 0 || this.flushScheduled || this.syncing) await new Promise((r) => setImmediate(r));
  }

  /** Closes the checkpoint worker's connection and the WAL descriptors (after drainWrites, before the database is closed). */
  close(): void {
    this.checkpoints.close();
    for (const wal of new Set([this.wal, ...this.freeWals, ...this.inFlight.map((s) => s.wal)])) wal.close();
  }
}

/** The first seq a commit of `groups` holds back from the forwarder (Committed.first), or null. */
function firstHeldBack(groups: Committed[]): number | null {
  for (const g of groups) if (g.first !== null) return g.first;
  return null;
}

/** Each caller of a commit hears its outcome: its rows, or its own error. */
function answerGroup(waiting: Waiting[], results: CommitResult[]): void {
  waiting.forEach((w, i) => {
    const r = results[i]!;
    if (r.ok) w.resolve(r.outcomes);
    else w.reject(r.error);
  });
}

function storageError(error: unknown): unknown {
  return isDiskFull(error) ? new AgentError('STORAGE_FULL', 'the till has no disk space left for the outbox') : error;
}
