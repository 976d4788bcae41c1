// The local socket through which a legacy POS talks to the agent: listeners (TCP on
// loopback and/or a Unix socket), connection limits and the shutdown sequence. What
// happens on one connection (framing, auth, dispatch, events) lives in socket-connection.ts.
import { chmod, lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { AgentError, errorBody } from '../../protocol/errors.ts';
import { MAX_LINE_BYTES } from '../../protocol/local.ts';
import type { EventBus } from '../events.ts';
import { HelloThrottle } from './hello-throttle.ts';
import { isLoopback } from './listen-address.ts';
import { RateLog } from './rate-log.ts';
import type { Logger } from '../../runtime/log.ts';
import { Connection, type ConnectionHost, type Handler } from './socket-connection.ts';

export type { Handler, RequestContext } from './socket-connection.ts';

export const DEFAULT_STOP_DEADLINE_MS = 4000;
export const DEFAULT_MAX_PENDING_EVENT_BYTES = 1024 * 1024;
export const DEFAULT_HELLO_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** Failed hellos per peer: this many at once, then one more every HELLO_REFILL_MS. */
export const HELLO_BURST = 5;
export const HELLO_REFILL_MS = 2000;
const CLOSE_GRACE_MS = 1000;
const LOOPBACK = '127.0.0.1';

export interface SocketServerOptions {
  /** port 0 picks a free port (tests); see tcpAddress(). An empty host means loopback. */
  tcp: { host: string; port: number } | null;
  /** Socket path; made mode 0660. A stale file is replaced, a live agent's is not. */
  unix: string | null;
  /** Shared token: until a hello carries it, every request gets UNAUTHORIZED. */
  token: string | null;
  /** TCP and Unix together; TCP alone may use all but one while a Unix listener exists (local tools). */
  maxConnections: number;
  /** With a token: close a connection that has not said hello with it by then. Default 10 s. */
  helloTimeoutMs?: number;
  /** Close a connection idle this long (nothing in flight, no subscription); 0 never. Default 5 min. */
  idleTimeoutMs?: number;
  /** Failed-hello throttle per peer (tests use small values). */
  helloThrottle?: { burst: number; refillMs: number; reportMs?: number };
  /** Default MAX_LINE_BYTES (64 KiB). */
  maxLineBytes?: number;
  /** Pipelining limit per connection: reading pauses at the limit (backpressure, not errors). */
  maxInflightPerConnection: number;
  /** Unread output above which an event subscriber is dropped. Default 1 MiB. */
  maxPendingEventBytes?: number;
  /** How long stop() waits for in-flight requests by default. Default 4000 ms. */
  stopDeadlineMs?: number;
  /** Result of hello: {agent, terminal, store, merchant}; the connection adds protocol and protocols. */
  hello: () => Record<string, unknown>;
  handle: Handler;
  events: EventBus;
  log: Logger;
  /** Called once per answered request (metrics). */
  onOutcome?: (op: string, code: string, seconds: number) => void;
}

export type SocketServerState = 'idle' | 'starting' | 'listening' | 'stopping' | 'stopped';

export class SocketServer {
  private state: SocketServerState = 'idle';
  private readonly listeners: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  /** Sockets turned away with TOO_MANY_CONNECTIONS, until they have closed. */
  private readonly rejected = new Set<net.Socket>();
  private connectionSeq = 0;
  private inflightCount = 0;
  private idleWaiters: Array<() => void> = [];
  private unixIno: number | null = null;
  private starting: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private readonly log: Logger;
  private readonly host: ConnectionHost;
  private readonly throttle: HelloThrottle;
  private readonly turnedAway: RateLog;

  constructor(private readonly options: SocketServerOptions) {
    for (const key of ['maxConnections', 'maxInflightPerConnection', 'maxLineBytes', 'maxPendingEventBytes', 'helloTimeoutMs'] as const) {
      const value = options[key];
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new TypeError(`${key} must be a positive integer, got ${String(value)}`);
      }
    }
    if (options.idleTimeoutMs !== undefined && (!Number.isInteger(options.idleTimeoutMs) || options.idleTimeoutMs < 0)) {
      throw new TypeError(`idleTimeoutMs must be a non-negative integer, got ${String(options.idleTimeoutMs)}`);
    }
    this.log = options.log.child({ component: 'socket' });
    this.throttle = new HelloThrottle({ burst: HELLO_BURST, refillMs: HELLO_REFILL_MS, ...options.helloThrottle, log: this.log });
    this.turnedAway = new RateLog({ log: this.log, msg: 'too many connections; turning new ones away', intervalMs: 60_000 });
    const server = this;
    this.host = {
      get stopping() { return server.state === 'stopping' || server.state === 'stopped'; },
      requestStarted: () => { this.inflightCount++; },
      requestFinished: () => {
        this.inflightCount--;
        if (this.inflightCount === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      },
      outcome: (op, code, seconds) => options.onOutcome?.(op, code, seconds),
    };
  }

  get status(): SocketServerState {
    return this.state;
  }

  /** Requests being handled right now, across all connections (including ones already closed). */
  get inflight(): number {
    return this.inflightCount;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The bound TCP address (useful with port 0), or null without a TCP listener. */
  tcpAddress(): { host: string; port: number } | null {
    for (const listener of this.listeners) {
      const address = listener.address();
      if (address && typeof address === 'object') return { host: address.address, port: address.port };
    }
    return null;
  }

  start(): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(new Error(`socket server cannot start from state ${this.state}`));
    this.state = 'starting';
    this.starting = this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    const { tcp, unix } = this.options;
    try {
      if (tcp) {
        const host = tcp.host || LOOPBACK; // never the wildcard address by accident
        await this.listen({ host, port: tcp.port });
        this.log.info({ tcp: this.tcpAddress() }, 'listening on TCP');
        if (!isLoopback(host) && this.options.token === null) {
          this.log.warn({ tcp: this.tcpAddress(), insecure: true },
            'INSECURE: the POS socket is reachable from the network WITHOUT a token: anyone who can connect can award and spend (socket.allow_remote_without_token)');
        }
      }
      if (unix) {
        await removeStaleSocket(unix, this.log);
        await this.listen({ path: unix });
        // listen() creates the file with the umask's mode; the POS user reaches it through the group.
        await chmod(unix, 0o660);
        this.unixIno = (await lstat(unix)).ino;
        this.log.info({ unix }, 'listening on Unix socket');
      }
    } catch (error) {
      await Promise.all(this.listeners.splice(0).map(closeServer));
      this.state = 'idle';
      throw error;
    }
    this.state = 'listening';
  }

  /**
   * Stops accepting connections at once, answers new requests with SHUTTING_DOWN, waits
   * up to deadlineMs for in-flight requests, then flushes and closes every connection.
   */
  stop({ deadlineMs = this.options.stopDeadlineMs ?? DEFAULT_STOP_DEADLINE_MS }: { deadlineMs?: number } = {}): Promise<void> {
    this.stopped ??= this.shutdown(deadlineMs);
    return this.stopped;
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    // A stop() racing start() waits for it, then undoes it. Otherwise nothing is awaited
    // before the listeners close: stop() refuses new connections synchronously.
    if (this.state === 'starting') await this.starting?.catch(() => {});
    if (this.state === 'idle') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    // close() stops accepting now; its callback would wait for every connection, so don't await it here.
    const listenersClosed = Promise.all(this.listeners.splice(0).map(closeServer));
    for (const connection of this.connections) connection.stopping();

    if (!(await this.waitIdle(deadlineMs))) {
      this.log.warn({ inflight: this.inflightCount, deadlineMs }, 'stopping with requests still in flight');
    }
    for (const socket of this.rejected) socket.destroy();
    await Promise.all([...this.connections].map((connection) => connection.close()));
    await listenersClosed;
    await this.removeOwnSocketFile();
    this.throttle.stop();
    this.turnedAway.flush();
    this.turnedAway.stop();
    this.state = 'stopped';
    this.log.info('socket server stopped');
  }

  private waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.inflightCount === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private listen(where: { host: string; port: number } | { path: string }): Promise<void> {
    // allowHalfOpen: a POS may send its requests and shut down its writing side; it still gets its answers.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket, 'path' in where ? 'unix' : 'tcp'));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(where, () => {
        server.off('error', reject);
        // Only from here: a failed listen is the caller's to report (run.ts: one line naming the key), not a second line with a stack.
        server.on('error', (error) => this.log.error({ err: error }, 'socket listener error'));
        this.listeners.push(server);
        resolve();
      });
    });
  }

  private accept(socket: net.Socket, kind: 'tcp' | 'unix'): void {
    socket.setNoDelay(true);
    if (this.host.stopping) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.limitFor(kind)) {
      this.turnAway(socket, kind);
      return;
    }
    const id = `c${++this.connectionSeq}`;
    const log = this.log.child({ connectionId: id });
    const connection = new Connection({
      id,
      socket,
      host: this.host,
      token: this.options.token,
      peer: kind === 'unix' ? 'unix' : socket.remoteAddress ?? 'unknown',
      helloTimeoutMs: this.options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS,
      idleTimeoutMs: this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      throttle: this.throttle,
      maxLineBytes: this.options.maxLineBytes ?? MAX_LINE_BYTES,
      maxInflight: this.options.maxInflightPerConnection,
      maxPendingEventBytes: this.options.maxPendingEventBytes ?? DEFAULT_MAX_PENDING_EVENT_BYTES,
      closeGraceMs: CLOSE_GRACE_MS,
      hello: this.options.hello,
      handle: this.options.handle,
      events: this.options.events,
      log,
    });
    this.connections.add(connection);
    void connection.closed.then(() => this.connections.delete(connection));
    log.debug({ remote: socket.remoteAddress ?? 'unix' }, 'connection opened');
  }

  /** The last slot is kept for the Unix socket: local tools (status, doctor) get in when TCP is full. */
  private limitFor(kind: 'tcp' | 'unix'): number {
    const { maxConnections, unix } = this.options;
    return kind === 'tcp' && unix && maxConnections > 1 ? maxConnections - 1 : maxConnections;
  }

  private turnAway(socket: net.Socket, kind: 'tcp' | 'unix'): void {
    this.turnedAway.hit(kind, { listener: kind, maxConnections: this.options.maxConnections });
    this.rejected.add(socket);
    socket.on('error', () => {}); // the peer may already be gone; nothing to report
    socket.once('close', () => this.rejected.delete(socket));
    const error = new AgentError('TOO_MANY_CONNECTIONS', `at most ${this.limitFor(kind)} connections${kind === 'tcp' && this.limitFor(kind) < this.options.maxConnections ? ' over TCP (one is kept for the Unix socket)' : ''}`);
    socket.end(`${JSON.stringify({ id: null, ok: false, error: errorBody(error) })}\n`);
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Node unlinks the file on close; make sure, but never remove a file that another process now owns. */
  private async removeOwnSocketFile(): Promise<void> {
    const path = this.options.unix;
    if (!path || this.unixIno === null) return;
    try {
      if ((await lstat(path)).ino === this.unixIno) await unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ err: error, path }, 'could not remove socket file');
    }
  }
}

/** Removes a socket file nobody listens on; refuses a live one and anything that is not a socket. */
async function removeStaleSocket(path: string, log: Logger): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) throw Object.assign(new Error(`${path} exists and is not a socket; refusing to replace it`), { code: 'EEXIST' });
  if (await someoneListens(path)) {
    throw Object.assign(new Error(`another process (a running till-agent?) is listening on ${path}`), { code: 'EADDRINUSE' });
  }
  await unlink(path);
  log.warn({ unix: path }, 'removed stale socket file');
}

function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(false);
      else reject(error); // EACCES, EAGAIN (full backlog: alive): not ours to judge as stale
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
