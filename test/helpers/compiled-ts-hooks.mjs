// Module hooks (registered by compiled-ts.mjs) that run this checkout's TypeScript in the test
// processes: a .ts module gets the JavaScript tools/build-tests.mjs wrote for it into .test-build/
// (esbuild, with a source map; `npm test` runs it first) when that file is at least as new as the
// .ts; otherwise (edited since, never compiled, or outside the checkout) esbuild compiles it on
// the spot with the same options. The module keeps its .ts URL, so import.meta.url, relative
// imports and stack traces (through the source map) are the same as before. Why not tsx: it cost
// each test process ~0.3 s of CPU more than this on a fast machine (bench/README.md).
import { readFileSync, statSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESBUILD_OPTIONS, OUT_DIR } from '../../tools/build-tests.mjs';

const ROOT = new URL('../../', import.meta.url).href;
const OUT = `${ROOT}${OUT_DIR}/`;
const MAP_COMMENT = /\/\/# sourceMappingURL=(\S+)\s*$/;

const mtime = (url) => {
  try {
    return statSync(new URL(url)).mtimeMs;
  } catch {
    return undefined;
  }
};

/**
 * The compiled JavaScript for the .ts module at `url`, its source map comment made relative to the
 * .ts (the module keeps its .ts URL; Node takes no file: URL there), or undefined when there is
 * none at least as new as the source.
 * `root` and `out`: URLs ending in '/'.
 */
export function compiledSource(url, root = ROOT, out = OUT) {
  if (!url.startsWith(root) || url.startsWith(out)) return undefined;
  const js = new URL(`${out}${url.slice(root.length, -'.ts'.length)}.js`);
  const built = mtime(js);
  const source = mtime(url);
  if (built === undefined || source === undefined || built < source) return undefined;
  const from = dirname(fileURLToPath(url));
  return readFileSync(js, 'utf8').replace(MAP_COMMENT, (_, map) => `//# sourceMappingURL=${relative(from, fileURLToPath(new URL(map, js)))}`);
}

let esbuild;
async function compileNow(url, source) {
  esbuild ??= await import('esbuild');
  const { code } = await esbuild.transform(source, { ...ESBUILD_OPTIONS, loader: 'ts', sourcemap: 'inline', sourcefile: fileURLToPath(url) });
  return code;
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts') || url.endsWith('.d.ts')) return nextLoad(url, context);
  // The .ts source still goes through the hooks registered before these: tap's processinfo
  // records every file a test loads (for `tap --changed`) from them, as it did under tsx.
  const loaded = await nextLoad(url, { ...context, format: 'module' });
  const source = compiledSource(url) ?? await compileNow(url, String(loaded.source));
  return { format: 'module', source, shortCircuit: true };
}
