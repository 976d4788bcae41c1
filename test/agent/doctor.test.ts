// `till-agent doctor` as a technician runs it: a real process, a real broker, real files.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { startBroker } from '../helpers/broker.ts';
import { freePort } from '../helpers/ports.ts';
import { BIN } from '../helpers/processes.ts';
import { tempDir } from '../helpers/tmp.ts';

const run = promisify(execFile);

async function doctor(config: string, ...extra: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [BIN, 'doctor', '--config', config, '--timeout-ms', '2000', ...extra]);
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

async function writeConfig(dir: string, over: Record<string, unknown> = {}): Promise<string> {
  const file = join(dir, 'config.yaml');
  await writeFile(file, stringify({ terminal: 'T1', store: 'S1', merchant: 'M1', data_dir: join(dir, 'data'), ...over }));
  return file;
}

t.test('a good config: every check passes, exit 0', async (t) => {
  const broker = await startBroker(t);
  const dir = await tempDir(t);
  const { code, out } = await doctor(await writeConfig(dir, { uplink: { url: broker.url } }));
  t.equal(code, 0, out);
  t.match(out, /✔ config/);
  t.match(out, /✔ data dir/);
  t.match(out, /✔ database/);
  t.match(out, /✔ broker/);
  t.match(out, /✔ clock/);
  t.notMatch(out, /✖/);
});

t.test('bad YAML: ✖ config with the key named, exit 1', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'config.yaml');
  await writeFile(file, 'terminal: T1\nuplink: [unclosed\n');
  const { code, out } = await doctor(file);
  t.equal(code, 1);
  t.match(out, /✖ config/);
  t.match(out, /hint:/);
});

t.test('missing broker: ✖ broker with a hint', async (t) => {
  const dir = await tempDir(t);
  const port = await freePort();
  const { code, out } = await doctor(await writeConfig(dir, { uplink: { url: `mqtt://127.0.0.1:${port}` } }));
  t.equal(code, 1);
  t.match(out, /✖ broker/);
  t.match(out, /hint: check uplink\.url/);
});

t.test('corrupt SQLite: ✖ database', async (t) => {
  const broker = await startBroker(t);
  const dir = await tempDir(t);
  await mkdir(join(dir, 'data'), { recursive: true });
  await writeFile(join(dir, 'data', 'till-agent.db'), Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096, 0xab)]));
  const { code, out } = await doctor(await writeConfig(dir, { uplink: { url: broker.url } }));
  t.equal(code, 1);
  t.match(out, /✖ database/);
  t.match(out, /hint: stop the agent, keep a copy/);
});

t.test('full disk (a 256 KiB tmpfs): ✖ data dir', async (t) => {
  // Needs root to mount; CI runs as root (see .ci/run).
  const broker = await startBroker(t);
  const dir = await tempDir(t);
  const small = join(dir, 'small');
  await mkdir(small);
  await run('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]);
  t.teardown(() => run('umount', [small]).catch(() => undefined));
  const { code, out } = await doctor(await writeConfig(dir, { data_dir: small, uplink: { url: broker.url } }));
  t.equal(code, 1);
  t.match(out, /✖ data dir\s+.*only 0 MB free \(need 100 MB\)/);
  t.match(out, /STORAGE_FULL/);
});
