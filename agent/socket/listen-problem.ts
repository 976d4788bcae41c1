// What a technician reads when the agent cannot listen where its config says (socket.tcp,
// socket.unix, metrics.listen): the key, the address and what to do (runtime/setup-problem.ts).
import { SetupProblem, setupProblem } from '../../runtime/setup-problem.ts';

/** A failed TCP listen on `address` ("HOST:PORT" of `key`) as a SetupProblem, or undefined. */
export function tcpListenProblem(error: unknown, key: string, address: string): SetupProblem | undefined {
  return setupProblem(error, key, address, (code) => {
    if (code === 'EADDRINUSE') {
      return `another program listens there (another till-agent, or a demo?): \`ss -ltnp\` shows which; stop it or change ${key}`;
    }
    if (code === 'EADDRNOTAVAIL') return `the host is not an address of this machine (\`ip -br addr\` lists them): use 127.0.0.1 or one of those in ${key}`;
    if (code === 'EACCES') return `ports below 1024 need a privilege the service does not have: use a port from 1024 up in ${key}`;
    return `check ${key}`;
  });
}

/** A failed Unix socket listen on `path` (socket.unix) as a SetupProblem, or undefined. */
export function unixListenProblem(error: unknown, path: string): SetupProblem | undefined {
  return setupProblem(error, 'socket.unix', path, (code) => code === 'EADDRINUSE'
    ? 'another till-agent (or a demo) serves this socket: stop it, or give this one another socket.unix'
    : 'its directory must exist and be writable by the service\'s user (till-agent): keep socket.unix in /run/till-agent, '
      + 'which the unit\'s RuntimeDirectory= creates (and systemd-tmpfiles at boot, for runs by hand), or set socket.unix: false');
}
