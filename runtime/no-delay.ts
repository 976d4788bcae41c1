// Request/response over MQTT sends small packets both ways, and two things stall them for the
// ~40 ms of a delayed ACK:
// - Nagle on our side: MQTT.js does not set TCP_NODELAY, so a small write would wait for the
//   peer's ACK of the previous one. Set on the client's socket once connected.
// - Nagle on the broker's side (mosquitto's default: set_tcp_nodelay false) meeting delayed ACKs
//   on ours: after a QoS 1 publish the broker writes its PUBACK, and a few ms later the next
//   small packet (the host's response to the agent, the next request to the host). That packet
//   waits until we ACK the PUBACK, and Linux delays the ACK up to 40 ms once a connection
//   looks interactive. TCP_QUICKACK after every read makes the kernel ACK what just arrived at
//   once. It is not sticky (the kernel falls back to delaying), hence on every read; Node has no
//   setsockopt, hence the sockopt addon. Elsewhere than Linux only the first remedy applies.
// Measured by bench/ (suite 4): with a stock mosquitto, 44 ms → under 1 ms per round trip.
import sockopt from 'sockopt';

const IPPROTO_TCP = 6;
const TCP_QUICKACK = 12; // linux/tcp.h

interface Handle { fd?: number; _parent?: Handle }

/** The TCP socket's descriptor; a TLS socket's handle wraps the TCP one. */
function descriptor(stream: { _handle?: Handle | null }): number | undefined {
  const handle = stream._handle;
  const fd = handle?.fd ?? handle?._parent?.fd;
  return fd !== undefined && fd >= 0 ? fd : undefined;
}

export function disableNagle(client: { stream?: unknown }): void {
  const stream = client.stream as { setNoDelay?: (on: boolean) => void; on?: (event: 'data', listener: () => void) => void; _handle?: Handle | null } | undefined;
  stream?.setNoDelay?.(true);
  if (process.platform !== 'linux' || !stream?.on) return;
  stream.on('data', () => {
    const fd = descriptor(stream);
    if (fd === undefined) return;
    try {
      sockopt.setsockopt({ _handle: { fd } }, IPPROTO_TCP, TCP_QUICKACK, 1);
    } catch {
      // Only fails on a descriptor that is closing: the connection is going away anyway.
    }
  });
}

/**
 * Sends what MQTT.js just queued now. mqtt-packet corks the socket for each packet it writes and
 * uncorks it on the next tick, which Node runs only once every pending promise continuation has
 * run: after a publish the request (the agent) or the reply (the host) waited in the socket
 * behind the rest of that work, ~0.5 ms per hop (p50, load ~3) in a trace of the online award.
 * Uncorking at once only writes sooner; the order of the bytes is the same, and the tick's own
 * uncork then finds nothing corked.
 */
export function flushWrites(client: { stream?: unknown }): void {
  const stream = client.stream as { writableCorked?: number; uncork?: () => void } | undefined;
  while (stream?.uncork && (stream.writableCorked ?? 0) > 0) stream.uncork();
}

/** Holds the client's next writes in the socket until flushWrites (one writev for several packets). */
export function corkWrites(client: { stream?: unknown }): void {
  (client.stream as { cork?: () => void } | undefined)?.cork?.();
}
