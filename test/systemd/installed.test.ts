// The program as a till runs it. install.sh --root with node_modules lays down the compiled
// build/ and a node_modules cut down to what runs (no dev dependencies such as tsx, no other
// platforms' prebuilt addons, no native build intermediates or C sources); a rerun keeps that
// node_modules without copying it again; and the installed bin/till-agent.js (the build, not
// the sources: there are none, and no tsx) serves an award through a real mosquitto and the
// installed host. A checkout whose build/ is missing or older than its sources is compiled by
// install.sh into the installed tree, never shipped stale.
import t from 'tap';
import { existsSync } from 'node:fs';
import { cp, readdir, readFile, stat, symlink, utimes } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { startSystem } from '../helpers/system.ts';
import { REPO, SYSTEMD_DIR, run, snapshot } from '../helpers/systemd-tools.ts';
import { tempDir } from '../helpers/tmp.ts';

const INSTALL = join(SYSTEMD_DIR, 'install.sh');
const PLATFORM = `linux-${process.arch}`;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

// Loads every native addon the agent uses, from the installed tree's node_modules, and the
// compiled program's run-time files.
const LOAD_ADDONS = `
const Database = (await import('better-sqlite3')).default;
const db = new Database(':memory:');
if (db.prepare('select 41 + 1 as x').get().x !== 42) throw new Error('sqlite');
// Loads this platform's prebuilt addon (listing ports would need udevadm).
const { autoDetect } = await import('@serialport/bindings-cpp');
autoDetect();
await import('usb');
await import('unix-dgram');
// The receipt preview font, read next to the compiled driver.
const { previewFont } = await import('./build/drivers/bdf-font.js');
if (!previewFont().has('€')) throw new Error('font');
// Our own addons (drivers/native), found by the compiled modules that load them.
const { grabAvailable } = await import('./build/drivers/evdev-grab.js');
if (!grabAvailable().ok) throw new Error(grabAvailable().reason);
const { releaseMemory } = await import('./build/runtime/release-memory.js');
const released = await releaseMemory({ thorough: true });
if (!released.released) throw new Error(released.reason);
console.log('addons loaded');
`;

t.test('installed with node_modules: slim, kept on a rerun, and the built program serves an award', async (t) => {
  const root = await tempDir(t, 'till-installed-');
  const first = await run('bash', [INSTALL, '--root', root]);
  t.equal(first.code, 0, 'install.sh exit 0', { output: first.stdout + first.stderr });
  t.match(first.stdout, /^copying +node_modules from /m, 'says it is copying node_modules before it does');
  t.match(first.stdout, /^installed +\/opt\/till-agent\/node_modules \(/m);
  const program = join(root, 'opt/till-agent');
  const modules = join(program, 'node_modules');

  for (const dev of ['tsx', 'typescript', 'tap', 'esbuild']) t.notOk(existsSync(join(modules, dev)), `no ${dev} (a dev dependency)`);
  t.notOk(existsSync(join(modules, '@types')), 'no type declarations');
  for (const dep of ['better-sqlite3', 'mqtt', 'zod', 'serialport', 'usb', 'pino']) t.ok(existsSync(join(modules, dep)), `${dep} is there`);
  const files = await filesUnder(modules);
  const prebuilds = files.filter((f) => f.includes('/prebuilds/'));
  t.ok(prebuilds.some((f) => f.includes(`/prebuilds/${PLATFORM}/`)), `${PLATFORM} prebuilds kept`);
  t.same(prebuilds.filter((f) => !f.includes(`/prebuilds/${PLATFORM}/`)), [], 'no other platform\'s prebuilds');
  t.same(files.filter((f) => /\.(c|cc|cpp|h|hh|hpp)$/.test(f)), [], 'no C/C++ sources or headers');
  t.notOk(existsSync(join(modules, 'better-sqlite3/deps')), 'no SQLite amalgamation');
  t.same(files.filter((f) => f.startsWith('better-sqlite3/build/')).filter((f) => !/^better-sqlite3\/build\/Release\/[^/]+\.node$/.test(f)), [],
    'better-sqlite3/build holds the built addon only (no objects, makefiles, static libraries)');
  t.ok(files.includes('better-sqlite3/build/Release/better_sqlite3.node'), 'the addon itself is there');
  t.same((await filesUnder(program)).filter((f) => f.endsWith('.ts') && !f.startsWith('node_modules/')), [], 'no TypeScript sources');
  t.same(files.filter((f) => /\.(ts|mts|cts)$|\.[mc]?js\.map$/.test(f)), [], 'no TypeScript declarations or sources, no source maps in node_modules');

  const addons = await run(process.execPath, ['--input-type=module', '-e', LOAD_ADDONS], { cwd: program });
  t.equal(addons.code, 0, `the native addons load from the slimmed node_modules\n${addons.stderr}`);
  t.match(addons.stdout, 'addons loaded');

  // A rerun: same dependencies, so node_modules stays where it is and nothing changes.
  const inode = (await stat(modules)).ino;
  const before = await snapshot(program);
  const second = await run('bash', [INSTALL, '--root', root]);
  t.equal(second.code, 0, 'the rerun exits 0', { output: second.stdout + second.stderr });
  t.match(second.stdout, /^kept +\/opt\/till-agent\/node_modules \(same dependencies/m);
  t.notMatch(second.stdout, /^copying /m, 'node_modules is not copied again');
  t.match(second.stdout, /^kept +\/opt\/till-agent \(/m);
  t.equal((await stat(modules)).ino, inode, 'the same node_modules directory');
  t.same(await snapshot(program), before, 'nothing under /opt/till-agent changed');

  // The installed bin runs the build: agent and host as processes, an award end to end.
  const bin = join(program, 'bin/till-agent.js');
  const sys = await startSystem(t, { bin });
  await sys.waitOnline();
  const pos = await sys.pos();
  const status = await pos.request('status');
  const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
  t.match(status, { ok: true, result: { version } },
    'the version comes from the installed package.json');
  const basket = { currency: 'EUR', total: 2000, items: [{ sku: 'COFFEE', qty: 2, unit_price: 1000, amount: 2000 }] };
  const award = await pos.request('award', { txn_id: 'installed-1', customer_id: 'alice', basket });
  t.match(award, { ok: true, result: { status: 'awarded', award_amount: 200 } }, 'awarded by the installed host');
  t.notOk(sys.agent.output().includes('tsx'), 'no trace of tsx in the agent\'s output');
});

t.test('a checkout without a current build/ is compiled by install.sh, never shipped stale', async (t) => {
  const source = await tempDir(t, 'till-source-');
  for (const item of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'bin', 'systemd', 'tools', 'cli', 'agent', 'drivers', 'protocol', 'runtime', 'host']) {
    await cp(join(REPO, item), join(source, item), { recursive: true });
  }
  await symlink(join(REPO, 'node_modules'), join(source, 'node_modules'));

  const root = await tempDir(t, 'till-root-');
  const missing = await run('bash', [INSTALL, '--root', root, '--source', source, '--no-node-modules']);
  t.equal(missing.code, 0, 'install.sh exit 0', { output: missing.stdout + missing.stderr });
  t.match(missing.stdout, /^building +build\/ \(missing\): tsc -p tsconfig\.build\.json$/m);
  t.notOk(existsSync(join(source, 'build')), 'the source tree is not written');
  const sources = (await filesUnder(source)).filter((f) => /^(cli|agent|drivers|protocol|runtime|host)\/.*\.ts$/.test(f) && !f.endsWith('.d.ts'));
  const built = await filesUnder(join(root, 'opt/till-agent/build'));
  // The status page's browser script is an asset copied as is, not compiled from a source file.
  t.ok(built.includes('agent/status-page/assets/app.js'), "the status page's assets next to the compiled server");
  // cli/main.js is bundled as npm run build bundles it (tools/bundle.mjs): its chunks sit next to it.
  const chunk = /^cli\/chunk-[A-Z0-9]+\.js$/;
  t.same(built.filter((f) => f.endsWith('.js') && !f.startsWith('agent/status-page/assets/') && !chunk.test(f)).sort(), sources.map((f) => f.replace(/\.ts$/, '.js')).sort(), 'one .js per source file');
  t.ok(built.some((f) => chunk.test(f)), 'and the bundle\'s chunks');
  t.ok(built.includes('drivers/fonts/misc-fixed-10x20.bdf'), 'and the receipt font next to the compiled driver');
  const help = await run(process.execPath, [join(root, 'opt/till-agent/bin/till-agent.js'), '--help']);
  t.equal(help.code, 0, help.stderr);
  t.match(help.stdout, /^till-agent <command>/);

  // A build older than a source (a checkout after git pull) is compiled again, not copied.
  await cp(join(root, 'opt/till-agent/build'), join(source, 'build'), { recursive: true });
  const later = new Date(Date.now() + 60_000);
  await utimes(join(source, 'cli/main.ts'), later, later);
  const stale = await run('bash', [INSTALL, '--root', await tempDir(t, 'till-root-'), '--source', source, '--no-node-modules']);
  t.equal(stale.code, 0, 'install.sh exit 0', { output: stale.stdout + stale.stderr });
  t.match(stale.stdout, /^building +build\/ \(older than cli\/main\.ts\)/m);
});
