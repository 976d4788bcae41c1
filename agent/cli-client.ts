// The operator commands' way into a running agent: its own local socket, as a POS would.
import { existsSync } from 'node:fs';
import { openSession } from './commands/agent-session.ts';
import { loadConfig, parseListen } from './config.ts';

export interface ClientTarget {
  path?: string;
  tcp?: { host: string; port: number };
  token: string | null;
}

export function targetFrom(options: Record<string, string | true>): ClientTarget {
  if (typeof options.socket === 'string') return { path: options.socket, token: null };
  if (typeof options.tcp === 'string') return { tcp: parseListen(options.tcp), token: null };
  const config = loadConfig(typeof options.config === 'string' ? options.config : '/etc/till-agent/config.yaml');
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
