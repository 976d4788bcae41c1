#!/usr/bin/env node
// `npm run build`'s last step: build/cli/main.js, the command's entry, becomes a bundle of our
// compiled modules plus zod and yaml (node tools/bundle.mjs [BUILD_DIR], default ./build).
//
// Why: start to ready is mostly loading modules, ~330 of them before `ready`; compiling and linking
// each one costs more than its code. The bundle (esbuild, ESM, split at every dynamic import so what
// loads late still loads late) brings that to a few dozen files.
//
// What stays as it was: every other file in build/ (the host's PostgreSQL worker runs its own
// file; tests import the sources); other packages are imported from node_modules as before (native
// addons, CommonJS with files of their own); and every module still finds its files next to where
// it was compiled: import.meta.url inside a bundled module is rewritten to that module's own URL in
// build/ (fonts, status-page assets, the evdev addon, createRequire), so nothing moved.
import { build, transform } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUNDLED_PACKAGES = /^(zod|yaml)(\/|$)/;
const repo = fileURLToPath(new URL('../', import.meta.url));
const buildDir = resolve(process.argv[2] ?? join(repo, 'build'));
const outdir = join(buildDir, 'cli');

const moduleUrls = {
  name: 'module-urls',
  setup(b) {
    // Packages other than zod and yaml: imported at run time from node_modules, as before.
    b.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED_PACKAGES.test(args.path) ? undefined : { path: args.path, external: true }));
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(buildDir + sep)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
      const own = `new URL(${JSON.stringify(relative(outdir, args.path).split(sep).join('/'))}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', own), loader: 'js' };
    });
  },
};

// zod's translations of its messages (z.locales and z.core.locales: 48 locales, 370 KB of the 810 KB
// chunk every start compiled) are left out: nothing here selects one (z.config(z.locales.x())), and
// English, the default, is imported by zod's schemas module itself, so messages are unchanged.
// esbuild cannot drop them (`import { z }` keeps the whole namespace); z.locales is an empty object.
const zodWithoutLocales = {
  name: 'zod-without-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      (/zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(args.importer) ? { path: 'zod-locales', namespace: 'zod-locales' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

const BANNER = "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);";
if (readFileSync(join(outdir, 'main.js'), 'utf8').startsWith(BANNER)) {
  throw new Error(`bundle: ${join(outdir, 'main.js')} is a bundle already: run npm run build (it compiles afresh, then bundles)`);
}

await build({
  entryPoints: { main: join(outdir, 'main.js') },
  outdir,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // yaml is CommonJS: its require('process') needs a require in an ES module.
  banner: { js: BANNER },
  nodePaths: [join(repo, 'node_modules')],
  plugins: [zodWithoutLocales, moduleUrls],
  logLevel: 'warning',
});

// The banner's `require` must be the only one at the top of a file (else the file does not load):
// the banner is the first line; nothing at the start of another line may declare one.
for (const name of readdirSync(outdir)) {
  if (!name.endsWith('.js')) continue;
  const declared = readFileSync(join(outdir, name), 'utf8').match(/^(?:const|let|var|function|class) require\b/gm) ?? [];
  if (declared.length > 0) throw new Error(`bundle: ${name} declares its own require at its top, next to the banner's`);
}

// V8 keeps the source of every loaded module for as long as the process runs (lazy functions are
// compiled from it on first call), one byte per character while every character is Latin-1 and two
// bytes once one is not. esbuild writes ASCII (charset 'ascii': strings, regular expressions and
// names escaped) except in the comments it keeps, where one '—' doubled the largest chunk's 0.8 MB in
// the heap. Such characters become \u{…} text; the file minified (comments dropped) must come out
// the same as before, so nothing but a comment changed.
for (const name of readdirSync(outdir)) {
  if (!name.endsWith('.js')) continue;
  const file = join(outdir, name);
  const text = readFileSync(file, 'utf8');
  if (!/[^\x00-\x7f]/.test(text)) continue;
  const ascii = text.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
  const same = { minify: true, format: 'esm', platform: 'node', target: 'node20', loader: 'js' };
  const [before, after] = await Promise.all([transform(text, same), transform(ascii, same)]);
  if (before.code !== after.code) throw new Error(`bundle: ${name} has non-ASCII characters outside comments`);
  writeFileSync(file, ascii);
}

// Our own native addons (drivers/native, built by node-gyp at `npm ci`) go into the build too, where
// the compiled modules look first (build/drivers/native/build/Release/): install.sh and the .deb
// ship build/, not drivers/. Not built (no compiler): the modules say so when they are used.
const addons = join(repo, 'drivers', 'native', 'build', 'Release');
const built = existsSync(addons) ? readdirSync(addons).filter((name) => name.endsWith('.node')) : [];
if (built.length > 0) {
  const into = join(buildDir, 'drivers', 'native', 'build', 'Release');
  mkdirSync(into, { recursive: true });
  for (const name of built) copyFileSync(join(addons, name), join(into, name));
} else {
  process.stderr.write(`bundle: no native addons in ${addons} (npx node-gyp rebuild -C drivers/native): EVIOCGRAB and the memory release will be unavailable\n`);
}
