// Issue 7 item 4 as a technician meets it: `run` with a bad config exits 2 before creating
// anything, `doctor` never creates the data dir, and a remote listener without a token is
// only started when explicitly allowed, with a loud warning. Real processes.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../helpers/ports.ts';
import { BIN, startProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/tmp.ts';

function till(args: string[], timeout = 20_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out: stdout + stderr });
    });
  });
}

async function config(dir: string, over: Record<string, unknown>): Promise<string> {
  const file = join(dir, 'config.yaml');
  await writeFile(file, stringify({
    terminal: 'T1', store: 'S1', merchant: 'M1', data_dir: join(dir, 'data'),
    uplink: { url: `mqtt://127.0.0.1:${await freePort()}` },
    ...over,
  }));
  return file;
}

t.test('run: a misspelt key exits 2, names the key, and creates nothing', async (t) => {
  const dir = await tempDir(t);
  const port = await freePort();
  const file = await config(dir, { socket: { tcp: `127.0.0.1:${port}`, unix: join(dir, 'till.sock'), tokn: 'secret-secret' } });
  const { code, out } = await till(['run', '--config', file]);
  t.equal(code, 2, out);
  t.match(out, /socket: unknown key\(s\): tokn/);
  t.notOk(existsSync(join(dir, 'data')), 'no data dir');
  t.notOk(existsSync(join(dir, 'till.sock')), 'no socket file');
});

t.test('run: a remote listener without a token exits 2 before creating anything', async (t) => {
  const dir = await tempDir(t);
  const file = await config(dir, { socket: { tcp: `0.0.0.0:${await freePort()}`, unix: false } });
  const { code, out } = await till(['run', '--config', file]);
  t.equal(code, 2, out);
  t.match(out, /socket\.tcp: 0\.0\.0\.0:\d+ is reachable beyond this machine/);
  t.notOk(existsSync(join(dir, 'data')));
});

t.test('run: explicitly allowed, it starts and warns loudly', async (t) => {
  const dir = await tempDir(t);
  const file = await config(dir, {
    socket: { tcp: `0.0.0.0:${await freePort()}`, unix: false, allow_remote_without_token: true },
    uplink: { url: 'embedded', embedded_port: 0 },
  });
  const agent = startProcess(t, ['run', '--config', file]);
  const warning = await agent.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('INSECURE'), 'insecure warning');
  t.equal(warning.level, 'warn');
  t.match(warning.msg, /WITHOUT a token/);
  await agent.waitForLog((l) => l.msg === 'till-agent ready', 'agent ready');
});

t.test('doctor never creates the data dir', async (t) => {
  const dir = await tempDir(t);
  const file = await config(dir, {});
  const { out } = await till(['doctor', '--config', file, '--timeout-ms', '500']);
  t.match(out, /✔ data dir\s+.*data does not exist yet and .* writable/);
  t.notOk(existsSync(join(dir, 'data')), 'doctor left no data dir behind');
});
