// No import cycles in the sources (issue 12): every module of agent/, host/, cli/, drivers/,
// protocol/ and runtime/ can be read after the ones it imports. Type-only imports count too: a
// type shared by two modules lives where both may import it. The import graph is read with
// TypeScript's own pre-processor (the specifiers, static and dynamic), relative ones only.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { tempDir } from '../helpers/tmp.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FOLDERS = ['agent', 'host', 'cli', 'drivers', 'protocol', 'runtime'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each cycle as its files (a strongly connected component of more than one file, or a file importing itself). */
function importCycles(root: string, folders: string[]): string[][] {
  const files = folders.filter((f) => existsSync(join(root, f))).flatMap((f) => sources(join(root, f)));
  const known = new Set(files);
  const graph = new Map(files.map((file) => {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = importedFiles
      .filter((i) => i.fileName.startsWith('.'))
      .map((i) => resolve(dirname(file), i.fileName).replace(/\.js$/, '.ts'))
      .filter((dep) => known.has(dep));
    return [file, deps] as const;
  }));
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) cycles.push(component.map((f) => relative(root, f)).sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

t.test('the check finds a type-only cycle and a re-export cycle', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'pkg', 'sub'), { recursive: true });
  await writeFile(join(dir, 'pkg', 'a.ts'), "import type { B } from './sub/b.ts';\nexport type A = { b?: B };\n");
  await writeFile(join(dir, 'pkg', 'sub', 'b.ts'), "import type { A } from '../a.ts';\nexport type B = { a?: A };\n");
  await writeFile(join(dir, 'pkg', 'c.ts'), "export * from './d.js';\nexport const c = 1;\n");
  await writeFile(join(dir, 'pkg', 'd.ts'), "import { c } from './c.ts';\nexport const d = c + 1;\n");
  await writeFile(join(dir, 'pkg', 'e.ts'), "import { d } from './d.ts';\nexport const e = d;\n");
  t.same(importCycles(dir, ['pkg']).sort(), [['pkg/a.ts', 'pkg/sub/b.ts'], ['pkg/c.ts', 'pkg/d.ts']]);
});

t.test('no import cycles in the sources', async (t) => {
  const cycles = importCycles(ROOT, FOLDERS);
  t.same(cycles, [], cycles.map((c) => c.join(' ⇄ ')).join('; ') || 'none');
  t.ok(sources(join(ROOT, 'host')).length > 30, 'the sources were read');
});
