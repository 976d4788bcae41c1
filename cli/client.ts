// The operator commands' way into a running agent: its own local socket, as a POS would.
// `call` for a few requests and their results; `openSession` for a long-lived connection
// (structured error answers, and events after events.subscribe).
import { existsSync } from 'node:fs';
import net from 'node:net';
import type { ErrorBody } from '../protocol/errors.ts';
import type { TillIdentity } from '../protocol/upstream.ts';
import { LineSplitter, NOT_UTF8 } from '../protocol/line-splitter.ts';
import { UsageError, type FlagSpec } from './commands/args.ts';
import { locateConfig } from './commands/locate-config.ts';
import { printError } from './commands/output.ts';
import { loadConfig, parseListen } from '../agent/config.ts';

export interface ClientTarget {
  path?: string;
  tcp?: { host: string; port: number };
  token: string | null;
  /** The till the config names, when the target came from a config: the agent answering may be another's. */
  till?: TillIdentity;
}

/** The flags every command that talks to the agent takes. */
export const CONNECTION_FLAGS = {
  config: { type: 'string' },
  data: { type: 'string' },
  socket: { type: 'string' },
  tcp: { type: 'string' },
} as const satisfies FlagSpec;

/** The help text of those flags. */
export const CONNECTION_HELP = `Which agent: --config FILE (its config), --data DIR (a demo's data directory),
--socket PATH or --tcp HOST:PORT; by default the config /etc/till-agent/config.yaml,
else the demo's ./data/config.yaml.
`;

/** `config` is found when the command runs (locate-config.ts): a missing one is not a usage error. */
export type Connection =
  | { kind: 'socket'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind?: 'config'; config?: string; data?: string };

/** Checks the connection flags while parsing (so a bad one is a usage error, exit 2). */
export function connectionFrom(values: { config?: string; data?: string; socket?: string; tcp?: string }): Connection {
  const given = (['config', 'data', 'socket', 'tcp'] as const).filter((k) => values[k] !== undefined);
  if (given.length > 1) throw new UsageError(`give only one of ${given.map((k) => `--${k}`).join(', ')}`);
  if (values.socket !== undefined) return { kind: 'socket', path: values.socket };
  if (values.tcp !== undefined) {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(values.tcp);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) throw new UsageError(`--tcp must be HOST:PORT, such as 127.0.0.1:7411 (got "${values.tcp}")`);
    return { kind: 'tcp', ...parseListen(values.tcp) };
  }
  return { kind: 'config', ...(values.config !== undefined ? { config: values.config } : {}), ...(values.data !== undefined ? { data: values.data } : {}) };
}

/** Where the agent listens: the flags directly, or the config's Unix socket (if present) or TCP. */
export function targetFrom(connection: Connection): ClientTarget {
  if (connection.kind === 'socket') return { path: connection.path, token: null };
  if (connection.kind === 'tcp') return { tcp: { host: connection.host, port: connection.port }, token: null };
  const config = loadConfig(locateConfig(connection));
  const token = config.socket.token;
  const till = { merchant: config.merchant, store: config.store, terminal: config.terminal };
  if (config.socket.unix && existsSync(config.socket.unix)) return { path: config.socket.unix, token, till };
  if (config.socket.tcp) return { tcp: parseListen(config.socket.tcp), token, till };
  throw new Error('the config enables neither socket.unix nor socket.tcp');
}

/**
 * Says why the agent that answered `hello` is not the one `target`'s config names (another till's:
 * a demo on the same port, or the agent before an edit of the till's identity), or null when it is
 * that till's or the target names none (--socket, --tcp).
 */
export function anotherTill(target: ClientTarget, hello: unknown): string | null {
  const till = target.till;
  const h = (hello ?? {}) as Partial<TillIdentity>;
  if (!till || (h.merchant === till.merchant && h.store === till.store && h.terminal === till.terminal)) return null;
  const where = target.path ?? `${target.tcp!.host}:${target.tcp!.port}`;
  return `the agent answering on ${where} is another till's (merchant ${h.merchant}, store ${h.store}, terminal ${h.terminal}), `
    + `not the config's (merchant ${till.merchant}, store ${till.store}, terminal ${till.terminal})`;
}

/** One line on stderr when the agent answering is another till's; the command's output stays as it is. */
export function warnIfAnotherTill(command: string, target: ClientTarget, hello: unknown): void {
  const other = anotherTill(target, hello);
  if (other) printError(`till-agent ${command}: ${other}\n`);
}

/**
 * Sends hello (with the token) then each request in turn; resolves with the results in order.
 * `onHello` gets the hello's result (which till answered: anotherTill).
 */
export async function call(
  target: ClientTarget, requests: Array<{ op: string; params?: unknown }>, timeoutMs = 10_000, onHello?: (hello: unknown) => void,
): Promise<unknown[]> {
  const session = await openSession(target, timeoutMs);
  onHello?.(session.hello);
  try {
    const results: unknown[] = [];
    for (const r of requests) {
      const answer = await session.request(r.op, r.params);
      if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
      results.push(answer.result);
    }
    return results;
  } finally {
    session.close();
  }
}

/** An answer line longer than this (an outbox page is far smaller) ends the session. */
const MAX_ANSWER_BYTES = 256 * 1024 * 1024;

export type Answer = { ok: true; result: unknown } | { ok: false; error: ErrorBody };

export interface AgentSession {
  /** The agent's answer to this session's hello (its till's identity, protocols, …). */
  readonly hello: unknown;
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

  const lines = new LineSplitter(MAX_ANSWER_BYTES);
  socket.on('data', (chunk: Buffer) => {
    const split = lines.push(chunk);
    if (split.tooLarge) socket.destroy(); // 'close' rejects what waits
    for (const line of split.lines) {
      if (line === NOT_UTF8) continue; // the agent writes only UTF-8 JSON, as a non-JSON line below
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

  const session: AgentSession & { hello: unknown } = {
    hello: undefined,
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
  session.hello = hello.result;
  return session;
}
