// Start and stop as one sequence (agent/start-sequence.ts): a start that fails part way closes
// what it had opened (database, devices, socket, uplink), as stop() does after a good start.
// "Open" is measured on this process's file descriptors: the database and its WAL, sockets.
import net from 'node:net';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { configSchema } from '../../agent/config.ts';
import { startDaemon } from '../../agent/daemon.ts';
import { silentLogger } from '../../runtime/log.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

/** What this process has open, by target (a file path, socket:[inode], pipe:[inode], …), sorted. */
function openFds(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the descriptor readdir itself used, closed by now
    }
  }
  return out.sort();
}

const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** A TCP "printer" that answers every status request (DLE EOT n) with "online, all fine". */
async function fakePrinter(t: Test): Promise<{ port: number; connections: () => number }> {
  const sockets = new Set<net.Socket>();
  let total = 0;
  const server = net.createServer((s) => {
    total += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('data', (bytes: Buffer) => {
      for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0x10 && bytes[i + 1] === 0x04) s.write(Buffer.from([0x12]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close(); });
  return { port: (server.address() as net.AddressInfo).port, connections: () => total };
}

async function config(t: Test, printerPort: number | null, extra: Record<string, unknown>) {
  const dir = await tempDir(t, 'till-start-');
  return configSchema.parse({
    terminal: 'T1', store: 'S1', merchant: 'M1',
    data_dir: join(dir, 'agent'),
    log_level: 'silent',
    socket: { tcp: '127.0.0.1:0', unix: false },
    // Nothing listens on port 1: the uplink keeps reconnecting until it is stopped.
    uplink: { url: 'mqtt://127.0.0.1:1', protocol_version: 4 },
    devices: printerPort === null ? [] : [{ name: 'printer0', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: printerPort }],
    ...extra,
  });
}

t.test('a good start opens the database, the socket and the printer; stop closes them all', async (t) => {
  const printer = await fakePrinter(t);
  const cfg = await config(t, printer.port, {});
  const before = openFds();
  const daemon = await startDaemon(cfg, { log: silentLogger(), version: 'test' });
  await waitFor(() => printer.connections() > 0 && daemon.ctx.devices.list()[0]?.state === 'ready', { what: 'the printer ready' });
  const running = openFds();
  t.ok(running.some((f) => f.endsWith('till-agent.db')), 'the database is open while running');
  t.ok(running.length > before.length, 'so is more than before');
  await daemon.stop();
  await waitFor(() => same(openFds(), before), { what: 'every descriptor of the agent closed' });
  t.pass('nothing left open after stop');
});

t.test('a start that fails at the uplink\'s TLS files leaves nothing open', async (t) => {
  const dir = await tempDir(t, 'till-tls-');
  const cfg = await config(t, null, {
    uplink: { url: 'mqtts://127.0.0.1:1', protocol_version: 4, ca: join(dir, 'missing-ca.pem') },
  });
  const before = openFds();
  await t.rejects(startDaemon(cfg, { log: silentLogger(), version: 'test' }), { code: 'ENOENT' });
  await waitFor(() => same(openFds(), before), { what: 'every descriptor of the agent closed' });
  t.pass('database and clocks closed again');
});

t.test('a start that fails at the metrics listener leaves nothing open', async (t) => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as net.AddressInfo).port;
  const cfg = await config(t, null, { metrics: { listen: `127.0.0.1:${port}` } });
  const before = openFds();
  await t.rejects(startDaemon(cfg, { log: silentLogger(), version: 'test' }), { code: 'EADDRINUSE' });
  await waitFor(() => same(openFds(), before), { what: 'every descriptor of the agent closed' });
  t.pass('socket, uplink, forwarder and database closed again');
});
