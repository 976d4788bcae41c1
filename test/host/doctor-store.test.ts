// `till-agent host --doctor` (and --check-backend) only look at the store: run by a technician with
// sudo, a host.db they created was root's, and the service (user till-agent-host) then opened it
// read-only without a word: "host ready", and every till request failed with "attempt to write a
// readonly database". The host now refuses such a file at start, naming data_dir and the chown.
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { cli, cliAsNobody } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('--doctor and --check-backend on a new data_dir create nothing in it', async (t) => {
  const dir = await tempDir(t, 'till-host-doc-');
  const data = join(dir, 'data');
  await mkdir(data);
  const config = join(dir, 'host.yaml');
  await writeFile(config, `data_dir: ${data}\nuplink:\n  url: mqtt://127.0.0.1:9\n`);
  const doctor = await cli('host', '--config', config, '--doctor');
  t.match(doctor.out, /✔ store +sqlite .*data\/host\.db not created yet \(the host's first start creates it; .*data is writable by this user\)/);
  t.match(doctor.out, /✔ ledger/, 'the backend checks still run (on an empty ledger of their own)');
  const ops = await cli('host', '--config', config, '--check-backend');
  t.match(ops.out, /^store: sqlite .*not created yet/m);
  t.equal(ops.code, 0, ops.out);
  t.notOk(existsSync(join(data, 'host.db')), 'no host.db: the service creates its own');
});

t.test('a host.db the service user cannot write: start refused in one line naming data_dir and the chown',
  { skip: process.getuid?.() === 0 ? false : 'needs root, to run the host as another user (CI runs as root)' }, async (t) => {
  const dir = await tempDir(t, 'till-host-doc-');
  await chmod(dir, 0o755);
  const data = join(dir, 'data');
  await mkdir(data);
  const config = join(dir, 'host.yaml');
  await writeFile(config, `data_dir: ${data}\nuplink:\n  url: mqtt://127.0.0.1:9\n`);
  await chmod(config, 0o644);
  // What `sudo till-agent host --doctor` left before: a ledger owned by root.
  t.equal((await cli('host', '--config', config, '--check-backend')).code, 0);
  await writeFile(join(data, 'host.db'), '', { flag: 'a' });
  await chown(data, 65534, 65534);
  const asNobody = (...args: string[]) => cliAsNobody(dir, ...args);
  const run = await asNobody('host', '--config', config);
  t.equal(run.code, 4, run.out);
  const severe = run.out.trim().split('\n').map((l) => JSON.parse(l) as { level: unknown; msg: string; config_key?: string })
    .filter((l) => l.level === 'fatal' || l.level === 'error' || (typeof l.level === 'number' && l.level >= 50));
  t.equal(severe.length, 1, run.out);
  t.match(severe[0], { config_key: 'data_dir', msg: /host failed to start: data_dir .*host\.db: EACCES .*chown till-agent-host:till-agent-host/ });
  t.notMatch(run.out, /host ready|"stack"/);
  const doctor = await asNobody('host', '--config', config, '--doctor');
  t.match(doctor.out, /✖ store +data_dir .*host\.db: EACCES/);
});
