// Builds tap's Test class for package.json's plugin set ("tap" "plugin") when it is built for
// another set: run by `npm test` before tap.
//
// Why not leave it to tap: tap does rebuild on its own when the sets differ, but the run that
// rebuilds has already computed its test processes' arguments from the old build, so that one
// run starts every test file with the default set's loaders (tap's TypeScript plugin, a ts-node
// compiling every imported source in every test process, and its mock loader). After `npm ci`
// the old build is tap's default set, so every CI run — a fresh clone, one `npm test` — was that
// run: ~60 % more CPU than the same suite in a checkout where tap had run before (2026-12-02).
//
//   node tools/tap-build.mjs   exit 0 when the build matches (or was rebuilt), tap build's status otherwise
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** True when @tapjs/test is built for the configured plugins; false also when tap's internals moved. */
async function builtForConfig() {
  try {
    const { TapConfig } = await import('@tapjs/config');
    const { signature } = await import('@tapjs/test/built');
    return (await TapConfig.load()).pluginSignature === signature;
  } catch {
    return false;
  }
}

if (!(await builtForConfig())) {
  const tap = fileURLToPath(new URL('../node_modules/.bin/tap', import.meta.url));
  console.error('tap is built for another plugin set: tap build');
  const built = spawnSync(tap, ['build'], { stdio: 'inherit' });
  process.exit(built.status ?? 1);
}
