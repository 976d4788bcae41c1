// The bundle leaves out zod's translations of its messages (tools/bundle.mjs): 48 locales, 370 KB that
// every start compiled and nothing here selects (no z.config(z.locales.…())). English, the default,
// comes in through zod's schemas module and must still be there, and messages must still be English.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = join(ROOT, 'build', 'cli');

t.test('npm run build bundled zod with English messages only', async (t) => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.js'));
  const locales = files.flatMap((f) => [...readFileSync(join(DIR, f), 'utf8').matchAll(/^\/\/ node_modules\/zod\/v4\/locales\/([\w-]+)\.js$/gm)].map((m) => m[1]));
  t.same(locales, ['en'], 'the one locale bundled is English');
});

t.test("the bundle's zod still answers in English", async (t) => {
  // The config's own check, through the bundle: an unknown key is named, in English.
  const chunk = readdirSync(DIR).find((f) => /^\/\/ node_modules\/zod\/v4\/classic\/external\.js$/m.test(readFileSync(join(DIR, f), 'utf8')));
  t.ok(chunk, 'a chunk holds zod');
  const code = `const m = await import(${JSON.stringify(pathToFileURL(join(DIR, chunk!)).href)});
    const z = Object.values(m).find((v) => v && typeof v.strictObject === 'function');
    const r = z.strictObject({ a: z.number() }).safeParse({ a: 'x', b: 1 });
    process.stdout.write(JSON.stringify(r.error.issues.map((i) => i.message)));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code]).toString()) as string[];
  t.same(out, ['Invalid input: expected number, received string', 'Unrecognized key: "b"']);
});
