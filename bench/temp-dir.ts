// Each benchmark runs in its own temp dir, removed afterwards, even on Ctrl-C (its child processes
// ended first: children.ts).
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killChildren } from './children.ts';

const live = new Set<string>();
let handlersInstalled = false;

function installSignalCleanup(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (signal: NodeJS.Signals) => {
    const killed = killChildren();
    for (const dir of live) rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`\nbench: ${signal}, ${killed} child process(es) ended, temp dirs removed\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  installSignalCleanup();
  const dir = await mkdtemp(join(tmpdir(), `till-bench-${prefix}-`));
  live.add(dir);
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
    live.delete(dir);
  }
}
