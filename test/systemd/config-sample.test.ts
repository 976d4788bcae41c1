// systemd/config.sample.yaml, the config install.sh lays down on a new till: valid for the agent's
// own loader once its placeholders are set, every key of the schema written out, paths that match
// the unit's directories, and placeholders that keep the service from starting until they are replaced.
import t, { type Test } from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../agent/config.ts';
import { ConfigError } from '../../runtime/config-file.ts';
import { cli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { SYSTEMD_DIR, parseUnit, unitValues } from '../helpers/systemd-tools.ts';

const SAMPLE = join(SYSTEMD_DIR, 'config.sample.yaml');

/** Dotted key paths of a zod object schema, looking through default/prefault/optional/pipe. */
function schemaKeys(schema: unknown, prefix = ''): string[] {
  const def = (schema as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  if (!def) return [];
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      return Object.entries(shape).flatMap(([key, value]) => {
        const path = prefix ? `${prefix}.${key}` : key;
        return [path, ...schemaKeys(value, path)];
      });
    }
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
      return schemaKeys(def.innerType, prefix);
    case 'pipe':
      return schemaKeys(def.in, prefix);
    default:
      return [];
  }
}

function yamlKeys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...yamlKeys(v, path)];
  });
}

/** The sample with the technician's four values filled in (what `sudoedit` leaves). */
async function filledIn(t: Test): Promise<string> {
  const dir = await tempDir(t, 'till-sample-');
  const file = join(dir, 'config.yaml');
  const text = (await readFile(SAMPLE, 'utf8')).replace(/^(terminal|store|merchant): CHANGE-ME$/gm, '$1: X1')
    .replace('mqtts://CHANGE-ME.example:8883', 'mqtts://broker.example.com:8883');
  await writeFile(file, text);
  return file;
}

t.test('the agent loads the sample once the CHANGE-ME values are set, and nothing else changed', async (t) => {
  const config = loadConfig(await filledIn(t), {});
  t.equal(config.data_dir, '/var/lib/till-agent');
  t.equal(config.socket.tcp, '127.0.0.1:7411', 'POS socket on loopback');
  t.same(config.devices, []);
});

t.test('every key of agent/config.ts is written out (and nothing else)', async (t) => {
  const expected = schemaKeys(configSchema).sort();
  const written = yamlKeys(parse(await readFile(SAMPLE, 'utf8'))).sort();
  t.ok(expected.length > 20, `${expected.length} keys in the schema`);
  t.same(written, expected);
});

t.test('every key has a comment above it (keys of one group may share it)', async (t) => {
  const lines = (await readFile(SAMPLE, 'utf8')).split('\n');
  const isKey = (line: string | undefined) => /^\s*[a-z_]+:/.test(line ?? '');
  const indent = (line: string) => line.length - line.trimStart().length;
  const commented: boolean[] = [];
  const bare: string[] = [];
  lines.forEach((line, i) => {
    if (!isKey(line)) return;
    const above = lines[i - 1] ?? '';
    commented[i] = above.trim().startsWith('#') || (isKey(above) && indent(above) === indent(line) && commented[i - 1] === true);
    if (!commented[i]) bare.push(`line ${i + 1}: ${line.trim()}`);
  });
  t.same(bare, []);
});

t.test('paths match the directories the unit gives the service', async (t) => {
  const unit = parseUnit(await readFile(join(SYSTEMD_DIR, 'till-agent.service'), 'utf8'));
  const config = loadConfig(await filledIn(t), {});
  t.equal(config.data_dir, `/var/lib/${unitValues(unit, 'Service', 'StateDirectory')?.[0]}`, 'data_dir is the StateDirectory');
  t.equal(config.socket.unix, `/run/${unitValues(unit, 'Service', 'RuntimeDirectory')?.[0]}/till-agent.sock`,
    'the socket is in the RuntimeDirectory');
  t.match(unitValues(unit, 'Service', 'ExecStart')?.[0], /--config \/etc\/till-agent\/config\.yaml$/);
});

t.test('placeholders: identity and broker say CHANGE-ME, and the agent refuses to run with them (each key named)', async (t) => {
  // The service is enabled at install: after a reboot, an agent that accepted them would serve the
  // POS as till CHANGE-ME/CHANGE-ME/CHANGE-ME. Refused, it exits 2 and systemd does not restart it.
  const error = t.throws(() => loadConfig(SAMPLE, {})) as ConfigError;
  t.type(error, ConfigError);
  t.same(error.errors.map((e) => e.split(':')[0]), ['terminal', 'store', 'merchant', 'uplink.url']);
  t.ok(error.errors.every((e) => /is still the sample's placeholder CHANGE-ME: set /.test(e)), error.message);
  const run = await cli('run', '--config', SAMPLE);
  t.equal(run.code, 2, 'run: exit 2, which the unit does not restart');
  t.match(run.out, /terminal: is still the sample's placeholder CHANGE-ME/);
  const doctor = await cli('doctor', '--config', SAMPLE, '--timeout-ms', '200');
  t.match(doctor.out, /✖ config .*terminal: is still the sample's placeholder CHANGE-ME/);
});
