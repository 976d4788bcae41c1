// systemd notification protocol: READY=1 once the service can work (the agent: its socket listens
// and the outbox is open; the host: its ledger is open and its consumer started, or it waits for PostgreSQL), WATCHDOG=1 from the event loop (a hung loop stops the pings and systemd restarts us),
// STOPPING=1 on shutdown. Without NOTIFY_SOCKET every call is a no-op.
import { createRequire } from 'node:module';
import type { Logger } from './log.ts';

export interface Notifier {
  readonly enabled: boolean;
  ready(status?: string): void;
  status(text: string): void;
  stopping(): void;
  /** Starts WATCHDOG=1 pings at half of WATCHDOG_USEC, if systemd asked for them. */
  startWatchdog(): void;
  close(): void;
}

/**
 * Set while WATCHDOG=1 pings run: sends one if it is due. For a wait that blocks the event loop on
 * purpose and is bounded (host/pg/sync-pg.ts waits up to a minute for PostgreSQL, e.g. a row lock or
 * a failover): the loop is not hung, so the pings must not stop, or systemd (WatchdogSec=30) kills
 * the host mid-transaction with SIGABRT and a core dump a technician reads as a crash.
 */
let pingIfDue: (() => void) | undefined;

/** Called from inside a bounded blocking wait, at least every few hundred ms. */
export function watchdogWhileBlocked(): void {
  pingIfDue?.();
}

export function createNotifier(env: NodeJS.ProcessEnv, log: Logger): Notifier {
  const target = env.NOTIFY_SOCKET;
  if (!target) {
    return { enabled: false, ready() {}, status() {}, stopping() {}, startWatchdog() {}, close() {} };
  }
  // An abstract socket is named with a leading "@" in the environment and "\0" on the wire.
  const path = target.startsWith('@') ? `\0${target.slice(1)}` : target;
  // Loaded only under systemd: a native addon the agent does not need anywhere else.
  const { createSocket } = createRequire(import.meta.url)('unix-dgram') as typeof import('unix-dgram');
  const socket = createSocket('unix_dgram');
  socket.on('error', (error: Error) => log.warn({ err: { message: error.message } }, 'sd_notify failed'));
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const send = (message: string) => {
    const buf = Buffer.from(message);
    socket.send(buf, 0, buf.length, path, (error) => {
      if (error) log.warn({ err: { message: error.message } }, 'sd_notify failed');
    });
  };
  return {
    enabled: true,
    ready: (status) => send(status ? `READY=1\nSTATUS=${status}` : 'READY=1'),
    status: (text) => send(`STATUS=${text}`),
    stopping: () => send('STOPPING=1'),
    startWatchdog() {
      const usec = Number(env.WATCHDOG_USEC);
      const pid = env.WATCHDOG_PID ? Number(env.WATCHDOG_PID) : process.pid;
      if (!Number.isFinite(usec) || usec <= 0 || pid !== process.pid) return;
      const interval = Math.max(100, Math.floor(usec / 1000 / 2));
      let last = 0;
      const ping = () => {
        last = performance.now();
        send('WATCHDOG=1');
      };
      ping();
      pingIfDue = () => { if (performance.now() - last >= interval) ping(); };
      timer = setInterval(ping, interval);
      timer.unref();
      log.info({ interval_ms: interval }, 'systemd watchdog enabled');
    },
    close() {
      if (closed) return; // unix-dgram aborts the process (a C++ assertion) on a second close
      closed = true;
      if (timer) clearInterval(timer);
      pingIfDue = undefined;
      socket.close();
    },
  };
}
