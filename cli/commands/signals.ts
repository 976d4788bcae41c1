// How a long-running command (run, demo, host) stops: on the first SIGTERM or SIGINT it logs
// `stopping`, runs its stop and exits 0, or 1 when the stop failed or outlasted STOP_DEADLINE_MS.
// Each listens before it starts anything: a signal during start-up is kept and the stop runs once
// the start is done. A second signal is not caught: it ends the process the default way.

/** How long a stop may take before the command exits anyway (systemd's TimeoutStopSec is longer). */
export const STOP_DEADLINE_MS = 4500;

interface StopLog {
  info(o: object, m: string): void;
  error(o: object, m: string): void;
}

export interface SignalListener {
  /** True once SIGTERM or SIGINT has been received (a command still starting skips what it would show). */
  signalled(): boolean;
  /** Settles with the first signal received. */
  received: Promise<NodeJS.Signals>;
  /** Waits for the signal (also one received before this call), then stops: the exit status. */
  thenStop(stop: () => Promise<void>): Promise<number>;
  /** Stops listening: the command ends without waiting (it failed to start). */
  dispose(): void;
}

/** Listens for SIGTERM and SIGINT from now on (a command that may be stopped while it starts listens first). */
export function listenForSignal(log: StopLog): SignalListener {
  let received: (signal: NodeJS.Signals) => void = () => undefined;
  let signalled = false;
  const signal = new Promise<NodeJS.Signals>((resolve) => { received = resolve; });
  const onSignal = (s: NodeJS.Signals) => {
    dispose();
    signalled = true;
    received(s);
  };
  const dispose = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    dispose,
    signalled: () => signalled,
    received: signal,
    thenStop: (stop) => signal.then((s) => new Promise<number>((resolve) => {
      log.info({ signal: s }, 'stopping');
      const deadline = setTimeout(() => {
        log.error({ deadline_ms: STOP_DEADLINE_MS }, 'stop took too long; exiting anyway');
        resolve(1);
      }, STOP_DEADLINE_MS);
      // Not unref'd: a stop that hangs with nothing else left to wait on (its sockets closed) would
      // end the process with exit status 13 (an unsettled top-level await) and no line saying why.
      stop().then(
        () => { clearTimeout(deadline); resolve(0); },
        (error: unknown) => { clearTimeout(deadline); log.error({ err: error }, 'error while stopping'); resolve(1); },
      );
    })),
  };
}
