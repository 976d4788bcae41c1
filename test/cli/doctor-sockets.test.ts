// Doctor's "sockets" line: a port another program holds, an address of another machine, a socket
// directory that is missing — each would stop `till-agent run` (exit 3 or 1); doctor says so first,
// naming the key, and says nothing is wrong while this till's own agent holds them.
import net from 'node:net';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { cli } from '../helpers/cli.ts';
import { startProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/tmp.ts';

async function config(dir: string, socket: string, extra = ''): Promise<string> {
  const file = join(dir, 'config.yaml');
  await writeFile(file, `terminal: T1\nstore: S1\nmerchant: M1\ndata_dir: data\nsocket:\n${socket}\nuplink:\n  url: mqtt://127.0.0.1:9\n${extra}`);
  return file;
}

const doctor = (file: string) => cli('doctor', '--config', file, '--timeout-ms', '500');

t.test('a port in use, an address not of this machine, a missing socket directory: ✖ sockets naming each key', async (t) => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  taken.on('connection', (s) => s.destroy()); // doctor asks whether an agent answers there: nobody does
  t.teardown(() => { taken.close(); });
  const port = (taken.address() as net.AddressInfo).port;
  const dir = await tempDir(t, 'till-doc-sock-');
  const inUse = await doctor(await config(dir, `  tcp: "127.0.0.1:${port}"\n  unix: ${join(dir, 'gone', 'till.sock')}`));
  t.equal(inUse.code, 1, inUse.out);
  t.match(inUse.out, new RegExp(`✖ sockets +socket\\.tcp 127\\.0\\.0\\.1:${port}: EADDRINUSE \\(address already in use\\); socket\\.unix .*gone/till\\.sock: ENOENT`));
  t.match(inUse.out, /hint: another program listens there.*; its directory must exist and be writable .*\/run\/till-agent/);
  const elsewhere = await doctor(await config(dir, '  tcp: "192.0.2.1:7411"\n  unix: false\n  token: "0123456789"'));
  t.match(elsewhere.out, /✖ sockets +socket\.tcp 192\.0\.2\.1:7411: EADDRNOTAVAIL/);
  const metrics = await doctor(await config(dir, '  tcp: "127.0.0.1:0"\n  unix: false', `metrics:\n  listen: "127.0.0.1:${port}"\n`));
  t.match(metrics.out, new RegExp(`✖ sockets +metrics\\.listen 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
  const page = await doctor(await config(dir, '  tcp: "127.0.0.1:0"\n  unix: false', `status_page:\n  listen: "127.0.0.1:${port}"\n`));
  t.match(page.out, new RegExp(`✖ sockets +status_page\\.listen 127\\.0\\.0\\.1:${port}: EADDRINUSE`), 'the agent would run without its page');
});

t.test('free addresses: ✔; this till\'s running agent holds them: ✔, nothing tried', async (t) => {
  const dir = await tempDir(t, 'till-doc-sock-');
  const free = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
  const file = await config(dir, `  tcp: "127.0.0.1:${free}"\n  unix: ${join(dir, 'till.sock')}`);
  t.match((await doctor(file)).out, /✔ sockets +socket\.tcp 127\.0\.0\.1:\d+, socket\.unix .*till\.sock: free, and this user may create the socket/);
  const agent = startProcess(t, ['run', '--config', file]);
  await agent.waitForLog((l) => l.msg === 'till-agent ready', 'the agent ready');
  t.match((await doctor(file)).out, /✔ sockets +socket\.tcp .*: held by the running agent/);
  await agent.kill('SIGTERM');
});

t.test('/run/till-agent missing is fine: the unit makes it at start (systemd removes it at every stop)',
  { skip: existsSync('/run/till-agent') ? '/run/till-agent exists on this machine' : false }, async (t) => {
  const dir = await tempDir(t, 'till-doc-sock-');
  const r = await doctor(await config(dir, '  tcp: "127.0.0.1:0"\n  unix: /run/till-agent/till-agent.sock'));
  t.match(r.out, /✔ sockets +socket\.tcp 127\.0\.0\.1:0, socket\.unix \/run\/till-agent\/till-agent\.sock: free/);
});
