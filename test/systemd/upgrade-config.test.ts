// An upgrade that refuses the till's config (dcbc9d9 made drawer_sensor on a printer without
// status a config error; a till configured so before would no longer start). `till-agent config
// check` names the key and its fix; the .deb's postinst runs it (its check_config, executed here
// as shipped, against this checkout's program) and then fails the configure step loudly instead
// of restarting into a service that exits 2. Real processes, real files.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BIN } from '../helpers/processes.ts';
import { REPO, SYSTEMD_DIR, run } from '../helpers/systemd-tools.ts';
import { tempDir } from '../helpers/tmp.ts';

function till(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 20_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out: stdout + stderr });
    });
  });
}

const printer = { name: 'printer0', kind: 'printer', transport: 'tcp', host: '192.0.2.10', status: false };

async function config(dir: string, device: Record<string, unknown>): Promise<string> {
  const file = join(dir, 'config.yaml');
  await writeFile(file, stringify({
    terminal: 'T1', store: 'S1', merchant: 'M1', data_dir: join(dir, 'data'), uplink: { url: 'mqtt://127.0.0.1:1' }, devices: [device],
  }));
  return file;
}

const REFUSED = 'devices[0].drawer_sensor: needs status requests, which status: false turns off (use off)';

t.test('config check: the refused key with its fix, exit 2; a valid config, exit 0', async (t) => {
  const dir = await tempDir(t);
  const bad = await config(dir, { ...printer, drawer_sensor: 'high' });
  const refused = await till(['config', 'check', '--config', bad]);
  t.equal(refused.code, 2, refused.out);
  t.match(refused.out, `  - ${REFUSED}`);
  t.match(refused.out, `Every line names its key`);

  const typo = await till(['config', 'check', '--config', await config(dir, { ...printer, drawer_sensr: 'high' })]);
  t.equal(typo.code, 2, 'a misspelt key stays an error');
  t.match(typo.out, /devices\[0\]: unknown key\(s\): drawer_sensr/);

  const good = await till(['config', 'check', '--config', await config(dir, { ...printer, drawer_sensor: 'off' })]);
  t.equal(good.code, 0, good.out);
  t.match(good.out, /: valid for till-agent \S+ \(till M1\/S1\/T1, 1 device\(s\), data_dir /);

  const none = await till(['config', 'check', '--config', join(dir, 'nope.yaml')]);
  t.equal(none.code, 1, none.out);
  t.match(none.out, /config not found/);
});

/** Runs the postinst's own check_config (as shipped) with PROG = this checkout. */
async function postinstCheck(file: string, which: 'agent' | 'host' = 'agent') {
  const postinst = await readFile(join(SYSTEMD_DIR, 'deb', 'postinst'), 'utf8');
  const fn = /^check_config\(\) \{\n[\s\S]*?\n\}\n/m.exec(postinst)?.[0];
  if (!fn) throw new Error('no check_config() in systemd/deb/postinst');
  return run('sh', ['-c', `set -e\nPROG=${REPO.replace(/\/$/, '')}\n${fn}check_config "$1" ${which === 'host' ? 'host' : ''}`, 'postinst', file]);
}

t.test('postinst: a config this version refuses fails the configure step, names the key, keeps the old agent', async (t) => {
  const dir = await tempDir(t);
  const bad = await config(dir, { ...printer, drawer_sensor: 'high' });
  const refused = await postinstCheck(bad);
  t.equal(refused.code, 1, refused.stderr);
  t.match(refused.stderr, `till-agent: ${bad} is not valid for this version; the service was NOT restarted:`);
  t.match(refused.stderr, `      - ${REFUSED}`);
  t.match(refused.stderr, 'then finish the installation: dpkg --configure -a');
  const good = await postinstCheck(await config(dir, { ...printer, drawer_sensor: 'off' }));
  t.equal(good.code, 0, good.stderr);
  t.equal(good.stderr, '', 'silent when valid');

  const postinst = await readFile(join(SYSTEMD_DIR, 'deb', 'postinst'), 'utf8');
  t.match(postinst, /! check_config "\$CONFIG"; then\n\s+CONFIG_OK=0[\s\S]*elif \[ "\$CONFIG_OK" = 0 \]; then[\s\S]*elif ! systemctl restart till-agent\.service[\s\S]*\[ "\$CONFIG_OK" = 1 \] && \[ "\$HOST_OK" = 1 \] \|\| exit 1\nfi/,
    'checked before the restart, which is skipped, and the configure step fails');
});

t.test('postinst: the reference host\'s config is checked too before its restart (config check --host)', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'host.yaml');
  // A key this version does not know (a typo, or one an older version had): the host would exit 2 after the restart.
  await writeFile(file, stringify({ data_dir: join(dir, 'data'), uplink: { url: 'mqtt://127.0.0.1:1' }, lock_tll_s: 900 }));
  const direct = await till(['config', 'check', '--host', file]);
  t.equal(direct.code, 2, direct.out);
  t.match(direct.out, /invalid host configuration\n  - \(root\): unknown key\(s\): lock_tll_s/);
  const refused = await postinstCheck(file, 'host');
  t.equal(refused.code, 1, refused.stderr);
  t.match(refused.stderr, `till-agent: ${file} is not valid for this version; till-agent-host was NOT restarted:`);
  t.match(refused.stderr, `till-agent: fix the key(s) named above, check with: till-agent config check --host ${file}`);
  t.match(refused.stderr, 'until then the host already running (the previous version) serves the tills');
  await writeFile(file, stringify({ data_dir: join(dir, 'data'), uplink: { url: 'mqtt://127.0.0.1:1' }, lock_ttl_s: 900 }));
  const good = await postinstCheck(file, 'host');
  t.equal(good.code, 0, good.stderr);
  t.match((await till(['config', 'check', '--host', file])).out, /: valid for till-agent host \S+ \(store sqlite, backend ledger, data_dir /);

  const postinst = await readFile(join(SYSTEMD_DIR, 'deb', 'postinst'), 'utf8');
  t.match(postinst, /! check_config "\$HOST_CONFIG" host; then\n\s+HOST_OK=0[\s\S]*if \[ "\$HOST_OK" = 1 \]; then\n\s+systemctl try-restart till-agent-host\.service/,
    'the host is restarted only into a config this version takes');
});
