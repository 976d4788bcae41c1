// tools/build-fresh.mjs: when build/ is what `npm run build` would make now. "prepare" rebuilds only
// when it is not (npx in the checkout runs "prepare" too, and an unconditional rebuild removed build/
// under the processes other tests had started), and the tests run build/ only when it is.
import t from 'tap';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIsFresh } from '../../tools/build-fresh.mjs';
import { tempDir } from '../helpers/tmp.ts';

/** A checkout with one source, its compiled file, the bundle and an install, each at time `at[path]` (s). */
async function checkout(t: Parameters<typeof tempDir>[0], at: Record<string, number>): Promise<{ root: URL; dir: string }> {
  const dir = await tempDir(t, 'till-build-fresh-');
  for (const d of ['cli', 'agent', 'drivers', 'protocol', 'runtime', 'host']) mkdirSync(join(dir, d));
  for (const [path, time] of Object.entries(at)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), '');
    utimesSync(join(dir, path), time, time);
  }
  return { root: pathToFileURL(`${dir}/`), dir };
}

const FRESH = {
  'agent/daemon.ts': 1000, 'agent/types.d.ts': 5000,
  'build/agent/daemon.js': 2000, 'build/cli/main.js': 2000, 'node_modules/.package-lock.json': 1500,
};

t.test('fresh: every source compiled after it changed, the bundle after the last install', async (t) => {
  t.equal(buildIsFresh((await checkout(t, FRESH)).root), true, 'a .d.ts newer than the build does not count');
});

t.test('not fresh', async (t) => {
  t.equal(buildIsFresh((await checkout(t, { ...FRESH, 'agent/daemon.ts': 3000 })).root), false, 'a source changed since the build');
  const { 'build/agent/daemon.js': _, ...uncompiled } = FRESH;
  t.equal(buildIsFresh((await checkout(t, uncompiled)).root), false, 'a source never compiled');
  t.equal(buildIsFresh((await checkout(t, { ...FRESH, 'node_modules/.package-lock.json': 3000 })).root), false,
    'node_modules installed since the bundle (it inlines the dependencies)');
  const { 'build/cli/main.js': __, ...unbundled } = FRESH;
  t.equal(buildIsFresh((await checkout(t, unbundled)).root), false, 'no bundle');
  t.equal(buildIsFresh((await checkout(t, { ...FRESH, 'drivers/fonts/a.bdf': 1000 })).root), false, 'a copied font missing from build/');
});

t.test('a checkout without build/ at all', async (t) => {
  const { 'build/agent/daemon.js': _, 'build/cli/main.js': __, ...none } = FRESH;
  t.equal(buildIsFresh((await checkout(t, none)).root), false);
});
