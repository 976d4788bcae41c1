// A small POS for tests: speaks the local protocol over TCP or a Unix socket. Responses are
// matched to requests by id; frames nobody waits for (id null, unknown ids) queue up for
// nextFrame(); event frames collect in `events`. Framing is deliberately independent of
// protocol/line-splitter.ts so the two check each other.
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { EventFrame, RequestId, Response } from '../../protocol/local.ts';

export type Frame = Response | EventFrame;

export interface PosClient {
  /** Sends a request (id generated unless given) and resolves with its response. */
  request(op: string, params?: unknown, id?: RequestId): Promise<Response>;
  /** Writes raw bytes as they are (add the "\n" yourself). */
  send(raw: string | Buffer): void;
  /** The next frame no request claimed, in arrival order. Rejects on timeout or when closed with none left. */
  nextFrame(timeoutMs?: number): Promise<Frame>;
  /** Event frames received so far. */
  readonly events: EventFrame[];
  waitForEvent(topic: string, predicate?: (data: unknown) => boolean, timeoutMs?: number): Promise<EventFrame>;
  /** Lines that were not JSON: the server must never send one. */
  readonly badLines: string[];
  readonly socket: net.Socket;
  close(): Promise<void>;
  /** Resolves when the connection has closed, from either side. */
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** requestTimeoutMs: how long request() waits for each response (default 5 s; benches under valgrind wait longer). */
export async function connectPos(where: { port: number; host?: string } | { path: string }, options: { requestTimeoutMs?: number } = {}): Promise<PosClient> {
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const socket = 'path' in where
    ? net.connect({ path: where.path })
    : net.connect({ port: where.port, host: where.host ?? '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });

  const pending = new Map<string, (response: Response) => void>();
  const unclaimed: Frame[] = [];
  const events: EventFrame[] = [];
  const badLines: string[] = [];
  const wakers = new Set<() => void>();
  let isClosed = false;
  let nextId = 0;

  const wake = () => { for (const w of [...wakers]) w(); };
  const key = (id: unknown) => JSON.stringify(id); // keeps 1 and "1" apart

  const decoder = new StringDecoder('utf8');
  let buffered = '';
  socket.on('data', (chunk: Buffer) => {
    buffered += decoder.write(chunk);
    let newline: number;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let frame: Frame;
      try {
        frame = JSON.parse(line) as Frame;
      } catch {
        badLines.push(line);
        continue;
      }
      if ('event' in frame) {
        events.push(frame);
      } else {
        const resolve = frame.id === null ? undefined : pending.get(key(frame.id));
        if (resolve) {
          pending.delete(key(frame.id));
          resolve(frame);
        } else {
          unclaimed.push(frame);
        }
      }
    }
    wake();
  });
  socket.on('error', () => {}); // resets are expected in some tests; 'close' follows
  const closed = new Promise<void>((resolve) => socket.once('close', () => {
    isClosed = true;
    wake();
    resolve();
  }));

  /** Resolves with check()'s first non-undefined value, re-checked whenever data arrives or the socket closes. */
  function when<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        let value: T | undefined;
        try {
          value = check();
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        if (value !== undefined) {
          finish();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        wakers.delete(attempt);
      };
      wakers.add(attempt);
      attempt();
    });
  }

  return {
    socket,
    events,
    badLines,
    closed,
    get isClosed() { return isClosed; },

    request(op, params, id) {
      const requestId = id ?? `r${++nextId}`;
      const k = key(requestId);
      if (pending.has(k)) return Promise.reject(new Error(`request id ${k} is already pending`));
      let response: Response | undefined;
      pending.set(k, (r) => { response = r; });
      const frame: Record<string, unknown> = { id: requestId, op };
      if (params !== undefined) frame.params = params;
      socket.write(`${JSON.stringify(frame)}\n`);
      return when(() => {
        if (response) return response;
        if (isClosed) throw new Error(`connection closed before the response to ${op} (${k})`);
        return undefined;
      }, `the response to ${op} (${k})`, requestTimeoutMs);
    },

    send(raw) {
      socket.write(raw);
    },

    nextFrame(timeoutMs = DEFAULT_TIMEOUT_MS) {
      return when(() => {
        const frame = unclaimed.shift();
        if (frame) return frame;
        if (isClosed) throw new Error('connection closed with no frame left');
        return undefined;
      }, 'the next frame', timeoutMs);
    },

    waitForEvent(topic, predicate = () => true, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return when(() => {
        const found = events.find((e) => e.event === topic && predicate(e.data));
        if (found) return found;
        if (isClosed) throw new Error(`connection closed before a "${topic}" event`);
        return undefined;
      }, `a "${topic}" event`, timeoutMs);
    },

    async close() {
      socket.end();
      const timer = setTimeout(() => socket.destroy(), 1000);
      await closed;
      clearTimeout(timer);
    },
  };
}
