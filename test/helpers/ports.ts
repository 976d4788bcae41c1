import net from 'node:net';
import { mkdirSync, openSync, closeSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

// A port handed out is claimed across processes too, with a file named for it that holds the
// claiming process's pid: tap runs two test files at once (and a developer's suite may run next to
// CI), each with its own handedOut, and a port is probed free but bound only once the agent or
// broker it was drawn for has started (hundreds of ms later). Two processes drawing the same port
// in that window made an agent exit with EADDRINUSE in a clean-clone CI. A claim whose process is
// gone is stale and taken over; a process removes its own claims when it exits.
const CLAIMS = join(tmpdir(), 'till-agent-test-ports');
const claimed: string[] = [];
let cleanupRegistered = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `port` for this process; false when a live process holds the claim. */
export function claimPort(port: number): boolean {
  mkdirSync(CLAIMS, { recursive: true, mode: 0o777 });
  const file = join(CLAIMS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o666);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      claimed.push(file);
      if (!cleanupRegistered) {
        cleanupRegistered = true;
        process.once('exit', () => { for (const f of claimed) try { unlinkSync(f); } catch { /* gone already */ } });
      }
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return true; // no registry (read-only tmp): the probe alone decides
      let holder = NaN;
      try { holder = Number(readFileSync(file, 'utf8')); } catch { /* removed meanwhile: try again */ }
      // A claim being written is empty for a moment (NaN): leave it to its writer.
      if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
        try { unlinkSync(file); } catch { /* another process took it over first */ }
        continue;
      }
      return false;
    }
  }
  return false;
}

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

/**
 * A TCP port below the ephemeral range that was free a moment ago and that no test process has
 * handed out before while it runs (never 1883: a system broker may own it).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (RESERVED.has(port) || handedOut.has(port)) continue;
    if (!claimPort(port)) continue;
    handedOut.add(port);
    if (!(await bindable(port))) continue; // claimed, but something else has it: keep the claim, draw again
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
