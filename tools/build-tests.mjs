// Compiles every TypeScript file the tests run (tsconfig.json's "include": the sources, the tests,
// bench/) into .test-build/, same layout, each with its source map, for test/helpers/compiled-ts-hooks.mjs:
// a test process then runs them without a TypeScript compiler of its own (tsx cost each one ~0.3 s of
// CPU on a fast machine; ~200 test processes a suite run, bench/README.md). Run by `npm test` before tap,
// or as `npm run build:tests`. esbuild, file by file (no bundling; imports keep their .ts names, since a
// module keeps its .ts URL), with the options the hooks use for a file edited since: the same JavaScript
// either way. Types are checked by `npm run typecheck`, not here.
//
//   node tools/build-tests.mjs
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const OUT_DIR = '.test-build';
const DIRS = ['cli', 'agent', 'drivers', 'protocol', 'runtime', 'host', 'test', 'bench'];

/** esbuild's options for one file, shared with the hooks' compile of a file newer than its build. */
export const ESBUILD_OPTIONS = {
  format: 'esm',
  platform: 'node',
  target: `node${process.versions.node}`,
  // tsconfig.json's options that change the emitted code (ES2022: class fields are defined).
  tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } },
};

function sources(root, dir) {
  return readdirSync(new URL(dir, root), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(root, `${path}/`);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** Compiles the checkout at `root` (a URL ending in '/'); a folder of DIRS it lacks is skipped. */
export async function buildTests(root) {
  const { build } = await import('esbuild');
  await build({
    ...ESBUILD_OPTIONS,
    absWorkingDir: fileURLToPath(root),
    entryPoints: DIRS.filter((dir) => existsSync(new URL(dir, root))).flatMap((dir) => sources(root, `${dir}/`)),
    outdir: OUT_DIR,
    outbase: '.',
    bundle: false,
    sourcemap: true,
    logLevel: 'warning',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildTests(new URL('../', import.meta.url));
}
