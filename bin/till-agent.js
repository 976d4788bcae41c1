#!/usr/bin/env -S node --max-semi-space-size=2
// The till-agent command: runs the compiled program in build/ (`npm run build`; `npm ci` runs it
// through "prepare", install.sh and the .deb ship it). The tests run the TypeScript sources
// instead (test/helpers/till-agent-source.js), so they never exercise a stale build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const entry = new URL('build/agent/main.js', root);

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
  if (!existsSync(new URL('agent/main.ts', root))) return;
  const built = statSync(entry).mtimeMs;
  const newer = ['agent', 'drivers', 'protocol', 'host'].flatMap((dir) => newerSources(new URL(`${dir}/`, root), built));
  if (newer.length > 0) {
    process.stderr.write(`till-agent: warning: build/ is older than ${fileURLToPath(newer[0]).slice(fileURLToPath(root).length)}` +
      `${newer.length > 1 ? ` and ${newer.length - 1} more` : ''}: run "npm run build" (running the old build)\n`);
  }
}

function newerSources(dir, than) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return newerSources(new URL(`${e.name}/`, dir), than);
    const file = new URL(e.name, dir);
    return e.name.endsWith('.ts') && statSync(file).mtimeMs > than ? [file] : [];
  });
}
