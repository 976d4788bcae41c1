// `till-agent doctor` as a technician runs it: a real process, a real broker, real files, real
// ptys and TCP printers; USB through the fake usb module (no USB hardware here).
import t from 'tap';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { checkDevice } from '../../cli/doctor/devices.ts';
import { deviceConfigSchema } from '../../drivers/config.ts';
import { interpret } from '../../drivers/escpos-interpreter.ts';
import { PrinterPeer } from '../helpers/printer-peer.ts';
import { startBroker } from '../helpers/broker.ts';
import { printerServer } from '../helpers/printer-server.ts';
import { freePort } from '../helpers/ports.ts';
import { BIN } from '../helpers/processes.ts';
import { startPty } from '../helpers/pty.ts';
import { startSystem } from '../helpers/system.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { mountTmpfs } from '../helpers/tmpfs.ts';
import { FakeUsb, FakeUsbDevice } from '../helpers/usb-fake.ts';

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
  // Sockets of their own (doctor checks that they are free): not the defaults, /run/till-agent and 7411 of a till.
  await writeFile(file, stringify({ terminal: 'T1', store: 'S1', merchant: 'M1', data_dir: join(dir, 'data'), socket: { tcp: '127.0.0.1:0', unix: false }, ...over }));
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

t.test('another till\'s agent answering on the configured socket is not taken for this one', async (t) => {
  // A demo, or another till's agent, on the port this config names: its uplink says
  // nothing about this config's broker, which doctor must try itself.
  const sys = await startSystem(t, { startHost: false });
  await sys.waitOnline();
  t.match((await doctor(sys.agentConfig)).out, /✔ broker .*: the running agent is connected/);
  const dir = await tempDir(t);
  const closed = await freePort();
  const { code, out } = await doctor(await writeConfig(dir, {
    terminal: 'T2', socket: { tcp: `127.0.0.1:${sys.agentPort}`, unix: false }, uplink: { url: `mqtt://127.0.0.1:${closed}` },
  }));
  t.equal(code, 1, out);
  t.match(out, new RegExp(`✖ broker +mqtt://127\\.0\\.0\\.1:${closed}`));
  t.notMatch(out, /running agent/);
});

t.test('the config edited to other broker settings while the agent runs: a restart is needed, the file\'s broker is checked', async (t) => {
  const sys = await startSystem(t, { startHost: false });
  await sys.waitOnline();
  const original = await readFile(sys.agentConfig, 'utf8');
  const edit = async (uplink: Record<string, unknown>) => {
    const config = parse(original) as { uplink: Record<string, unknown> };
    await writeFile(sys.agentConfig, stringify({ ...config, uplink: { ...config.uplink, ...uplink } }));
  };
  // Another broker, which cannot be reached: not "the running agent is connected" (to the old one).
  const closed = await freePort();
  await edit({ url: `mqtt://127.0.0.1:${closed}` });
  let { code, out } = await doctor(sys.agentConfig);
  t.equal(code, 1, out);
  t.match(out, new RegExp(`✖ broker +mqtt://127\\.0\\.0\\.1:${closed}: .*the running agent uses other broker settings than the file `
    + `\\(it is connected to mqtt://127\\.0\\.0\\.1:${sys.broker.port}\\): a restart is needed`));
  t.match(out, /hint: check uplink\.url.*; then restart the agent/);
  // The same broker with a CA file the running agent did not read (mqtt:// connects without it).
  const ca = join(sys.dir, 'new-ca.pem');
  await writeFile(ca, 'not the CA the agent read\n');
  await edit({ ca });
  ({ code, out } = await doctor(sys.agentConfig));
  t.equal(code, 1, out);
  t.match(out, new RegExp(`✖ broker +mqtt://127\\.0\\.0\\.1:${sys.broker.port} accepted the connection; the running agent uses other broker settings `
    + 'than the file \\(it read another uplink\\.ca\\): a restart is needed'));
  t.match(out, /hint: restart the agent to use the file's broker settings/);
  // Another user name, then another client id (the broker takes any: each is checked and accepted).
  await edit({ username: 'another-user' });
  ({ code, out } = await doctor(sys.agentConfig));
  t.equal(code, 1, out);
  t.match(out, new RegExp(`✖ broker +mqtt://127\\.0\\.0\\.1:${sys.broker.port} accepted the connection; the running agent uses other broker settings `
    + 'than the file \\(it connects with another uplink\\.username\\): a restart is needed'));
  await edit({ client_id: 'lane-4' });
  ({ code, out } = await doctor(sys.agentConfig));
  t.equal(code, 1, out);
  t.match(out, /the running agent uses other broker settings than the file \(it connects as client id till-M1-S1-T1\): a restart is needed/);
  // The file as the agent read it: its link is what counts again.
  await writeFile(sys.agentConfig, original);
  t.match((await doctor(sys.agentConfig)).out, /✔ broker .*: the running agent is connected/);
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
  const small = await mountTmpfs(t, join(dir, 'small'), '256k');
  const { code, out } = await doctor(await writeConfig(dir, { data_dir: small, uplink: { url: broker.url } }));
  t.equal(code, 1);
  t.match(out, /✖ data dir\s+.*only 0 MB free \(need 100 MB\)/);
  t.match(out, /STORAGE_FULL/);
});

// Devices: the doctor runs with no agent (socket.tcp off, a Unix socket path nobody listens on),
// so every device is checked directly. uplink "embedded" passes the broker check without one.
async function deviceConfig(dir: string, devices: unknown[]): Promise<string> {
  return writeConfig(dir, { uplink: { url: 'embedded' }, socket: { tcp: false, unix: join(dir, 'no-agent.sock') }, devices });
}

t.test('devices present and answering: a pty, a TCP printer with paper, a virtual scanner; exit 0', async (t) => {
  const dir = await tempDir(t);
  const pty = await startPty(t);
  const printer = await printerServer(t, await freePort());
  const { code, out } = await doctor(await deviceConfig(dir, [
    { name: 'scanner0', kind: 'barcode-scanner', transport: 'serial', path: pty.device },
    { name: 'printer0', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: printer.port },
    { name: 'demo0', kind: 'barcode-scanner', transport: 'virtual' },
  ]));
  t.equal(code, 0, out);
  t.match(out, /✔ device scanner0\s+.*serial port present/);
  t.match(out, /✔ device printer0\s+127\.0\.0\.1:\d+: printer ready/);
  t.match(out, /✔ device demo0/);
  t.same(printer.peers.map((p) => interpret(p.bytes()).statusRequests), [[1, 2, 4]], 'one connection, DLE EOT 1, 2 and 4');
});

t.test('missing serial port: ✖ with a hint about the cable and by-id paths, exit 1', async (t) => {
  const dir = await tempDir(t);
  const { code, out } = await doctor(await deviceConfig(dir, [
    { name: 'scanner0', kind: 'barcode-scanner', transport: 'serial', path: '/dev/serial/by-id/usb-no-such-scanner-if00' },
  ]));
  t.equal(code, 1, out);
  t.match(out, /✖ device scanner0\s+\/dev\/serial\/by-id\/usb-no-such-scanner-if00: missing serial port \(ENOENT\)/);
  t.match(out, /hint: plug the device in and check its cable; .*by-id/);
});

// Run as nobody: root may open anything, so the check means something only for the service's user.
t.test('a serial port this user may not open: ✖ naming group dialout (doctor as the till-agent user, not root)',
  { skip: process.getuid?.() === 0 ? false : 'needs root, to run doctor as another user (CI runs as root)' }, async (t) => {
  const dir = await tempDir(t);
  await chmod(dir, 0o755);
  const pty = await startPty(t);
  await chmod(pty.dir, 0o755);
  const node = await realpath(pty.device);
  const config = await deviceConfig(dir, [{ name: 'scanner0', kind: 'barcode-scanner', transport: 'serial', path: pty.device }]);
  await chmod(config, 0o644);
  const asNobody = async () => {
    try {
      return (await run(process.execPath, [BIN, 'doctor', '--config', config, '--timeout-ms', '2000'], { uid: 65534, gid: 65534 })).stdout;
    } catch (error) {
      return (error as { stdout: string }).stdout;
    }
  };
  await chmod(node, 0o600); // as a tty is before udev gives it to dialout
  t.match(await asNobody(), /✖ device scanner0\s+.*: not readable and writable by this user\n\s+hint: .*group dialout/);
  await chmod(node, 0o666);
  t.match(await asNobody(), /✔ device scanner0\s+.*: serial port present/);
});

t.test('a serial printer held by the running agent: its paper and cover as the agent reads them', async (t) => {
  const pty = await startPty(t);
  const end = await pty.openPeer();
  const peer = new PrinterPeer((reply) => { void end.write(reply).catch(() => undefined); });
  end.onData((chunk) => peer.feed(chunk));
  const sys = await startSystem(t, {
    startHost: false,
    agent: { devices: [{ name: 'printer0', kind: 'printer', transport: 'serial', path: pty.device }] },
  });
  const pos = await sys.pos();
  await waitFor(async () => {
    const r = await pos.request('devices.list');
    return r.ok && (r.result as { devices: Array<{ state: string }> }).devices[0]?.state === 'ready';
  }, { what: 'printer0 ready' });
  t.match((await doctor(sys.agentConfig)).out, /✔ device printer0\s+.*: printer ready \(asked the running agent\)/);
  peer.condition = 'paper_out';
  const out = (await doctor(sys.agentConfig)).out;
  t.match(out, /✖ device printer0\s+.*: printer reports paper_out \(asked the running agent\)\n\s+hint: load a paper roll/);
  peer.condition = 'cover_open';
  t.match((await doctor(sys.agentConfig)).out, /✖ device printer0\s+.*: printer reports cover_open/);
});

t.test('a TCP printer answering paper out or cover open: ✖ with what to do', async (t) => {
  const dir = await tempDir(t);
  const paperOut = await printerServer(t, await freePort());
  const coverOpen = await printerServer(t, await freePort());
  paperOut.condition = 'paper_out';
  coverOpen.condition = 'cover_open';
  const { code, out } = await doctor(await deviceConfig(dir, [
    { name: 'printer0', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: paperOut.port },
    { name: 'printer1', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: coverOpen.port },
  ]));
  t.equal(code, 1, out);
  t.match(out, /✖ device printer0\s+127\.0\.0\.1:\d+: printer reports paper_out\n\s+hint: load a paper roll/);
  t.match(out, /✖ device printer1\s+127\.0\.0\.1:\d+: printer reports cover_open\n\s+hint: close the printer cover/);
});

t.test('a TCP printer that is off, or that never answers status', async (t) => {
  const dir = await tempDir(t);
  const silent = await printerServer(t, await freePort());
  silent.condition = 'silent';
  const { code, out } = await doctor(await deviceConfig(dir, [
    { name: 'off', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: await freePort() },
    { name: 'mute', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: silent.port, status_timeout_ms: 300 },
    { name: 'mute-ok', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: silent.port, status: false },
  ]));
  t.equal(code, 1, out);
  t.match(out, /✖ device off\s+127\.0\.0\.1:\d+: cannot connect: .*ECONNREFUSED.*\n\s+hint: check the device is on and on the network/);
  t.match(out, /✖ device mute\s+.*no answer to DLE EOT 1 within 300 ms\n\s+hint: .*status: false/);
  t.match(out, /✔ device mute-ok\s+.*accepts connections \(status checks off/);
});

t.test('USB printers are looked up by vendor/product id (fake usb module: no USB hardware here)', async (t) => {
  const usb = new FakeUsb();
  usb.plug(new FakeUsbDevice({ vendorId: 0x04b8, productId: 0x0202, product: 'TM-T20' }));
  const printer = (vendor_id: string) => deviceConfigSchema().parse({ name: 'usb0', kind: 'printer', transport: 'usb', vendor_id, product_id: '0x0202' });
  t.match(await checkDevice(printer('0x04b8'), { timeoutMs: 1000, agent: null, usb }),
    { ok: true, detail: 'usb 04b8:0202: found (EPSON TM-T20)' });
  t.match(await checkDevice(printer('0x0519'), { timeoutMs: 1000, agent: null, usb }),
    { ok: false, detail: 'usb 0519:0202: USB printer not found', hint: /USB cable .* udev rule/ });
  // Held by the running agent, which alone can read it: its paper as the agent reads it.
  const agent = {
    devices: [{ name: 'usb0', kind: 'printer' as const, transport: 'usb' as const, target: 'usb 04b8:0202', state: 'ready' as const }],
    printerStatus: async () => ({ state: 'ready' as const, queued: 0, checked: true, status: { online: false, cover_open: false, paper_out: true, paper_near_end: true } }),
  };
  t.match(await checkDevice(printer('0x04b8'), { timeoutMs: 1000, agent, usb }),
    { ok: false, detail: 'usb 04b8:0202: printer reports paper_out (asked the running agent)', hint: /load a paper roll/ });
});

t.test('a device file printer: missing, then present and writable', async (t) => {
  const dir = await tempDir(t);
  const file = (path: string) => deviceConfigSchema().parse({ name: 'lp0', kind: 'printer', transport: 'file', path });
  t.match(await checkDevice(file(join(dir, 'lp0')), { timeoutMs: 1000, agent: null }), { ok: false, detail: /missing printer device file/ });
  await writeFile(join(dir, 'lp0'), '');
  t.match(await checkDevice(file(join(dir, 'lp0')), { timeoutMs: 1000, agent: null }), { ok: true, detail: /present and writable/ });
});

t.test('a keyboard-wedge reader (evdev): missing, not an input device, present; agent offline shown', async (t) => {
  const dir = await tempDir(t);
  const wedge = (path: string, grab = true) => deviceConfigSchema().parse({ name: 'wedge', kind: 'barcode-scanner', transport: 'evdev', path, grab });
  t.match(await checkDevice(wedge(join(dir, 'usb-X-event-kbd')), { timeoutMs: 1000, agent: null }),
    { ok: false, detail: /missing input device \(ENOENT\)/, hint: /by-id\/…-event-kbd.*till-agent ports/ });
  await writeFile(join(dir, 'file'), '');
  t.match(await checkDevice(wedge(join(dir, 'file')), { timeoutMs: 1000, agent: null }), { ok: false, detail: /not an input device/ });
  // /dev/null stands in for a readable character device (there is no /dev/input on CI machines).
  t.match(await checkDevice(wedge('/dev/null'), { timeoutMs: 1000, agent: null }), { ok: true, detail: '/dev/null: input device present' });
  t.match(await checkDevice(wedge('/dev/null', false), { timeoutMs: 1000, agent: null }), { ok: true, detail: /grab: false: scans also type/ });
  const agent = { devices: [{ name: 'wedge', kind: 'barcode-scanner' as const, transport: 'evdev' as const, target: '/dev/null', state: 'offline' as const, reason: 'cannot grab /dev/null: EVIOCGRAB failed: ENOTTY' }],
    printerStatus: () => Promise.reject(new Error('no printer')) };
  t.match(await checkDevice(wedge('/dev/null'), { timeoutMs: 1000, agent }), { ok: false, detail: /agent cannot use it: cannot grab .*ENOTTY/ });
});

t.test('run as root: a note says its ✔ hold for root, and how to run it as the service\'s user',
  { skip: process.getuid?.() === 0 ? false : 'needs root (CI runs as root)' }, async (t) => {
  const dir = await tempDir(t);
  await chmod(dir, 0o755);
  const config = await writeConfig(dir, { uplink: { url: 'mqtt://127.0.0.1:9' } });
  await chmod(config, 0o644);
  const asRoot = await doctor(config);
  t.match(asRoot.out, new RegExp(`\\nnote: run as root, .*: sudo -u till-agent till-agent doctor --config ${config}\\n$`));
  let out = '';
  try {
    out = (await run(process.execPath, [BIN, 'doctor', '--config', config, '--timeout-ms', '500'], { uid: 65534, gid: 65534 })).stdout;
  } catch (error) {
    out = (error as { stdout: string }).stdout;
  }
  t.match(out, /check\(s\) failed|all checks passed/);
  t.notMatch(out, /note: run as root/, 'as another user: no note');
});
