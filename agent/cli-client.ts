// The operator commands' way into a running agent: its own local socket, as a POS would.
import { existsSync } from 'node:fs';
import { UsageError, type FlagSpec } from './commands/args.ts';
import { openSession } from './commands/agent-session.ts';
import { locateConfig } from './commands/locate-config.ts';
import { loadConfig, parseListen } from './config.ts';

export interface ClientTarget {
  path?: string;
  tcp?: { host: string; port: number };
  token: string | null;
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
  if (config.socket.unix && existsSync(config.socket.unix)) return { path: config.socket.unix, token };
  if (config.socket.tcp) return { tcp: parseListen(config.socket.tcp), token };
  throw new Error('the config enables neither socket.unix nor socket.tcp');
}

/** Sends hello (with the token) then each request in turn; resolves with the results in order. */
export async function call(target: ClientTarget, requests: Array<{ op: string; params?: unknown }>, timeoutMs = 10_000): Promise<unknown[]> {
  const session = await openSession(target, timeoutMs);
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
