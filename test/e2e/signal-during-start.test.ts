// A stop signal that arrives while a command is still starting stops it cleanly once it has
// started, instead of ending it the default way (as a signal with no listener does). A clean-clone
// CI run saw the demo die that way: the test sent SIGINT just after the banner, which the demo
// printed a moment before it began to listen (npm then re-raised SIGINT on itself: "npm start,
// SIGINT" in demo-signals). Here the signal is sent at a point well inside the start-up instead,
// so without the early listener both cases fail every time.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO } from '../helpers/demo.ts';
import { freePort } from '../helpers/ports.ts';
import { BIN, startProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('till-agent run: SIGTERM while the daemon starts stops it cleanly', async (t) => {
  const dir = await tempDir(t, 'till-sigstart-');
  const data = join(dir, 'data');
  await mkdir(data);
  const config = join(dir, 'config.yaml');
  await writeFile(config, stringify({
    terminal: 'T1', store: 'S1', merchant: 'M1', data_dir: data,
    socket: { tcp: `127.0.0.1:${await freePort()}`, unix: false },
    uplink: { url: `mqtt://127.0.0.1:${await freePort()}` },
  }));
  const agent = startProcess(t, ['run', '--config', config]);
  // The database is created early in the daemon's start, long before it is ready.
  await waitFor(() => existsSync(join(data, 'till-agent.db')), { timeout: 30_000, interval: 2, what: 'the database to be created' });
  agent.child.kill('SIGTERM');
  const exit = await agent.exited;
  t.same(exit, { code: 0, signal: null }, 'exit status 0, not ended by the signal', { output: agent.output().slice(-3000) });
  t.ok(agent.lines().some((l) => l.msg === 'stopping'), 'it logged that it was stopping');
});

t.test('till-agent demo: SIGINT while the demo starts stops it cleanly, without a banner', async (t) => {
  const dir = await tempDir(t, 'till-sigstart-');
  const data = join(dir, 'data');
  const args = ['demo', '--data', data, '--port', String(await freePort()), '--status-port', String(await freePort()), '--broker-port', String(await freePort())];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  // Its config file is written after the broker and the host are up, before the agent starts.
  await waitFor(() => existsSync(join(data, 'config.yaml')), { timeout: 60_000, interval: 2, what: 'the demo config to be written' });
  child.kill('SIGINT');
  const exit = await exited;
  t.same(exit, { code: 0, signal: null }, 'exit status 0, not ended by the signal', { output: out.slice(-3000) });
  t.notOk(existsSync(join(data, 'demo.pid')), 'no pid file left');
  t.notMatch(out, /demo is running/, 'no banner for a demo that is stopping');
});
