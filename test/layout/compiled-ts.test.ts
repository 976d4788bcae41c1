// test/helpers/compiled-ts-hooks.mjs: a test process runs a .ts module from .test-build/
// (tools/build-tests.mjs) only when that compiled file is at least as new as the source, and compiles
// it on the spot otherwise, to the same JavaScript; either way a stack trace points at the .ts line.
import t from 'tap';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compiledSource, load } from '../helpers/compiled-ts-hooks.mjs';
import { buildTests } from '../../tools/build-tests.mjs';
import { tempDir } from '../helpers/tmp.ts';

type Files = Record<string, { text: string; at: number }>;

/** A checkout holding `files`, each written with its modification time `at` (s). */
async function checkout(t: Parameters<typeof tempDir>[0], files: Files): Promise<{ root: string; out: string }> {
  const dir = await tempDir(t, 'till-compiled-ts-');
  for (const [path, { text, at }] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
    utimesSync(join(dir, path), at, at);
  }
  const root = pathToFileURL(`${dir}/`).href;
  return { root, out: `${root}.test-build/` };
}

const SOURCE = { text: 'export const n: number = 1;\n', at: 1000 };
const COMPILED = { text: 'export const n = 1;\n//# sourceMappingURL=x.test.js.map', at: 2000 };

t.test('the compiled file when it is at least as new as the source', async (t) => {
  const { root, out } = await checkout(t, { 'test/a/x.test.ts': SOURCE, '.test-build/test/a/x.test.js': COMPILED });
  t.equal(compiledSource(`${root}test/a/x.test.ts`, root, out),
    'export const n = 1;\n//# sourceMappingURL=../../.test-build/test/a/x.test.js.map',
    'its source map named relative to the .ts, which is the module\'s URL');
  const same = await checkout(t, { 'test/a/x.test.ts': SOURCE, '.test-build/test/a/x.test.js': { ...COMPILED, at: 1000 } });
  t.ok(compiledSource(`${same.root}test/a/x.test.ts`, same.root, same.out), 'compiled in the same second as the edit');
});

t.test('no compiled file when it is older than the source, missing, or the module is elsewhere', async (t) => {
  const stale = await checkout(t, { 'test/a/x.test.ts': { ...SOURCE, at: 3000 }, '.test-build/test/a/x.test.js': COMPILED });
  t.equal(compiledSource(`${stale.root}test/a/x.test.ts`, stale.root, stale.out), undefined, 'the source edited since');
  const none = await checkout(t, { 'test/a/x.test.ts': SOURCE });
  t.equal(compiledSource(`${none.root}test/a/x.test.ts`, none.root, none.out), undefined, 'never compiled');
  const other = await checkout(t, { 'x.ts': SOURCE });
  t.equal(compiledSource(`${other.root}x.ts`, stale.root, stale.out), undefined, 'outside the checkout');
});

t.test('a .ts without a fresh compiled file is compiled on the spot, with its source map inline', async (t) => {
  const url = pathToFileURL(join(await tempDir(t, 'till-compiled-ts-'), 'y.ts')).href;
  const source = 'type Pence = number;\nexport const p: Pence = 2;\n';
  const loaded = await load(url, {}, async (_url: string, context: { format?: string }) => {
    t.equal(context.format, 'module', 'the hooks before these still load the .ts source (tap records it)');
    return { format: 'module', source };
  });
  t.equal(loaded.format, 'module');
  const code = String(loaded.source);
  t.match(code, /const p = 2;/, 'JavaScript without the types');
  t.notMatch(code, /Pence/, 'no type left');
  t.match(code, /\n\/\/# sourceMappingURL=data:application\/json;base64,\S+\n?$/, 'the source map inline');
});

t.test('tools/build-tests.mjs writes what the hooks would compile on the spot', async (t) => {
  // An auto-accessor (Node 20 has none: esbuild rewrites it for the target) and a class field:
  // their JavaScript depends on the options, not only on the source.
  const text = 'import type { Test } from \'tap\';\n\nexport class Till {\n  static accessor opened = 0;\n  id = 1;\n  constructor(readonly t?: Test) {}\n}\n';
  const { root, out } = await checkout(t, { 'agent/till.ts': { text, at: 1000 }, 'test/till.test.ts': { text: 'export {};\n', at: 1000 } });
  await buildTests(new URL(root));
  const url = `${root}agent/till.ts`;
  const built = compiledSource(url, root, out);
  t.ok(built, 'agent/till.ts compiled');
  t.ok(compiledSource(`${root}test/till.test.ts`, root, out), 'test/till.test.ts compiled');
  const now = await load(url, {}, async () => ({ format: 'module', source: text }));
  const code = (js: unknown) => String(js).replace(/\/\/# sourceMappingURL=\S+\s*$/, '');
  t.equal(code(built), code(now.source), 'the same JavaScript');
  t.match(built, /\n\/\/# sourceMappingURL=\.\.\/\.test-build\/agent\/till\.js\.map$/, 'its source map beside it');
});

t.test('this file\'s own stack trace names its .ts line', async (t) => {
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  const stack = new Error('where').stack ?? ''; // the line this test looks for
  const line = lines.findIndex((l) => l.includes('new Error(\'where\')')) + 1;
  t.match(stack, `${fileURLToPath(import.meta.url)}:${line}:`, `line ${line} of the .ts (types above it are not in the JavaScript)`);
});
