// Before the demo starts anything: is its data directory or one of its ports already in use?
// Then the answer is one line and exit status 3 (EXIT_IN_USE), not a stack trace half-way through start-up.
import net from 'node:net';
import { join } from 'node:path';
import { readPid, SOCKET_FILE } from './demo-config.ts';

export interface PortClaim {
  port: number;
  what: string;
  flag: string;
}

/** A sentence saying what is in use, or null when the demo can start. */
export async function inUse(dataDir: string, ports: PortClaim[]): Promise<string | null> {
  if (await answers(join(dataDir, SOCKET_FILE))) {
    const pid = readPid(dataDir);
    return `a demo is already running with the data directory ${dataDir}${pid ? ` (pid ${pid})` : ''}: ` +
      `stop it (Ctrl-C in its terminal${pid ? `, or kill ${pid}` : ''}), or give this one another --data DIR`;
  }
  for (const claim of ports) {
    const error = await tryListen(claim.port);
    if (error === 'EADDRINUSE') {
      return `port ${claim.port} (${claim.what}) is already in use on 127.0.0.1 (another demo or till-agent?): ` +
        `stop it, or choose another port with ${claim.flag} N`;
    }
    if (error) return `cannot listen on 127.0.0.1:${claim.port} (${claim.what}): ${error}; choose another port with ${claim.flag} N`;
  }
  return null;
}

/** The error code of listening on the port (then closing at once), or null when it is free. */
function tryListen(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(null)));
  });
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => { probe.destroy(); resolve(true); });
    probe.once('error', () => resolve(false));
  });
}
