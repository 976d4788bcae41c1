// A network printer whose cable is cut, for real: each case runs in a network namespace of its
// own (unshare -rn; test/helpers/netns-printer.ts) whose loopback goes down under a connected
// printer, so the kernel's keepalive and retransmission really go unanswered. Without short
// keepalive values and TCP_USER_TIMEOUT (drivers/transports/tcp-liveness.ts) an idle printer
// stays `ready` ~11 min where libuv leaves the kernel's keepalive interval (Node on libuv 1.44),
// and one cut while printing stays `ready` for the kernel's retransmission time (~13–15 min).
import net from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { applyTcpLiveness, DEFAULT_TCP_LIVENESS, readTcpLiveness } from '../../drivers/transports/tcp-liveness.ts';

const HELPER = fileURLToPath(new URL('../helpers/netns-printer.ts', import.meta.url));
const HOOKS = fileURLToPath(new URL('../helpers/compiled-ts.mjs', import.meta.url));

async function cutCable(mode: 'idle' | 'printing', endMs: number): Promise<Array<Record<string, unknown>>> {
  const child = spawn('unshare', ['-rn', process.execPath, `--import=${HOOKS}`, HELPER, mode, String(endMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`netns-printer ${mode} exited ${code}:\n${out}`);
  return out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

// Both cuts take 20 s of waiting and run in namespaces of their own: started together, awaited by
// their tests (the caught copies keep an early failure from being an unhandled rejection).
const cuts = { idle: cutCable('idle', 20_000), printing: cutCable('printing', 20_000) };
for (const cut of Object.values(cuts)) cut.catch(() => undefined);

t.test('the values are in force on a connected socket', async (t) => {
  const server = net.createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await new Promise((resolve) => socket.once('connect', resolve));
  applyTcpLiveness(socket);
  t.same(readTcpLiveness(socket), DEFAULT_TCP_LIVENESS);
});

t.test('cable cut while idle: offline within ~11 s, naming why', async (t) => {
  const lines = await cuts.idle;
  t.match(lines[0], { event: 'ready', state: 'ready' });
  const offline = lines.find((l) => l.event === 'state' && l.state === 'offline');
  t.ok(offline, `went offline: ${JSON.stringify(lines)}`);
  // 5 s idle, then probes every 2 s; TCP_USER_TIMEOUT (10 s) ends it at the probe after 10 s.
  // Without the explicit values: 5 s + the interval × count libuv or the kernel left (15 s, or ~11 min).
  t.ok(Number(offline?.ms) < 14_000, `offline after ${String(offline?.ms)} ms`);
  t.match(offline?.reason, /no answer on the network for seconds \(unplugged, powered off or cable cut\)/);
  t.match(lines.find((l) => l.event === 'end'), { state: 'offline' }, 'still offline: reconnecting finds no printer');
});

t.test('cable cut while printing (a printer without status): offline within ~10 s of the job', async (t) => {
  const lines = await cuts.printing;
  t.match(lines[0], { event: 'ready', state: 'ready' });
  t.match(lines.find((l) => l.event === 'job'), { outcome: 'sent' }, 'the kernel took the bytes');
  const offline = lines.find((l) => l.event === 'state' && l.state === 'offline');
  t.ok(offline, `went offline: ${JSON.stringify(lines)}`);
  t.ok(Number(offline?.ms) < 14_000, `offline after ${String(offline?.ms)} ms`);
  t.match(offline?.reason, /cable cut/);
  t.match(lines.find((l) => l.event === 'end'), { state: 'offline' }, 'still offline: reconnecting finds no printer');
});
