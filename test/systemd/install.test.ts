// systemd/install.sh into a scratch root (--root): every file it lays down, their modes, a second
// run that changes nothing and keeps an edited config byte for byte, and --uninstall [--purge].
import t from 'tap';
import { appendFile, chmod, copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.ts';
import { REPO, SYSTEMD_DIR, requireTool, run, snapshot, type TreeEntry } from '../helpers/systemd-tools.ts';

const INSTALL = join(SYSTEMD_DIR, 'install.sh');
// What goes to /opt/till-agent, as in install.sh: the compiled build/, never the TypeScript sources.
const PROGRAM_ITEMS = ['package.json', 'package-lock.json', 'bin', 'build', 'systemd', 'host/README.md', 'host/seed.sample.yaml'];
const inProgram = (path: string) => PROGRAM_ITEMS.some((item) => `/${item}` === path || `/${item}`.startsWith(`${path}/`) || path.startsWith(`/${item}/`));

// System files: path in the root → [file in the repo, mode].
const SYSTEM_FILES: Record<string, [string, number]> = {
  '/usr/lib/systemd/system/till-agent.service': ['systemd/till-agent.service', 0o644],
  '/usr/lib/systemd/system/till-agent-host.service': ['systemd/till-agent-host.service', 0o644],
  '/usr/lib/udev/rules.d/60-till-agent.rules': ['systemd/udev/60-till-agent.rules', 0o644],
  '/usr/lib/sysusers.d/till-agent.conf': ['systemd/sysusers.d/till-agent.conf', 0o644],
  '/usr/lib/tmpfiles.d/till-agent.conf': ['systemd/tmpfiles.d/till-agent.conf', 0o644],
  '/usr/lib/modules-load.d/till-agent.conf': ['systemd/modules-load.d/till-agent.conf', 0o644],
  '/etc/till-agent/config.yaml': ['systemd/config.sample.yaml', 0o640],
};

const install = (root: string, ...args: string[]) => run('bash', [INSTALL, '--root', root, '--no-node-modules', ...args]);
const files = (tree: Map<string, TreeEntry>) => [...tree].filter(([, e]) => e.type !== 'dir');

/** The program files install.sh should copy: the repo's, under /opt/till-agent. */
async function expectedProgram(): Promise<Map<string, TreeEntry>> {
  const repo = await snapshot(REPO, inProgram);
  return new Map([...repo].map(([path, entry]) => [`/opt/till-agent${path}`, entry]));
}

t.test('a fresh install lays down exactly the expected files, with their modes', async (t) => {
  if (!requireTool(t, 'bash', 'bash')) return;
  const root = await tempDir(t, 'till-root-');
  const result = await install(root);
  t.equal(result.code, 0, `exit 0\n${result.stdout}${result.stderr}`);
  const tree = await snapshot(root);

  for (const [path, [source, mode]] of Object.entries(SYSTEM_FILES)) {
    const entry = tree.get(path);
    t.equal(entry?.type, 'file', `${path} installed`);
    t.equal(entry?.mode.toString(8), mode.toString(8), `${path} mode ${mode.toString(8)}`);
    t.equal(await readFile(join(root, path), 'utf8'), await readFile(join(REPO, source), 'utf8'), `${path} is ${source}`);
  }
  t.same(tree.get('/usr/local/bin/till-agent'), { type: 'link', mode: 0o777, content: '/opt/till-agent/bin/till-agent.js' },
    'till-agent on PATH');

  // The program: the repo's files and build, unchanged, nothing else (no sources, test/, .git,
  // dist/ or node_modules).
  const program = await expectedProgram();
  const installed = new Map([...tree].filter(([path]) => path.startsWith('/opt/till-agent/')));
  t.same([...installed.keys()].sort(), [...program.keys()].sort(), 'the same paths under /opt/till-agent');
  for (const [path, entry] of files(installed)) {
    t.equal(entry.content, program.get(path)?.content, `${path} content`);
  }
  const executables = files(installed).filter(([, e]) => e.type === 'file' && (e.mode & 0o111) !== 0).map(([p]) => p);
  t.ok(executables.includes('/opt/till-agent/bin/till-agent.js'), 'bin/till-agent.js is executable');
  t.ok(executables.includes('/opt/till-agent/systemd/install.sh'), 'install.sh is executable (for --uninstall)');
  for (const [path, entry] of tree) {
    if (entry.type === 'link') continue;
    t.equal(entry.mode & 0o022, 0, `${path} is not group or world writable`);
  }

  // Every path in the root is accounted for.
  const known = new Set([...Object.keys(SYSTEM_FILES), '/usr/local/bin/till-agent', ...program.keys()]);
  t.same(files(tree).map(([p]) => p).filter((p) => !known.has(p)), [], 'no other files');

  // Scratch root: nothing run for real, what would have been run is printed.
  t.notMatch(result.stdout, /^ran /m, 'no command was run');
  for (const command of ['systemd-sysusers', 'systemd-tmpfiles --create', 'udevadm control --reload', 'systemctl daemon-reload',
    'systemctl enable till-agent.service']) {
    t.match(result.stdout, new RegExp(`^would run +${command}`, 'm'), `would run ${command}`);
  }
  t.notMatch(result.stdout, /^would run +systemctl (re)?start/m, 'not started: the sample still has CHANGE-ME');
  t.match(result.stdout, /^checked +\/etc\/till-agent\/config\.yaml: valid but for the CHANGE-ME values of terminal, store, merchant, uplink\.url/m,
    'the config was validated by the agent\'s loader, which refuses only the placeholders');
  t.match(result.stdout, /^installed +\/etc\/till-agent\/config\.yaml/m);
  t.match(result.stdout, /^skipped +\/opt\/till-agent\/node_modules \(--no-node-modules\)/m);
  const steps = [...result.stdout.matchAll(/^\[(\d+)\/(\d+)\] +\S/gm)].map((m) => `${m[1]}/${m[2]}`);
  t.same(steps, ['1/6', '2/6', '3/6', '4/6', '5/6', '6/6'], 'each stage is announced before it runs');
  t.same([...installed.keys()].filter((p) => p.endsWith('.ts')), [], 'no TypeScript on the till');
});

t.test('a second run changes nothing and keeps an edited config byte for byte', async (t) => {
  const root = await tempDir(t, 'till-root-');
  t.equal((await install(root)).code, 0);
  const config = join(root, 'etc/till-agent/config.yaml');
  await appendFile(config, '# edited by the technician\n');
  const edited = await readFile(config);
  // Files of an older version that the new one no longer has must go.
  await writeFile(join(root, 'opt/till-agent/build/agent/removed-in-this-version.js'), '');
  const before = await snapshot(root);

  const second = await install(root);
  t.equal(second.code, 0, second.stdout + second.stderr);
  t.same(await readFile(config), edited, 'config kept byte for byte');
  t.match(second.stdout, /^kept +\/etc\/till-agent\/config\.yaml \(existing configuration, never overwritten\)/m);
  for (const path of Object.keys(SYSTEM_FILES).filter((p) => !p.startsWith('/etc/'))) {
    t.match(second.stdout, new RegExp(`^kept +${path} \\(unchanged\\)`, 'm'), `${path} kept`);
  }
  before.delete('/opt/till-agent/build/agent/removed-in-this-version.js');
  const after = await snapshot(root);
  t.same([...after.keys()].sort(), [...before.keys()].sort(), 'the same paths, minus the stale file');
  for (const [path, entry] of after) t.same(entry, before.get(path), `${path} unchanged`);

  const third = await install(root);
  t.match(third.stdout, /^kept +\/opt\/till-agent \(/m, 'an identical program is reported as kept');
  t.notMatch(third.stdout, /^(installed|updated) /m, 'and nothing else is installed or updated');
});

t.test('an invalid existing config is reported, kept, and fails the run', async (t) => {
  const root = await tempDir(t, 'till-root-');
  await mkdir(join(root, 'etc/till-agent'), { recursive: true });
  const text = 'terminal: T/1\nstore: S1\nmerchant: M1\ndata_dir: /var/lib/till-agent\nuplink: { url: http://x }\n';
  await writeFile(join(root, 'etc/till-agent/config.yaml'), text);
  const result = await install(root);
  t.equal(result.code, 1, 'exit 1');
  t.match(result.stdout, /^invalid +\/etc\/till-agent\/config\.yaml/m);
  t.match(result.stdout, /terminal: must not contain/);
  t.match(result.stdout, /uplink\.url: must be mqtt/);
  t.match(result.stdout, /^skipped +start: \/etc\/till-agent\/config\.yaml is invalid/m);
  t.equal(await readFile(join(root, 'etc/till-agent/config.yaml'), 'utf8'), text, 'not overwritten');
});

t.test('--uninstall removes what was installed and keeps the config; --purge removes it too', async (t) => {
  const root = await tempDir(t, 'till-root-');
  t.equal((await install(root)).code, 0);
  await mkdir(join(root, 'var/lib/till-agent'), { recursive: true });
  await writeFile(join(root, 'var/lib/till-agent/till-agent.db'), 'outbox');

  const removed = await run('bash', [INSTALL, '--root', root, '--uninstall']);
  t.equal(removed.code, 0, removed.stdout + removed.stderr);
  t.same(files(await snapshot(root)).map(([p]) => p).sort(), ['/etc/till-agent/config.yaml', '/var/lib/till-agent/till-agent.db'],
    'only the config and the data remain');
  t.match(removed.stdout, /^would run +systemctl disable till-agent\.service/m);
  t.match(removed.stdout, /^kept +\/etc\/till-agent/m);

  const again = await run('bash', [INSTALL, '--root', root, '--uninstall']);
  t.equal(again.code, 0, 'uninstalling twice is fine');

  const purged = await run('bash', [INSTALL, '--root', root, '--uninstall', '--purge']);
  t.equal(purged.code, 0, purged.stdout + purged.stderr);
  t.same(files(await snapshot(root)), [], 'nothing left');
});

t.test('usage errors exit 2', async (t) => {
  const root = await tempDir(t, 'till-root-');
  t.equal((await run('bash', [INSTALL, '--root', root, '--bogus'])).code, 2);
  t.equal((await run('bash', [INSTALL, '--root', root, '--purge'])).code, 2, '--purge needs --uninstall');
  const help = await run('bash', [INSTALL, '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /--root DIR/);
});

t.test('sysusers.d and tmpfiles.d entries are accepted by systemd', async (t) => {
  if (!requireTool(t, 'systemd-sysusers', 'systemd')) return;
  const root = await tempDir(t, 'till-sysroot-');
  await mkdir(join(root, 'etc'), { recursive: true });
  // Only our files in the scratch root's config directories, so only they are applied.
  await mkdir(join(root, 'usr/lib/sysusers.d'), { recursive: true });
  await mkdir(join(root, 'usr/lib/tmpfiles.d'), { recursive: true });
  await copyFile(join(SYSTEMD_DIR, 'sysusers.d/till-agent.conf'), join(root, 'usr/lib/sysusers.d/till-agent.conf'));
  await copyFile(join(SYSTEMD_DIR, 'tmpfiles.d/till-agent.conf'), join(root, 'usr/lib/tmpfiles.d/till-agent.conf'));
  const users = await run('systemd-sysusers', ['--root', root]);
  t.equal(users.code, 0, users.stderr);
  const passwd = await readFile(join(root, 'etc/passwd'), 'utf8');
  const group = await readFile(join(root, 'etc/group'), 'utf8');
  t.match(passwd, /^till-agent:x:\d+:\d+:[^:]*:\/var\/lib\/till-agent:/m);
  t.match(passwd, /^till-agent-host:x:\d+:\d+:/m);
  t.match(group, /^dialout:x:\d+:till-agent$/m, 'till-agent is in dialout');
  t.match(group, /^lp:x:\d+:till-agent$/m, 'till-agent is in lp');
  t.match(group, /^till-input:x:\d+:till-agent$/m, 'till-agent is in till-input (keyboard-wedge scanners)');

  if (!requireTool(t, 'systemd-tmpfiles', 'systemd')) return;
  // Creating the directories chowns them: that needs root, which CI is.
  if (process.getuid?.() !== 0) {
    t.comment('not root: tmpfiles --create not tried');
    return;
  }
  // Config files written by hand (sudo tee): root:root 0644, world-readable, unreadable by the service.
  await mkdir(join(root, 'etc/till-agent'), { recursive: true });
  for (const f of ['config.yaml', 'host.yaml']) {
    await writeFile(join(root, 'etc/till-agent', f), 'uplink:\n  password: s3cret\n');
    await chmod(join(root, 'etc/till-agent', f), 0o644);
  }
  const dirs = await run('systemd-tmpfiles', ['--root', root, '--create']);
  t.equal(dirs.code, 0, dirs.stderr);
  const tree = await snapshot(root);
  t.equal(tree.get('/var/lib/till-agent')?.mode.toString(8), '700', 'data dir private to the service');
  t.equal(tree.get('/run/till-agent')?.mode.toString(8), '750', 'socket dir open to group till-agent');
  t.equal(tree.get('/var/lib/till-agent-host')?.mode.toString(8), '700');
  const gid = (name: string) => Number(new RegExp(`^${name}:x:(\\d+):`, 'm').exec(group)?.[1]);
  for (const [f, owner] of [['config.yaml', 'till-agent'], ['host.yaml', 'till-agent-host']] as const) {
    const st = await stat(join(root, 'etc/till-agent', f));
    t.equal((st.mode & 0o777).toString(8), '640', `${f}: no longer readable by every user`);
    t.equal(st.gid, gid(owner), `${f}: readable by group ${owner}, the service's`);
    t.equal(st.uid, 0, `${f}: owned by root`);
  }
});

t.test('a reference host set up here: its config checked with this version, then restarted; refused: kept running, the run fails', async (t) => {
  const root = await tempDir(t, 'till-root-');
  const hostYaml = join(root, 'etc/till-agent/host.yaml');
  await mkdir(join(root, 'etc/till-agent'), { recursive: true });
  await writeFile(hostYaml, `data_dir: /var/lib/till-agent-host\nuplink:\n  url: mqtts://broker.example.com:8883\n`);
  const first = await install(root);
  t.equal(first.code, 0, first.stdout + first.stderr);
  t.match(first.stdout, /^checked +\/etc\/till-agent\/host\.yaml: valid \(store sqlite, backend ledger, data_dir \/var\/lib\/till-agent-host\)/m);
  t.match(first.stdout, /^would run +systemctl try-restart till-agent-host\.service/m, 'restarted into the new program if it runs');
  t.notMatch(first.stdout, /till-agent-host\.service is installed but not enabled/);

  await appendFile(hostYaml, 'lock_tll_s: 900\n'); // a key this version does not take
  await writeFile(join(root, 'opt/till-agent/build/agent/removed-in-this-version.js'), ''); // something to update
  const refused = await install(root);
  t.equal(refused.code, 1, 'the run fails');
  t.match(refused.stdout, /^invalid +\/etc\/till-agent\/host\.yaml \(till-agent-host was NOT restarted: the one running keeps serving the tills\):\n.*\n +- \(root\): unknown key\(s\): lock_tll_s/m);
  t.notMatch(refused.stdout, /try-restart till-agent-host/, 'not restarted into a config it refuses');

  const none = await install(await tempDir(t, 'till-root-'));
  t.match(none.stdout, /^note +till-agent-host\.service is installed but not enabled/m, 'no host here: only the note');
  t.notMatch(none.stdout, /try-restart till-agent-host/);
});
