// The child processes a benchmark started (brokers, agents, hosts, the floor's relay and echo), ended
// with it when it is stopped by a signal. Ctrl-C at a terminal reaches the whole process group, but a
// SIGTERM or SIGINT sent to the bench's pid alone (timeout(1), a kill by pid, a CI job's stop) would
// otherwise leave them running against a temp dir that is gone.
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

/** Registers a child until it exits; returns it. */
export function trackChild<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILL to every registered child that has not exited (a signal handler's last act: no waiting). */
export function killChildren(): number {
  let killed = 0;
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')) killed++;
  }
  live.clear();
  return killed;
}
