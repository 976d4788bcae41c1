// A technician's setup mistakes at `till-agent run` (and `till-agent host`): a missing TLS file, a
// data_dir or socket directory the service cannot use, an address taken or not this machine's.
// Each is one log line that names the config key, the path or address and what to do, with no
// stack trace and no second line about the same failure; exit 4 (the units do not restart it: a
// restart cannot mend it), 3 for an address in use, 1 for an address not (yet) this machine's.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { cli, cliAsNobody } from '../helpers/cli.ts';
import { BIN } from '../helpers/processes.ts';
import { tempDir } from '../helpers/tmp.ts';

interface Line { level: number | string; msg: string; config_key?: string; target?: string; err?: unknown }

const lines = (out: string): Line[] => out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
const severe = (l: Line) => l.level === 'fatal' || l.level === 'error' || (typeof l.level === 'number' && l.level >= 50);

/** Runs `till-agent run` on `yaml` (merged into a valid config) and returns its code and its error/fatal lines. */
async function run(t: Test, yaml: (dir: string) => string, command = 'run'): Promise<{ code: number; out: string; severe: Line[] }> {
  const dir = await tempDir(t, 'till-setup-');
  const file = join(dir, 'config.yaml');
  await writeFile(file, yaml(dir));
  const r = await cli(command, '--config', file);
  return { ...r, severe: lines(r.out).filter(severe) };
}

const agent = (extra: { uplink?: string; socket?: string; data_dir?: string; more?: string }) => (dir: string) => `terminal: T1
store: S1
merchant: M1
data_dir: ${extra.data_dir ?? join(dir, 'data')}
log_level: debug
socket:
${extra.socket ?? '  tcp: "127.0.0.1:0"\n  unix: false'}
uplink:
${extra.uplink ?? '  url: mqtt://127.0.0.1:9'}
${extra.more ?? ''}`;

/** One fatal line, no stack anywhere in the output, naming the key, the target and the words of the fix. */
function oneNamedLine(t: Test, r: { code: number; out: string; severe: Line[] }, code: number, key: string, target: RegExp, fix: RegExp) {
  t.equal(r.code, code, r.out);
  t.equal(r.severe.length, 1, `one line at error or above:\n${r.out}`);
  t.match(r.severe[0], { level: /fatal|60/, config_key: key, target });
  t.match(r.severe[0]!.msg, new RegExp(`could not start: ${key.replace('.', '\\.')} `));
  t.match(r.severe[0]!.msg, fix);
  t.notMatch(r.out, /"stack"|\n\s+at /, 'no stack trace');
}

t.test('uplink.ca missing: the key, the file and what to do', async (t) => {
  const r = await run(t, agent({ uplink: `  url: mqtts://127.0.0.1:9\n  ca: missing-ca.pem` }));
  oneNamedLine(t, r, 4, 'uplink.ca', /missing-ca\.pem$/, /ENOENT.*put the PEM file there or correct uplink\.ca.*chgrp till-agent/);
});

t.test('uplink.cert is a directory: named as uplink.cert', async (t) => {
  const r = await run(t, (dir) => agent({ uplink: `  url: mqtts://127.0.0.1:9\n  cert: ${dir}\n  key: ${dir}/k.pem` })(dir));
  oneNamedLine(t, r, 4, 'uplink.cert', /till-setup-/, /EISDIR/);
});

t.test('data_dir below a file: named as data_dir, with what to do', async (t) => {
  const r = await run(t, (dir) => agent({ data_dir: join(dir, 'config.yaml', 'data') })(dir));
  oneNamedLine(t, r, 4, 'data_dir', /config\.yaml\/data$/, /ENOTDIR.*\/var\/lib\/till-agent.*StateDirectory=/);
});

t.test('socket.unix in a directory that does not exist: named, with the runtime directory to use', async (t) => {
  const r = await run(t, (dir) => agent({ socket: `  tcp: false\n  unix: ${join(dir, 'no-such-dir', 'till.sock')}` })(dir));
  oneNamedLine(t, r, 4, 'socket.unix', /no-such-dir\/till\.sock$/, /\/run\/till-agent.*RuntimeDirectory=/);
});

t.test('socket.tcp on an address of another machine: named (EADDRNOTAVAIL), exit 1', async (t) => {
  const r = await run(t, agent({ socket: '  tcp: "192.0.2.1:7411"\n  unix: false\n  token: "0123456789"' }));
  oneNamedLine(t, r, 1, 'socket.tcp', /^192\.0\.2\.1:7411$/, /EADDRNOTAVAIL.*ip -br addr/);
});

t.test('socket.tcp and metrics.listen in use: one line each naming the key, exit 3 (no second "socket listener error")', async (t) => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => taken.close(resolve)));
  const port = (taken.address() as net.AddressInfo).port;
  const tcp = await run(t, agent({ socket: `  tcp: "127.0.0.1:${port}"\n  unix: false` }));
  oneNamedLine(t, tcp, 3, 'socket.tcp', new RegExp(`^127\\.0\\.0\\.1:${port}$`), /EADDRINUSE.*another program listens there/);
  const metrics = await run(t, agent({ more: `metrics:\n  listen: "127.0.0.1:${port}"\n` }));
  oneNamedLine(t, metrics, 3, 'metrics.listen', new RegExp(`:${port}$`), /EADDRINUSE/);
});

t.test('the host: a missing uplink.cert and an unusable data_dir are named the same way', async (t) => {
  const host = (extra: string) => (dir: string) => `data_dir: ${join(dir, 'host')}\nuplink:\n  url: mqtts://127.0.0.1:9\n${extra}`;
  const tls = await run(t, host('  cert: nope.pem\n  key: nope.key\n'), 'host');
  t.equal(tls.code, 4, tls.out);
  t.equal(tls.severe.length, 1, tls.out);
  t.match(tls.severe[0], { config_key: 'uplink.cert', msg: /host failed to start: uplink\.cert .*nope\.pem: ENOENT.*chgrp till-agent-host/ });
  t.notMatch(tls.out, /"stack"/);
  const dir = await tempDir(t, 'till-setup-');
  const file = join(dir, 'host.yaml');
  await writeFile(file, `data_dir: ${join(dir, 'host.yaml', 'data')}\nuplink:\n  url: mqtt://127.0.0.1:9\n`);
  const doctor = await cli('host', '--config', file, '--doctor');
  t.equal(doctor.code, 1, doctor.out);
  t.match(doctor.out, /✖ store +data_dir .*host\.yaml\/data: ENOTDIR.*\/var\/lib\/till-agent-host/, 'host --doctor: a ✖ line, not a crash');
  t.notMatch(doctor.out, /\n\s+at /, 'no stack trace');
});

// Run as nobody: root may open anything. A database left by `sudo till-agent run` keeps the service out.
t.test('a database file of another user: named with chown, by run and doctor (not "damaged")',
  { skip: process.getuid?.() === 0 ? false : 'needs root, to run the agent as another user (CI runs as root)' }, async (t) => {
  const dir = await tempDir(t, 'till-setup-');
  await chmod(dir, 0o755);
  const data = join(dir, 'data');
  const file = join(dir, 'config.yaml');
  await writeFile(file, agent({ data_dir: data })(dir));
  await chmod(file, 0o644);
  await mkdir(data);
  await writeFile(join(data, 'till-agent.db'), 'not ours', { mode: 0o600 }); // root's, 0600: contents never read
  await chown(data, 65534, 65534);
  const asNobody = (...args: string[]) => cliAsNobody(dir, ...args);
  const r = await asNobody('run', '--config', file);
  oneNamedLine(t, { ...r, severe: lines(r.out).filter(severe) }, 4, 'data_dir', /data\/till-agent\.db$/,
    /EACCES.*chown till-agent:till-agent .*till-agent\.db\*/);
  const doctor = await asNobody('doctor', '--config', file, '--timeout-ms', '500');
  t.match(doctor.out, /✖ database +.*till-agent\.db is not readable and writable by this user \(owner uid 0, mode 0600\)\n +hint: .*chown till-agent:till-agent/);
  t.notMatch(doctor.out, /outbox export|move the file away/, 'not the advice for a damaged file');
});

t.test('a config file the service user cannot read: the chgrp/chmod that lets it, for the agent and the host',
  { skip: process.getuid?.() === 0 ? false : 'needs root, to read as another user (CI runs as root)' }, async (t) => {
  const dir = await tempDir(t, 'till-setup-');
  await chmod(dir, 0o755);
  const file = join(dir, 'config.yaml');
  await writeFile(file, agent({})(dir), { mode: 0o600 }); // root's, 0600: as written by `sudo tee`
  const asNobody = (...args: string[]) => cliAsNobody(dir, ...args);
  const check = await asNobody('config', 'check', '--config', file);
  t.equal(check.code, 2, check.out);
  t.match(check.out, new RegExp(`cannot read file: EACCES \\(permission denied\\): the service's user till-agent reads it through its group: chgrp till-agent ${file}; chmod 0640 ${file}`));
  const host = await asNobody('host', '--config', file);
  t.match(host.out, /cannot read file: EACCES \(permission denied\): the service's user till-agent-host reads it .*chgrp till-agent-host/);
});

t.test('the host: metrics_listen in use is one line naming the key, no stack', async (t) => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => { taken.close(); });
  const port = (taken.address() as net.AddressInfo).port;
  const r = await run(t, (dir) => `data_dir: ${join(dir, 'host')}\nuplink:\n  url: mqtt://127.0.0.1:9\nmetrics_listen: 127.0.0.1:${port}\n`, 'host');
  t.equal(r.code, 3, `in use: 3, as the agent (restarted: the other program may be gone then)\n${r.out}`);
  t.equal(r.severe.length, 1, r.out);
  t.match(r.severe[0], { config_key: 'metrics_listen', msg: new RegExp(`host failed to start: metrics_listen 127\\.0\\.0\\.1:${port}: EADDRINUSE.*another program listens there`) });
  t.notMatch(r.out, /"stack"/);
});

t.test('log_level: silent still says why the start failed (agent and host), not an empty journal', async (t) => {
  const r = await run(t, (dir) => agent({ uplink: '  url: mqtts://127.0.0.1:9\n  ca: missing-ca.pem' })(dir).replace('log_level: debug', 'log_level: silent'));
  oneNamedLine(t, r, 4, 'uplink.ca', /missing-ca\.pem$/, /ENOENT/);
  const host = await run(t, (dir) => `data_dir: ${join(dir, 'host')}\nlog_level: silent\nuplink:\n  url: mqtts://127.0.0.1:9\n  ca: nope.pem\n`, 'host');
  t.equal(host.code, 4, host.out);
  t.match(host.severe, [{ config_key: 'uplink.ca', msg: /host failed to start: uplink\.ca / }]);
});

t.test('data_dir from TILL_AGENT_DATA_DIR (a drop-in): the line names the variable, not only the key', async (t) => {
  const dir = await tempDir(t, 'till-setup-');
  const file = join(dir, 'config.yaml');
  await writeFile(file, agent({})(dir));
  let out = '';
  try {
    await promisify(execFile)(process.execPath, [BIN, 'run', '--config', file], { env: { ...process.env, TILL_AGENT_DATA_DIR: join(file, 'data') } });
  } catch (error) {
    out = (error as { stdout: string }).stdout;
  }
  const fatal = lines(out).filter(severe);
  t.equal(fatal.length, 1, out);
  t.match(fatal[0]!.msg, /could not start: data_dir .*config\.yaml\/data: ENOTDIR.*\(the value comes from the environment: TILL_AGENT_DATA_DIR\)$/);
});
