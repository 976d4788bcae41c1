// The bundle's files are ASCII (tools/bundle.mjs): V8 keeps each loaded module's source for the
// life of the process, one byte per character only while every character is Latin-1. esbuild
// escapes strings and names but keeps comments as written; the bundler turns what is left into
// \u{…} text, comments only, and the code means what it meant.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from '../helpers/tmp.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const nonAscii = (text: string) => /[^\x00-\x7f]/.test(text);

t.test('a comment with a dash and a string with one: the file becomes ASCII, the string is the same', async (t) => {
  const dir = await tempDir(t);
  mkdirSync(join(dir, 'cli'));
  // esbuild keeps a comment inside an expression (zod has one), not one before a statement.
  writeFileSync(join(dir, 'cli', 'main.js'), [
    'export function dash() {',
    '  return (',
    '    // a comment — with a dash, and “quotes”',
    "    'a — b'",
    '  );',
    '}',
    '',
  ].join('\n'));
  execFileSync(process.execPath, [join(ROOT, 'tools', 'bundle.mjs'), dir], { stdio: 'pipe' });
  const text = readFileSync(join(dir, 'cli', 'main.js'), 'utf8');
  t.notOk(nonAscii(text), 'no character outside ASCII');
  t.match(text, /a comment \\u\{2014\} with a dash, and \\u\{201c\}quotes\\u\{201d\}/, 'the comment says which characters were there');
  const url = pathToFileURL(join(dir, 'cli', 'main.js')).href;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `process.stdout.write((await import(${JSON.stringify(url)})).dash())`]);
  t.equal(out.toString(), 'a — b', 'the string is what it was');
});

t.test('npm run build left an ASCII bundle', async (t) => {
  const dir = join(ROOT, 'build', 'cli');
  const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
  t.ok(files.length > 1, 'build/cli holds the bundle (npm run build)');
  t.same(files.filter((f) => nonAscii(readFileSync(join(dir, f), 'utf8'))), []);
});
