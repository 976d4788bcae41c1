#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=50 --v8-pool-size=2
// Node flags (memory, issue 10): 2 MiB semi-spaces keep the young generation from growing to 2 × 16 MiB
// during start-up; with them, the objects of requests waiting on an fsync are promoted, and V8 let the
// old generation grow to ~45 MiB of mostly garbage before its first full collection while awards queued
// offline (peak RSS while draining 122–129 MiB). Growing the heap by half its live size instead: ~108 MiB.
// Two V8 worker threads instead of four (Node's default whatever the cores): a till has 2–4 cores, and
// each worker that compiled or marked kept a glibc malloc arena of freed memory (−1.5 MiB idle, less
// spread from run to run; CPU per award unchanged; the host, run by this command too, is the same).
// The till-agent command: runs the compiled program in build/ (`npm run build`; `npm ci` runs it
// through "prepare", install.sh and the .deb ship it). The tests start children through
// test/helpers/till-agent-source.js instead: build/ only when it is newer than every source, else
// the TypeScript sources, so they never exercise a stale build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const entry = new URL('build/cli/main.js', root);

if (!existsSync(entry)) {
  process.stderr.write(`till-agent: ${fileURLToPath(entry)} is missing: run "npm run build" in ${fileURLToPath(root)}\n`);
  process.exit(1);
}
warnIfStale();
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
// Exit explicitly: a command has finished its own clean shutdown by now, and a stray
// timer or socket in a dependency must not keep a stopped service alive.
process.exit(code);

/** In a checkout (the sources are here, unlike on a till), say when a source is newer than the build. */
function warnIfStale() {
  const dir = fileURLToPath(root);
  if (!existsSync(`${dir}cli/main.ts`)) return;
  const built = statSync(entry).mtimeMs;
  // Plain paths, not URLs: this runs before every command in a checkout (~200 files).
  const newer = ['cli', 'agent', 'drivers', 'protocol', 'runtime', 'host'].flatMap((d) => newerSources(`${dir}${d}`, built));
  if (newer.length > 0) {
    process.stderr.write(`till-agent: warning: build/ is older than ${newer[0].slice(dir.length)}` +
      `${newer.length > 1 ? ` and ${newer.length - 1} more` : ''}: run "npm run build" (running the old build)\n`);
  }
}

function newerSources(dir, than) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return newerSources(path, than);
    return e.name.endsWith('.ts') && statSync(path).mtimeMs > than ? [path] : [];
  });
}
