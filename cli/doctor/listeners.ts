// Doctor's "sockets" line: can the agent listen where its config says (socket.tcp, socket.unix,
// metrics.listen, status_page.listen)? A port another program holds, an address that is not this machine's, a socket
// directory that is missing or not writable: the start would fail on it (exit 3 or 1), so doctor
// says it first, with the same words (agent/socket/listen-problem.ts). With the agent running it
// holds them itself and nothing is tried.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { parseListen, type Config } from '../../agent/config.ts';
import { tcpListenProblem, unixListenProblem } from '../../agent/socket/listen-problem.ts';
import type { SetupProblem } from '../../runtime/setup-problem.ts';
import type { Check } from './check.ts';

/** systemd/till-agent.service's RuntimeDirectory=till-agent. */
const UNIT_RUNTIME_DIR = '/run/till-agent';

export async function checkListeners(config: Config, agentRunning: boolean): Promise<Check> {
  const tcp: Array<[key: string, address: string]> = [];
  if (config.socket.tcp !== false) tcp.push(['socket.tcp', config.socket.tcp]);
  if (config.metrics.listen !== false) tcp.push(['metrics.listen', config.metrics.listen]);
  // The agent starts without its status page when that address is refused: said here, or the technician finds no page.
  if (config.status_page.listen !== false) tcp.push(['status_page.listen', config.status_page.listen]);
  const named = [...tcp.map(([key, address]) => `${key} ${address}`), ...(config.socket.unix !== false ? [`socket.unix ${config.socket.unix}`] : [])];
  if (named.length === 0) return { name: 'sockets', ok: true, detail: 'none configured' };
  if (agentRunning) return { name: 'sockets', ok: true, detail: `${named.join(', ')}: held by the running agent` };
  const problems: SetupProblem[] = [];
  for (const [key, address] of tcp) {
    const { host, port } = parseListen(address);
    if (port === 0) continue; // a free port at each start (tests)
    const error = await tryListen(host, port);
    const problem = error === undefined ? undefined : tcpListenProblem(error, key, address);
    if (problem) problems.push(problem);
  }
  if (config.socket.unix !== false) {
    const problem = unixListenProblem(await unixSocketError(config.socket.unix), config.socket.unix);
    if (problem) problems.push(problem);
  }
  const first = problems[0];
  if (!first) return { name: 'sockets', ok: true, detail: `${named.join(', ')}: free, and this user may create the socket` };
  return {
    name: 'sockets', ok: false,
    detail: problems.map((p) => `${p.key} ${p.target}: ${p.reason}`).join('; '),
    hint: problems.map((p) => p.hint).join('; '),
  };
}

/** Listens on host:port for a moment; the error when that is refused. */
function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** What would stop the agent from creating its socket at `path`: its directory, or a live socket there. */
async function unixSocketError(path: string): Promise<NodeJS.ErrnoException | undefined> {
  const dir = dirname(path);
  const fail = (code: string) => Object.assign(new Error(`${path}: ${code}`), { code });
  // The unit's RuntimeDirectory=: systemd removes it when the service stops and makes it again at its start.
  if (dir === UNIT_RUNTIME_DIR && !existsSync(dir)) return undefined;
  if (!existsSync(dir)) return fail('ENOENT');
  if (!statSync(dir).isDirectory()) return fail('ENOTDIR');
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    return fail((error as NodeJS.ErrnoException).code ?? 'EACCES');
  }
  if (!existsSync(path)) return undefined;
  // A socket file: stale (the agent removes it) unless something answers on it.
  const live = await new Promise<boolean>((resolve) => {
    const socket = net.connect(path);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
  return live ? fail('EADDRINUSE') : undefined;
}
