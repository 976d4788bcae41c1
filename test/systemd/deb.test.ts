// systemd/build-deb.sh: the .deb's control fields, maintainer scripts and contents, as
// `dpkg-deb --info` and `--contents` show them. Built without node_modules to stay fast: the
// layout comes from install.sh --root either way (test/systemd/install.test.ts covers it).
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.ts';
import { REPO, SYSTEMD_DIR, requireTool, run } from '../helpers/systemd-tools.ts';

interface Built { deb: string; version: string; arch: string }

async function build(t: Test): Promise<Built | undefined> {
  if (!requireTool(t, 'dpkg-deb', 'dpkg') || !requireTool(t, 'dpkg', 'dpkg')) return undefined;
  const out = await tempDir(t, 'till-deb-');
  const result = await run('bash', [join(SYSTEMD_DIR, 'build-deb.sh'), '--no-node-modules', '--out', out], { env: { DEB_COMPRESS: 'gzip' } });
  if (result.code !== 0) {
    t.fail(`build-deb.sh failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
    return undefined;
  }
  const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
  const arch = (await run('dpkg', ['--print-architecture'])).stdout.trim();
  const deb = join(out, `till-agent_${version}_${arch}.deb`);
  t.match(result.stdout, `built ${deb}`);
  const steps = [...result.stdout.matchAll(/^\[(\d+)\/3\] \S/gm)].map((m) => m[1]);
  t.same(steps, ['1', '2', '3'], 'each stage is announced before it runs');
  return { deb, version, arch };
}

t.test('control fields and maintainer scripts (dpkg-deb --info)', async (t) => {
  const built = await build(t);
  if (!built) return;
  const info = await run('dpkg-deb', ['--info', built.deb]);
  t.equal(info.code, 0, info.stderr);
  const field = (name: string) => new RegExp(`^ ${name}: (.*)$`, 'm').exec(info.stdout)?.[1];
  t.equal(field('Package'), 'till-agent');
  t.equal(field('Version'), built.version, 'version from package.json');
  t.equal(field('Architecture'), built.arch, 'native addons: built for this architecture');
  t.match(field('Depends'), /^nodejs \(>= (\d+)\), nodejs \(<< (\d+)\)$/, 'nodejs, the major the addons were built for');
  t.ok(Number(/>= (\d+)/.exec(field('Depends') ?? '')?.[1]) >= 20, 'Node.js 20 or later');
  t.ok(field('Maintainer'), 'Maintainer');
  t.ok(field('Installed-Size'), 'Installed-Size');
  t.match(field('Description'), /till/);
  for (const script of ['postinst', 'prerm', 'postrm']) {
    t.match(info.stdout, new RegExp(`^\\s+\\d+ bytes,\\s+\\d+ lines\\s+\\*\\s+${script}\\s+#!/bin/sh$`, 'm'), `${script}: executable shell script`);
  }
  t.match(info.stdout, /^\s+\d+ bytes,\s+\d+ lines\s+conffiles\s*$/m, 'conffiles');

  const conffiles = await run('dpkg-deb', ['--info', built.deb, 'conffiles']);
  t.equal(conffiles.stdout, '/etc/till-agent/config.yaml\n', 'the config is a conffile: dpkg keeps local edits');

  const postinst = (await run('dpkg-deb', ['--info', built.deb, 'postinst'])).stdout;
  t.match(postinst, /systemd-sysusers \/usr\/lib\/sysusers\.d\/till-agent\.conf/, 'postinst creates the users');
  t.match(postinst, /systemd-tmpfiles --create \/usr\/lib\/tmpfiles\.d\/till-agent\.conf/, 'and the directories');
  t.match(postinst, /chgrp till-agent "\$CONFIG"/, 'the service reads its config through its group');
  t.match(postinst, /if \[ -d \/run\/systemd\/system \]; then[\s\S]*udevadm control --reload[\s\S]*systemctl daemon-reload[\s\S]*systemctl restart till-agent\.service/,
    'udev and systemd only when systemd runs');
  t.match(postinst, /systemctl enable till-agent\.service/);
  const prerm = (await run('dpkg-deb', ['--info', built.deb, 'prerm'])).stdout;
  t.match(prerm, /remove\|deconfigure\)[\s\S]*systemctl stop till-agent\.service[\s\S]*systemctl disable till-agent\.service/);
  const postrm = (await run('dpkg-deb', ['--info', built.deb, 'postrm'])).stdout;
  t.match(postrm, /purge\)\s+rm -rf \/etc\/till-agent \/var\/lib\/till-agent/, 'data goes on purge only');
  t.notMatch(postrm.replace(/purge\)[\s\S]*?;;/, ''), /rm -rf/, 'and never on remove');

  for (const [name, text] of [['postinst', postinst], ['prerm', prerm], ['postrm', postrm]] as const) {
    const syntax = await run('sh', ['-n', '-c', text]);
    t.equal(syntax.code, 0, `${name} parses: ${syntax.stderr}`);
  }
});

t.test('contents (dpkg-deb --contents)', async (t) => {
  const built = await build(t);
  if (!built) return;
  const contents = await run('dpkg-deb', ['--contents', built.deb]);
  t.equal(contents.code, 0, contents.stderr);
  // "-rw-r--r-- root/root 123 2026-01-01 00:00 ./path" (symlinks: "./path -> target")
  const entries = new Map(contents.stdout.trim().split('\n').map((line) => {
    const [mode = '', owner = '', , , , path = '', , target] = line.split(/\s+/);
    return [path.replace(/^\.\//, '/').replace(/\/$/, ''), { mode, owner, target }] as const;
  }));
  const expected: Record<string, string> = {
    '/usr/lib/systemd/system/till-agent.service': '-rw-r--r--',
    '/usr/lib/systemd/system/till-agent-host.service': '-rw-r--r--',
    '/usr/lib/udev/rules.d/60-till-agent.rules': '-rw-r--r--',
    '/usr/lib/sysusers.d/till-agent.conf': '-rw-r--r--',
    '/usr/lib/tmpfiles.d/till-agent.conf': '-rw-r--r--',
    '/usr/lib/modules-load.d/till-agent.conf': '-rw-r--r--',
    '/etc/till-agent/config.yaml': '-rw-r-----',
    '/opt/till-agent/package.json': '-rw-r--r--',
    '/opt/till-agent/bin/till-agent.js': '-rwxr-xr-x',
    '/opt/till-agent/build/cli/main.js': '-rw-r--r--',
    '/opt/till-agent/build/agent/config.js': '-rw-r--r--',
    '/opt/till-agent/build/host/start-host.js': '-rw-r--r--',
    '/opt/till-agent/build/protocol/local.js': '-rw-r--r--',
    '/opt/till-agent/host/seed.sample.yaml': '-rw-r--r--',
    '/opt/till-agent/systemd/install.sh': '-rwxr-xr-x',
    '/opt/till-agent/systemd/config.sample.yaml': '-rw-r--r--',
  };
  for (const [path, mode] of Object.entries(expected)) t.equal(entries.get(path)?.mode, mode, `${path} ${mode}`);
  t.same(entries.get('/usr/bin/till-agent'), { mode: 'lrwxrwxrwx', owner: 'root/root', target: '/opt/till-agent/bin/till-agent.js' },
    '/usr/bin/till-agent');
  t.same([...entries.keys()].filter((p) => p.startsWith('/usr/local')), [], 'nothing in /usr/local');
  t.same([...entries.keys()].filter((p) => /^\/opt\/till-agent\/(test|dist|bench|agent|drivers|protocol|\.git)(\/|$)/.test(p)), [],
    'no sources, tests, packages or VCS');
  t.same([...entries.keys()].filter((p) => p.endsWith('.ts')), [], 'no TypeScript: the till runs build/');
  t.same([...entries].filter(([, e]) => e.owner !== 'root/root').map(([p]) => p), [], 'everything root-owned');
  t.same([...entries].filter(([, e]) => e.mode[5] === 'w' || e.mode[8] === 'w').filter(([, e]) => e.mode[0] !== 'l').map(([p]) => p), [],
    'nothing group or world writable');
});
