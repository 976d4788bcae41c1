// The operator commands' way into a running agent: its own local socket, as a POS would.
import { existsSync } from 'node:fs';
import net from 'node:net';
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

/** Sends hello (with the token) then each request; resolves with the results in order. */
export async function call(target: ClientTarget, requests: Array<{ op: string; params?: unknown }>, timeoutMs = 10_000): Promise<unknown[]> {
  const socket = target.path ? net.connect({ path: target.path }) : net.connect(target.tcp!);
  const frames = [{ op: 'hello', params: target.token ? { token: target.token } : {} }, ...requests]
    .map((r, i) => JSON.stringify({ id: i, ...r }) + '\n');
  return new Promise((resolve, reject) => {
    const results = new Map<number, unknown>();
    let buffer = '';
    const timer = setTimeout(() => fail(new Error(`no answer from the agent within ${timeoutMs} ms`)), timeoutMs);
    function fail(error: Error): void {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    }
    socket.on('connect', () => socket.write(frames.join('')));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      fail(new Error(`cannot reach the agent (${error.code ?? error.message}): is it running? (systemctl status till-agent)`)));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const frame = JSON.parse(line) as { id: number; ok: boolean; result?: unknown; error?: { code: string; message: string } };
        if (!frame.ok) return fail(new Error(`${frame.error?.code}: ${frame.error?.message}`));
        results.set(frame.id, frame.result);
        if (results.size === frames.length) {
          clearTimeout(timer);
          socket.end();
          resolve(requests.map((_, i) => results.get(i + 1)));
        }
      }
    });
  });
}
