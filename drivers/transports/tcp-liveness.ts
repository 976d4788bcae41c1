// How fast a network printer that went away is noticed. The kernel's defaults take minutes:
// - idle, keepalive probes every tcp_keepalive_intvl (75 s) × tcp_keepalive_probes (9) after
//   the idle time: ~11 min. Node only sets the idle time itself; whether libuv also shortens the
//   interval and count depends on its version (1.44, as in Debian's nodejs, does not).
// - with bytes unacknowledged (unplugged while printing, or a printer that cannot report status
//   and so answers nothing), keepalive does not run at all and retransmission gives up after
//   tcp_retries2 (15): ~13–15 min, while the write already "succeeded" into the socket buffer.
// So all three keepalive values are set here, and TCP_USER_TIMEOUT bounds how long sent bytes
// may go unacknowledged (it also ends a keepalive that goes unanswered that long, Linux tcp(7)).
// A printer that is only slow (paper out, buffer full) still acknowledges, so it is not cut off.
import type net from 'node:net';
import sockopt from 'sockopt';

export interface TcpLiveness {
  /** Idle time before the first keepalive probe. */
  keepAliveMs: number;
  /** Between unanswered probes, and how many before the connection is dead. */
  keepAliveIntervalMs: number;
  keepAliveProbes: number;
  /** Sent bytes unacknowledged this long: the connection is dead (ETIMEDOUT). */
  userTimeoutMs: number;
}

// ~11 s idle (5 + 3 × 2, or the user timeout's 10 s with a probe out), 10 s while printing.
export const DEFAULT_TCP_LIVENESS: TcpLiveness = { keepAliveMs: 5000, keepAliveIntervalMs: 2000, keepAliveProbes: 3, userTimeoutMs: 10_000 };

const IPPROTO_TCP = 6;
// linux/tcp.h
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;
const TCP_USER_TIMEOUT = 18;

interface Handle { fd?: number }

/** Applies `liveness` to a connected socket; elsewhere than Linux only Node's keepalive applies. */
export function applyTcpLiveness(socket: net.Socket, liveness: TcpLiveness = DEFAULT_TCP_LIVENESS): void {
  socket.setKeepAlive(true, liveness.keepAliveMs);
  if (process.platform !== 'linux') return;
  const fd = (socket as unknown as { _handle?: Handle | null })._handle?.fd;
  if (fd === undefined || fd < 0) return;
  const target = { _handle: { fd } };
  sockopt.setsockopt(target, IPPROTO_TCP, TCP_KEEPIDLE, Math.max(1, Math.round(liveness.keepAliveMs / 1000)));
  sockopt.setsockopt(target, IPPROTO_TCP, TCP_KEEPINTVL, Math.max(1, Math.round(liveness.keepAliveIntervalMs / 1000)));
  sockopt.setsockopt(target, IPPROTO_TCP, TCP_KEEPCNT, liveness.keepAliveProbes);
  sockopt.setsockopt(target, IPPROTO_TCP, TCP_USER_TIMEOUT, liveness.userTimeoutMs);
}

/** The values in force on a connected socket (Linux), for tests and diagnostics. */
export function readTcpLiveness(socket: net.Socket): TcpLiveness | undefined {
  const fd = (socket as unknown as { _handle?: Handle | null })._handle?.fd;
  if (process.platform !== 'linux' || fd === undefined || fd < 0) return undefined;
  const target = { _handle: { fd } };
  return {
    keepAliveMs: sockopt.getsockopt(target, IPPROTO_TCP, TCP_KEEPIDLE) * 1000,
    keepAliveIntervalMs: sockopt.getsockopt(target, IPPROTO_TCP, TCP_KEEPINTVL) * 1000,
    keepAliveProbes: sockopt.getsockopt(target, IPPROTO_TCP, TCP_KEEPCNT),
    userTimeoutMs: sockopt.getsockopt(target, IPPROTO_TCP, TCP_USER_TIMEOUT),
  };
}

/** The kernel's ETIMEDOUT in words a technician can act on. */
export function tcpCloseReason(error: NodeJS.ErrnoException): string {
  if (error.code === 'ETIMEDOUT') return `no answer on the network for seconds (unplugged, powered off or cable cut): ${error.message}`;
  return error.message;
}
