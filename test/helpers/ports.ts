import net from 'node:net';
import { readFileSync } from 'node:fs';

// Ports for the tests' listeners are drawn at random from below the kernel's ephemeral range.
// A port the kernel hands out for `listen(0)` comes from the same range as the source ports of
// outgoing connections, so between the probe and the real bind any connection made by another
// test (tap runs two files at once) could take it: the demo's status port was lost that way in a
// clean-clone CI. Below the range only another test's random pick can collide, and the probe
// below still checks that the port is free.
const EPHEMERAL_LOW = ephemeralLow();
const LOW = 10_000;
const HIGH = Math.max(LOW + 1_000, EPHEMERAL_LOW) - 1;
// Ports that services of a development machine or CI listen on (a system broker on 1883 above all).
const RESERVED = new Set([1883, 3306, 4222, 4369, 5432, 5672, 6222, 6379, 8222, 8883, 9100, 15672, 25672, 27017]);
const handedOut = new Set<number>();

/** The lowest port of the kernel's ephemeral range. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low > 11_000) return low;
  } catch {
    // not Linux, or no /proc: the usual default
  }
  return 32_768;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port below the ephemeral range that was free a moment ago and that this process has not handed out before (never 1883: a system broker may own it). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (RESERVED.has(port) || handedOut.has(port)) continue;
    if (!(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
}

export async function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
