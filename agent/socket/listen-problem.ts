// What a technician reads when the agent cannot listen where its config says (socket.tcp,
// socket.unix, metrics.listen): the key, the address and what to do (runtime/setup-problem.ts).
import { SetupProblem, setupProblem } from '../../runtime/setup-problem.ts';

// socket.tcp and metrics.listen: the same words as the host's metrics_listen (runtime/setup-problem.ts).
export { tcpListenProblem } from '../../runtime/setup-problem.ts';

/** A failed Unix socket listen on `path` (socket.unix) as a SetupProblem, or undefined. */
export function unixListenProblem(error: unknown, path: string): SetupProblem | undefined {
  return setupProblem(error, 'socket.unix', path, (code) => code === 'EADDRINUSE'
    ? 'another till-agent (or a demo) serves this socket: stop it, or give this one another socket.unix'
    : 'its directory must exist and be writable by the service\'s user (till-agent): keep socket.unix in /run/till-agent, '
      + 'which the unit\'s RuntimeDirectory= creates (and systemd-tmpfiles at boot, for runs by hand), or set socket.unix: false');
}
