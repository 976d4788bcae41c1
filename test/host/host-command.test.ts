// The `till-agent host` command as a real process: usage, config and seed errors.
import t from 'tap';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseHostArgs } from '../../cli/commands/host.ts';
import { spawnHost } from '../helpers/host-process.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('argument parsing', async (t) => {
  t.match(parseHostArgs(['--config', 'h.yaml']), { config: 'h.yaml', help: false, errors: [] });
  t.match(parseHostArgs(['--config=h.yaml']), { config: 'h.yaml', errors: [] });
  t.match(parseHostArgs(['--help']), { help: true, errors: [] });
  t.match(parseHostArgs([]), { errors: ['--config FILE is required'] });
  t.match(parseHostArgs(['--config']), { errors: ['--config needs a value'] });
  t.match(parseHostArgs(['--config', '--help']), { errors: ['--config needs a value'] });
  t.match(parseHostArgs(['--config', 'h.yaml', '--verbose']), { errors: ['unknown option --verbose'] });
  t.match(parseHostArgs(['--config', 'h.yaml', 'extra']), { errors: ['unexpected argument "extra"'] });
  t.match(parseHostArgs(['-h']), { help: true, errors: [] });
});

t.test('--help prints usage and exits 0', async (t) => {
  const host = spawnHost(t, ['--help']);
  t.same(await host.exited, { code: 0, signal: null });
  t.match(host.stdout(), /till-agent host --config FILE/);
});

t.test('an invalid config prints every error and exits 2 before touching anything', async (t) => {
  const dir = await tempDir(t, 'till-host-cli-');
  const file = join(dir, 'host.yaml');
  await writeFile(file, 'data_dir: data\nuplink: { url: embedded }\ntimezone: Nowhere/Land\n');
  const host = spawnHost(t, ['--config', file], { TILL_HOST_BROKER_URL: '', TILL_HOST_DATA_DIR: '' });
  t.same(await host.exited, { code: 2, signal: null });
  t.match(host.stderr(), /uplink\.url: must be mqtt:\/\//);
  t.match(host.stderr(), /timezone: must be an IANA time zone/);
  t.notOk(existsSync(join(dir, 'data')), 'data dir not created');
});

t.test('an invalid seed is reported and exits 2', async (t) => {
  const dir = await tempDir(t, 'till-host-cli-');
  const file = join(dir, 'host.yaml');
  await writeFile(join(dir, 'seed.yaml'), 'offers:\n  - { id: X, name: X }\n');
  // No broker is needed: the seed is applied before connecting.
  await writeFile(file, 'data_dir: data\nseed: seed.yaml\nuplink: { url: "mqtt://127.0.0.1:9" }\n');
  const host = spawnHost(t, ['--config', file]);
  t.same(await host.exited, { code: 2, signal: null });
  t.match(host.stderr(), /offers\[0\]\.percent: give exactly one of percent, amount, points or points_per_unit/);
});
