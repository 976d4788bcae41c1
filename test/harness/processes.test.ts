// The tests' process helper: waiting for a log line of a process that has exited without it ends
// at once with its output (not after the deadline: a startup failure such as EADDRINUSE reads
// plainly, and the file does not lose 15 s per wait).
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.ts';
import { startProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('waitForLog on a process that exited without the line fails with "exited", before its deadline', async (t) => {
  const proc = startProcess(t, ['run', '--config', '/nonexistent/till-agent.yaml']);
  const error = await proc.waitForLog((l) => l.msg === 'till-agent ready', 'agent ready', 120_000).then(() => undefined, (e: Error) => e);
  t.ok(error, 'the wait failed');
  t.match(error?.message, /agent ready: the process exited \(\d+\) without it/);
  t.match(error?.message, /nonexistent/, 'with the process\'s output, which says why');
});

t.test('a line written just before the exit is still found', async (t) => {
  // An agent whose POS port is taken logs its fatal line and exits at once.
  const dir = await tempDir(t, 'till-harness-');
  const port = await freePort();
  const holder = net.createServer().listen(port, '127.0.0.1');
  await once(holder, 'listening');
  t.teardown(() => holder.close());
  const config = join(dir, 'agent.yaml');
  await writeFile(config, [
    'terminal: T1', 'store: S1', 'merchant: M1', `data_dir: ${join(dir, 'data')}`,
    `socket: { tcp: "127.0.0.1:${port}", unix: "${join(dir, 'agent.sock')}" }`,
    'uplink: { url: "mqtt://127.0.0.1:1" }', '',
  ].join('\n'));
  const proc = startProcess(t, ['run', '--config', config]);
  const line = await proc.waitForLog((l) => l.level === 'fatal', 'the fatal line');
  t.match(line.msg, /EADDRINUSE/);
  t.not((await proc.exited).code, 0, 'and it exited');
});
