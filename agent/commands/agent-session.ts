// A long-lived connection to the running agent for commands that need more than one
// request/answer (cli-client.ts `call`): structured errors and events after events.subscribe.
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { ErrorBody } from '../../protocol/errors.ts';
import type { ClientTarget } from '../cli-client.ts';

export type Answer = { ok: true; result: unknown } | { ok: false; error: ErrorBody };

export interface AgentSession {
  /** One request: resolves with the agent's answer (an error answer is a value); rejects when there is none. */
  request(op: string, params?: unknown): Promise<Answer>;
  onEvent(listener: (topic: string, data: unknown) => void): void;
  /** Resolves when the connection has closed, from either side. */
  readonly closed: Promise<void>;
  close(): void;
}

/** Connects and says hello (with the token); rejects when the agent cannot be reached in time. */
export async function openSession(target: ClientTarget, timeoutMs = 10_000): Promise<AgentSession> {
  const socket = target.path ? net.connect({ path: target.path }) : net.connect(target.tcp!);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from the agent within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => { clearTimeout(timer); resolve(); });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach the agent (${error.code ?? error.message}): is it running? (systemctl status till-agent; the demo: npm start)`));
    });
  });
  socket.on('error', () => undefined); // 'close' follows and settles everything

  const waiting = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const listeners: Array<(topic: string, data: unknown) => void> = [];
  let nextId = 0;
  let isClosed = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => {
    isClosed = true;
    for (const [, w] of waiting) {
      clearTimeout(w.timer);
      w.reject(new Error('the agent closed the connection'));
    }
    waiting.clear();
    resolve();
  }));

  const decoder = new StringDecoder('utf8');
  let buffer = '';
  socket.on('data', (chunk: Buffer) => {
    buffer += decoder.write(chunk);
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let frame: { id?: number; ok?: boolean; result?: unknown; error?: ErrorBody; event?: string; data?: unknown };
      try {
        frame = JSON.parse(line) as typeof frame;
      } catch {
        continue; // the agent never sends a non-JSON line; nothing sensible to do with one
      }
      if (typeof frame.event === 'string') {
        for (const l of listeners) l(frame.event, frame.data);
        continue;
      }
      const w = typeof frame.id === 'number' ? waiting.get(frame.id) : undefined;
      if (!w) continue;
      waiting.delete(frame.id!);
      clearTimeout(w.timer);
      w.resolve(frame.ok ? { ok: true, result: frame.result } : { ok: false, error: frame.error! });
    }
  });

  const session: AgentSession = {
    closed,
    onEvent: (l) => { listeners.push(l); },
    close: () => { socket.end(); setTimeout(() => socket.destroy(), 1000).unref(); },
    request(op, params) {
      const id = ++nextId;
      if (isClosed) return Promise.reject(new Error('the agent closed the connection'));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`no answer to ${op} from the agent within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, { resolve, reject, timer });
        socket.write(JSON.stringify({ id, op, ...(params === undefined ? {} : { params }) }) + '\n');
      });
    },
  };
  const hello = await session.request('hello', target.token ? { token: target.token } : {}).catch((error: unknown) => {
    socket.destroy();
    throw error;
  });
  if (!hello.ok) {
    socket.destroy();
    throw new Error(`${hello.error.code}: ${hello.error.message}`);
  }
  return session;
}
