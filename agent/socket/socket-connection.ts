// One POS connection on the local socket: framing, auth, validation, dispatch, events.
//
//   socket bytes ─▶ LineSplitter ─▶ queue of lines ─▶ handleLine ─▶ hello / events.* (inline)
//                                                                 └▶ handler (async, ≤ maxInflight)
//   responses and event frames ◀─ write() ◀─ as each request completes (matched by id)
//
// Backpressure, not errors: reading pauses while maxInflight requests run or while the
// socket's write buffer is full, so a fast writer can neither start unbounded work nor
// pile up responses. Events cannot wait, so a reader too slow for them is dropped.
import type { Socket } from 'node:net';
import { AgentError, RETRYABLE, errorBody, type ErrorBody, type ErrorCode } from '../../protocol/errors.ts';
import {
  DEFAULT_PROTOCOL, EVENT_TOPICS, PROTOCOL_VERSIONS, isOp, parseParams, parseRequest, requestIdSchema,
  type EventTopic, type HandledOp, type Op, type Params, type ProtocolVersion, type RequestId, type Response,
} from '../../protocol/local.ts';
import { awardFrame } from '../../protocol/award-frame.ts';
import { checkKeys } from '../../protocol/json-frame.ts';
import { maskPansIn } from '../../protocol/pan.ts';
import { formatPath } from '../../protocol/schema.ts';
import { requestLogFields, requestLogLevel } from './request-log.ts';
import type { EventBus, EventData } from '../events.ts';
import { ConnectionGuard } from './connection-guard.ts';
import type { HelloThrottle } from './hello-throttle.ts';
import { LineSplitter, NOT_UTF8, type SplitResult } from '../../protocol/line-splitter.ts';
import type { Logger } from '../../runtime/log.ts';

export interface RequestContext {
  connectionId: string;
  /** Unique per request, for correlating logs. */
  requestId: string;
  log: Logger;
  /** The protocol version this connection negotiated by hello when the request arrived (1 without one). */
  protocol: ProtocolVersion;
}

/** params were already validated by parseParams(op). */
export type Handler = (op: HandledOp, params: unknown, ctx: RequestContext) => Promise<unknown>;

/** What a connection needs from the server that owns it. */
export interface ConnectionHost {
  readonly stopping: boolean;
  /** Server-wide in-flight accounting (stop() waits on it, even for closed connections). */
  requestStarted(): void;
  requestFinished(): void;
  /** Every answered request, for metrics: op ('unknown' when unparseable), OK or error code. */
  outcome(op: string, code: string, seconds: number): void;
}

export interface ConnectionOptions {
  id: string;
  socket: Socket;
  host: ConnectionHost;
  token: string | null;
  /** Who is connecting, for the hello throttle: the remote address, or "unix". */
  peer: string;
  /** With a token: a connection that has not said hello with it by then is closed. */
  helloTimeoutMs: number;
  /** A connection with nothing in flight, no event subscription and no input for this long is closed; 0: never. */
  idleTimeoutMs: number;
  throttle: HelloThrottle;
  maxLineBytes: number;
  maxInflight: number;
  maxPendingEventBytes: number;
  /** How long an ended connection may wait for the peer to close before it is destroyed. */
  closeGraceMs: number;
  hello: () => Record<string, unknown>;
  handle: Handler;
  events: EventBus;
  log: Logger;
}

const TOO_LARGE = Symbol('too large');

export class Connection {
  readonly id: string;
  /** Resolves once the socket is fully closed. */
  readonly closed: Promise<void>;

  private readonly socket: Socket;
  private readonly log: Logger;
  /**
   * The connection's logger without redaction, for the 'request' line only (request-log.ts: its
   * fields are primitives under keys no REDACT path names, so redaction cannot change it; test
   * agent/request-log.test.ts). pino's `*.` redactor was most of that line's cost, one line per
   * sale at info: +30 % of the agent's instructions per offline award (bench/README, issue 10).
   */
  private readonly requestLog: Logger;
  private readonly splitter: LineSplitter;
  private readonly queue: Array<string | typeof NOT_UTF8 | typeof TOO_LARGE> = [];
  /** Sales named by this connection's unanswered requests, each with the starts of the requests queued behind it, in order (null: none). */
  private readonly sales = new Map<string, Array<() => void> | null>();
  /** refund_id → its sale, while the refund is unanswered: the return's receipt (txn_id: refund_id) waits for it too. */
  private readonly returns = new Map<string, string>();
  private readonly subscriptions = new Map<EventTopic, () => void>();
  private readonly guard: ConnectionGuard;
  private inflight = 0;
  private requestSeq = 0;
  /** No more requests are read; the connection ends once its in-flight requests finish. */
  private ending = false;
  /** The peer half-closed: what it sent is still answered, then our side ends too. */
  private peerEnded = false;
  private isClosed = false;
  private endRequested = false;
  /** Negotiated by hello {protocol}; a later hello may change it for the requests after it. */
  private protocol: ProtocolVersion = DEFAULT_PROTOCOL;

  constructor(private readonly options: ConnectionOptions) {
    this.id = options.id;
    this.socket = options.socket;
    this.log = options.log;
    this.requestLog = options.log.child({}, { redact: [] });
    this.splitter = new LineSplitter(options.maxLineBytes);
    this.guard = new ConnectionGuard({
      ...options,
      busy: () => this.inflight > 0 || this.subscriptions.size > 0 || this.queue.length > 0,
      expire: (why) => this.expire(why),
    });

    this.closed = new Promise((resolve) => {
      this.socket.once('close', () => {
        this.isClosed = true;
        this.queue.length = 0;
        this.unsubscribe(null);
        this.log.debug({ inflight: this.inflight }, 'connection closed');
        resolve();
      });
    });
    // ECONNRESET, EPIPE and the like: the peer went away. 'close' follows and cleans up.
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      this.log.debug({ code: err.code, msg: err.message }, 'connection socket error');
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('drain', () => this.pump());
    void this.closed.then(() => this.guard.stop());
  }

  /** A timeout of the guard: silent or guessing peers must not hold a connection slot. */
  private expire(why: 'hello' | 'idle'): void {
    if (this.isClosed || this.ending) return;
    const { peer, helloTimeoutMs, idleTimeoutMs } = this.options;
    if (why === 'hello') {
      this.options.throttle.timedOut(peer); // logged as a rate: silent connections can come in floods
      this.write({ id: null, ok: false, error: codeBody('UNAUTHORIZED', `no hello with the token within ${helloTimeoutMs} ms; closing`) });
    } else {
      this.log.debug({ peer, idleTimeoutMs }, 'idle connection closed');
    }
    void this.close();
  }

  /** Called by the server when stop() begins: queued lines are answered with SHUTTING_DOWN. */
  stopping(): void {
    this.pump();
  }

  /** Ends the connection after flushing what was written; destroys it if the peer lingers. */
  close(): Promise<void> {
    this.ending = true;
    this.endSocket();
    return this.closed;
  }

  private onData(chunk: Buffer): void {
    this.guard.input();
    if (this.ending || this.isClosed) return; // discard, but keep reading so the peer is not blocked
    this.enqueue(this.splitter.push(chunk));
    this.pump();
  }

  private onEnd(): void {
    if (!this.ending) this.enqueue(this.splitter.end()); // a last line without "\n" still counts
    this.peerEnded = true;
    this.pump();
  }

  private enqueue({ lines, tooLarge }: SplitResult): void {
    for (const line of lines) this.queue.push(line);
    if (tooLarge) this.queue.push(TOO_LARGE);
  }

  /** Handles queued lines in order for as long as backpressure allows, then sets the read state. */
  private pump(): void {
    while (this.queue.length > 0 && !this.ending && !this.isClosed) {
      if (this.socket.writableNeedDrain) break;
      if (this.inflight >= this.options.maxInflight && !this.options.host.stopping) break;
      const line = this.queue.shift()!;
      if (line === TOO_LARGE) {
        this.log.info({ maxLineBytes: this.options.maxLineBytes }, 'frame too large, closing connection');
        this.write({ id: null, ok: false, error: codeBody('FRAME_TOO_LARGE', `a line must be at most ${this.options.maxLineBytes} bytes`) });
        this.queue.length = 0;
        this.ending = true;
      } else {
        this.handleLine(line);
      }
    }
    if (this.isClosed) return;
    const done = this.ending || (this.peerEnded && this.queue.length === 0);
    if (done && this.inflight === 0) return this.endSocket();
    const blocked = this.queue.length > 0 || this.socket.writableNeedDrain ||
      (this.inflight >= this.options.maxInflight && !this.options.host.stopping);
    if (blocked && !this.ending) this.socket.pause();
    else this.socket.resume();
  }

  private handleLine(line: string | typeof NOT_UTF8): void {
    const requestId = `${this.id}.${++this.requestSeq}`;
    if (line === NOT_UTF8) return this.fail(requestId, null, undefined, 'BAD_FRAME', 'the line is not UTF-8: a frame must be UTF-8 text, one JSON object per line');
    let decoded: unknown;
    try {
      decoded = JSON.parse(line);
    } catch {
      return this.fail(requestId, null, undefined, 'BAD_FRAME', 'a frame must be one JSON object per line');
    }
    // An award, decoded and validated in one walk (protocol/award-frame.ts); every other frame, or one
    // that walk gives up on, the general way below, which would come to the same.
    const award = awardFrame(line, decoded, this.protocol >= 2);
    if (award) {
      if (this.admitted(requestId, award.id, 'award')) this.dispatch(requestId, award.id, 'award', award.params);
      return;
    }
    const frame = checkKeys(line, decoded);
    const value = frame.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.fail(requestId, null, undefined, 'BAD_FRAME', 'a frame must be a JSON object');
    }
    if (!frame.ok) {
      // Last-wins would run something other than what the frame seems to say: refuse it whole.
      // The id is echoed only when it is not itself the repeated key.
      const id = frame.path.length === 1 && frame.path[0] === 'id' ? undefined : requestIdSchema.safeParse((value as { id?: unknown }).id);
      const where = maskPansIn(formatPath(frame.path));
      return this.fail(requestId, id?.success ? id.data : null, undefined, 'BAD_REQUEST', `${where}: duplicate key (a key may appear only once per object)`);
    }
    const envelope = parseRequest(value);
    if (!envelope.ok) {
      const id = requestIdSchema.safeParse((value as { id?: unknown }).id);
      return this.fail(requestId, id.success ? id.data : null, undefined, 'BAD_REQUEST', envelope.errors.join('; '));
    }
    const { id, op, params } = envelope.value;
    const knownOp = isOp(op) ? op : undefined;
    if (!this.admitted(requestId, id, knownOp, op)) return;
    if (!knownOp) return this.fail(requestId, id, undefined, 'UNKNOWN_OP', `unknown op ${JSON.stringify(op)}`);
    const parsed = parseParams(knownOp, params, this.protocol);
    if (!parsed.ok) return this.fail(requestId, id, knownOp, 'BAD_REQUEST', parsed.errors.join('; '));

    switch (knownOp) {
      case 'hello': {
        const p = parsed.value as Params<'hello'>;
        const verdict = this.guard.hello(p.token);
        if (!verdict.ok) {
          this.fail(requestId, id, knownOp, 'UNAUTHORIZED', verdict.message);
          if (verdict.close) void this.close();
          return;
        }
        // An unknown version was refused by the schema; no version named means version 1.
        this.protocol = p.protocol ?? DEFAULT_PROTOCOL;
        return this.answer(requestId, id, knownOp, () => ({ ...this.options.hello(), protocol: this.protocol, protocols: [...PROTOCOL_VERSIONS] }));
      }
      case 'events.subscribe': {
        for (const topic of (parsed.value as Params<'events.subscribe'>).topics) this.subscribe(topic);
        return this.answer(requestId, id, knownOp, () => ({ topics: this.topics() }));
      }
      case 'events.unsubscribe': {
        this.unsubscribe((parsed.value as Params<'events.unsubscribe'>).topics ?? null);
        return this.answer(requestId, id, knownOp, () => ({ topics: this.topics() }));
      }
      default:
        this.dispatch(requestId, id, knownOp, parsed.value);
    }
  }

  /** A request is refused while the agent stops, and before a hello with the token (hello itself excepted); false: answered so. */
  private admitted(requestId: string, id: RequestId, knownOp: Op | undefined, op: string = knownOp!): boolean {
    if (this.options.host.stopping) {
      this.fail(requestId, id, knownOp, 'SHUTTING_DOWN', 'the agent is shutting down; retry shortly');
      return false;
    }
    if (!this.guard.authenticated && op !== 'hello') {
      this.fail(requestId, id, knownOp, 'UNAUTHORIZED', 'send hello with the token first');
      return false;
    }
    return true;
  }

  /**
   * Starts a request, or, when an earlier request of this connection that names the same sale is
   * not answered yet, queues it behind that one (LOCAL.md "Transport": a spend sent with its award
   * must find the sale). It is in flight from now on either way: it counts against maxInflight.
   * Not ops/keyed-lock.ts: its run() starts even a free key's work a promise turn later, and an award
   * must reach award() in the run that parsed it (protocol/fast-path.ts marks its params by that).
   */
  private dispatch(requestId: string, id: RequestId, op: HandledOp, params: unknown): void {
    this.inflight++;
    this.options.host.requestStarted();
    const started = performance.now();
    const ctx = requestContext(this.id, requestId, op, this.log, this.protocol); // the version it arrived under
    let sale = saleOf(op, params);
    const refundId = op === 'refund' ? (params as { refund_id?: unknown }).refund_id : undefined;
    if (sale !== undefined && typeof refundId === 'string') this.returns.set(refundId, sale);
    // A receipt naming a return sent with the return: it is that sale's next request.
    if (op === 'receipt.print' && sale !== undefined) sale = this.returns.get(sale) ?? sale;
    if (sale !== undefined) {
      const waiting = this.sales.get(sale);
      if (waiting !== undefined) {
        const start = () => void this.run(id, op, params, ctx, started, sale, typeof refundId === 'string' ? refundId : undefined);
        if (waiting === null) this.sales.set(sale, [start]);
        else waiting.push(start);
        return;
      }
      this.sales.set(sale, null);
    }
    void this.run(id, op, params, ctx, started, sale, typeof refundId === 'string' ? refundId : undefined);
  }

  /**
   * The sale's next queued request, once the one before it was answered; none left: the sale is
   * free. It starts on the next turn of the event loop, not in this promise continuation: an online
   * award, void or refund is answered before its outbox row is settled (the forwarder settles it in
   * a nextTick, UPSTREAM.md "The POS's answer before the settle"), and the receipt, spend or return
   * sent with it must find the row as the host answered it, not still pending.
   */
  private nextOfSale(sale: string): void {
    const waiting = this.sales.get(sale);
    const start = waiting?.shift();
    if (start) setImmediate(start);
    else this.sales.delete(sale);
  }

  private async run(
    id: RequestId, op: HandledOp, params: unknown, ctx: RequestContext, started: number, sale: string | undefined, refundId?: string,
  ): Promise<void> {
    const requestId = ctx.requestId;
    try {
      let response: Response;
      try {
        const result = await this.options.handle(op, params, ctx);
        response = { id, ok: true, result: result ?? null };
      } catch (error) {
        if (!(error instanceof AgentError)) ctx.log.error({ err: error }, 'handler failed');
        response = { id, ok: false, error: errorBody(error) };
      }
      this.write(response, requestId);
      this.logOutcome(requestId, op, response, started, params);
    } catch (error) {
      // Only reachable through a bug in write/log; never let it become an unhandled rejection.
      this.log.error({ err: error, requestId, op }, 'failed to answer a request');
    } finally {
      // Answered (so committed): a receipt of the return sent from now on finds it without waiting.
      if (refundId !== undefined && this.returns.get(refundId) === sale) this.returns.delete(refundId);
      if (sale !== undefined) this.nextOfSale(sale);
      this.inflight--;
      this.options.host.requestFinished();
      this.pump();
    }
  }

  /** Answers an inline op (hello, events.*). */
  private answer(requestId: string, id: RequestId, op: Op, compute: () => unknown): void {
    const started = performance.now();
    let response: Response;
    try {
      response = { id, ok: true, result: compute() ?? null };
    } catch (error) {
      this.log.error({ err: error, requestId, op }, 'inline op failed');
      response = { id, ok: false, error: errorBody(error) };
    }
    this.write(response, requestId);
    this.logOutcome(requestId, op, response, started);
  }

  private fail(requestId: string, id: RequestId | null, op: Op | undefined, code: ErrorCode, message: string): void {
    const response: Response = { id, ok: false, error: codeBody(code, message) };
    this.write(response, requestId);
    this.logOutcome(requestId, op, response, performance.now());
  }

  /**
   * Never logs params or results: they may hold card numbers. A money op's line names its sale and
   * outcome (refused: warn; a successful award at debug, the others at info), request-log.ts.
   */
  private logOutcome(requestId: string, op: Op | undefined, response: Response, started: number, params?: unknown): void {
    const code = response.ok ? 'OK' : response.error.code;
    const elapsed = performance.now() - started;
    const level = requestLogLevel(op, response);
    if (this.requestLog.isLevelEnabled(level)) {
      this.requestLog[level]({ requestId, op, code, ...requestLogFields(op, params, response), ms: Math.round(elapsed * 10) / 10 }, 'request');
    }
    this.options.host.outcome(op ?? 'unknown', code, elapsed / 1000);
  }

  private write(frame: Response, requestId?: string): void {
    if (this.isClosed || this.socket.destroyed || !this.socket.writable) return;
    let line: string;
    try {
      line = JSON.stringify(frame);
    } catch (error) {
      // A handler returned something JSON cannot carry (a BigInt, a cycle).
      this.log.error({ err: error, requestId }, 'response is not serialisable');
      line = JSON.stringify({ id: frame.id, ok: false, error: errorBody(error) });
    }
    this.socket.write(`${line}\n`);
  }

  private subscribe(topic: EventTopic): void {
    if (this.subscriptions.has(topic)) return;
    this.subscriptions.set(topic, this.options.events.on(topic, (t, data) => this.sendEvent(t, data)));
  }

  private unsubscribe(topics: readonly EventTopic[] | null): void {
    for (const topic of topics ?? [...this.subscriptions.keys()]) {
      this.subscriptions.get(topic)?.();
      this.subscriptions.delete(topic);
    }
  }

  private topics(): EventTopic[] {
    return EVENT_TOPICS.filter((topic) => this.subscriptions.has(topic));
  }

  private sendEvent(topic: EventTopic, data: EventData): void {
    if (this.isClosed || this.socket.destroyed || !this.socket.writable) return;
    if (this.socket.writableLength > this.options.maxPendingEventBytes) {
      this.log.warn({ pendingBytes: this.socket.writableLength, topic }, 'client is not reading its events; dropping connection');
      this.ending = true;
      this.socket.destroy();
      return;
    }
    let line: string;
    try {
      line = JSON.stringify({ event: topic, data });
    } catch (error) {
      this.log.error({ err: error, topic }, 'event is not serialisable; not sent');
      return;
    }
    this.socket.write(`${line}\n`);
  }

  private endSocket(): void {
    if (this.isClosed || this.endRequested) return;
    this.endRequested = true;
    this.socket.resume(); // drain and discard whatever the peer still sends
    this.socket.end();
    // end() waits for the peer's FIN; a peer that never sends it must not hold us forever.
    setTimeout(() => this.socket.destroy(), this.options.closeGraceMs).unref();
  }
}

/**
 * The request's context; its child logger is built on first use (a handler that logs, a failure):
 * most requests log nothing at info, and a pino child per request was a measurable share of an award.
 * A class, the getter on its prototype: an object literal with a getter of its own is made in
 * dictionary mode (issue 10).
 */
class ScopedRequest implements RequestContext {
  readonly #parent: Logger;
  readonly #op: Op;
  #log: Logger | undefined;
  constructor(readonly connectionId: string, readonly requestId: string, parent: Logger, op: Op, readonly protocol: ProtocolVersion) {
    this.#parent = parent;
    this.#op = op;
  }

  get log(): Logger {
    return (this.#log ??= this.#parent.child({ requestId: this.requestId, op: this.#op }));
  }
}

function requestContext(connectionId: string, requestId: string, op: Op, parent: Logger, protocol: ProtocolVersion): RequestContext {
  return new ScopedRequest(connectionId, requestId, parent, op, protocol);
}

/**
 * The sale a request acts on: these ops name it by params.txn_id (a refund's and a receipt's are the
 * sale's too), and each needs what an earlier one of the sale did (the award first).
 */
function saleOf(op: HandledOp, params: unknown): string | undefined {
  if (op === 'award' || op === 'spend' || op === 'void' || op === 'refund' || op === 'receipt.print') return (params as { txn_id?: string }).txn_id;
  return undefined;
}

/** An error body without an Error object: capturing a stack for every refused frame costs more than the rest. */
function codeBody(code: ErrorCode, message: string): ErrorBody {
  return { code, message, retryable: RETRYABLE[code] };
}
