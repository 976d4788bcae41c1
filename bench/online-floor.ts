// What this machine allows for the online round trip's hops with none of our work in them: a POS
// client (this process) → a relay process (the agent's place) → mosquitto (set_tcp_nodelay true) →
// an echo process (the host's place) → mosquitto → relay → POS, the same process and socket hops as
// bench/online-latency.ts, QoS 1 both ways, Nagle off and writes flushed as the agent and host do.
// `--fsync` adds what the design cannot drop: an fdatasync of a small write in the relay (overlapping
// the round trip, as the agent's) and one in the echo before it answers (as the host's).
//
//   node --import tsx bench/online-floor.ts [count, default 2000] [--fsync]
//
// Prints p50/p90/p99/max as online-latency.ts does. Run them back to back to read online-latency's
// p99 against the floor under the same load.
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, fdatasync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import net from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { disableNagle, flushWrites } from '../runtime/no-delay.ts';
import { freePort } from '../test/helpers/ports.ts';
import { trackChild } from './children.ts';
import { createMosquitto, mosquittoDir } from './mosquitto.ts';
import { percentile } from './stats.ts';
import { withTempDir } from './temp-dir.ts';

const WARMUP = 50;
const REQ = 'floor/req';
const RES = 'floor/res';
const PAGE = Buffer.alloc(4096 * 4, 1);

/** A small write and its fdatasync: what a commit's WAL frames cost on this disk. */
function fileSync(path: string) {
  const fd = openSync(path, 'w+');
  let n = 0;
  const write = () => writeSync(fd, PAGE, 0, PAGE.length, (n++ % 64) * PAGE.length);
  return {
    now(): void { write(); fdatasyncSync(fd); },
    later(done: () => void): void { write(); fdatasync(fd, () => done()); },
    close(): void { closeSync(fd); },
  };
}

async function connect(url: string): Promise<mqtt.MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clean: true });
  disableNagle(client);
  return client;
}

/** The host's place: answers each request, after an fdatasync with --fsync. */
async function echo(url: string, dir: string, withSync: boolean): Promise<void> {
  const client = await connect(url);
  const sync = withSync ? fileSync(join(dir, 'echo.bin')) : undefined;
  client.on('message', (_topic, payload) => {
    sync?.now();
    client.publish(RES, payload, { qos: 1 });
    flushWrites(client);
  });
  await client.subscribeAsync(REQ, { qos: 1 });
  process.send!('ready');
}

/** The agent's place: a POS line in, a request out (its fdatasync overlapping), the answer back once both are in. */
async function relay(url: string, dir: string, port: number, withSync: boolean): Promise<void> {
  const client = await connect(url);
  const sync = withSync ? fileSync(join(dir, 'relay.bin')) : undefined;
  let pos: net.Socket | undefined;
  let waiting = 0;
  let line = '';
  const answer = () => { if (--waiting === 0) pos!.write(`${line}\n`); };
  client.on('message', () => answer());
  await client.subscribeAsync(RES, { qos: 1 });
  net.createServer((socket) => {
    pos = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      line = chunk.toString().trim();
      waiting = sync ? 2 : 1;
      sync?.later(answer);
      client.publish(REQ, line, { qos: 1 });
      flushWrites(client);
    });
  }).listen(port, '127.0.0.1', () => process.send!('ready'));
}

function start(role: string, args: string[]): Promise<ChildProcess> {
  const child = trackChild(fork(fileURLToPath(import.meta.url), [role, ...args], { execArgv: ['--import', 'tsx'] }));
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`bench: online-floor ${role} exited (${code})`)));
  });
}

async function main(): Promise<void> {
  const count = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 2000);
  const withSync = process.argv.includes('--fsync');
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  await withTempDir('online-floor-', async (parent) => {
    const broker = await createMosquitto({ dir: await mosquittoDir(parent, 'mosquitto'), nodelay: true });
    await broker.start();
    const port = await freePort();
    const children: ChildProcess[] = [];
    try {
      children.push(await start('echo', [broker.url, parent, String(withSync)]));
      children.push(await start('relay', [broker.url, parent, String(withSync), String(port)]));
      const pos = net.connect(port, '127.0.0.1');
      pos.setNoDelay(true);
      await new Promise((resolve) => pos.once('connect', resolve));
      const once = (i: number) => new Promise<number>((resolve) => {
        const t0 = performance.now();
        pos.once('data', () => resolve(performance.now() - t0));
        pos.write(`${i}\n`);
      });
      for (let i = 0; i < WARMUP; i++) await once(i);
      const before = load();
      const samples = new Float64Array(count);
      for (let i = 0; i < count; i++) samples[i] = await once(i);
      samples.sort();
      const f = (p: number) => percentile(samples, p).toFixed(2);
      process.stdout.write(`floor${withSync ? ' + 2 fsyncs' : '           '}  n=${count}  p50 ${f(50)}  p90 ${f(90)}  p99 ${f(99)}  max ${samples[count - 1]!.toFixed(2)} ms  load ${before} → ${load()}\n`);
      pos.destroy();
    } finally {
      for (const c of children) c.kill('SIGTERM');
      await broker.stop();
    }
  });
}

const [role, url, dir, sync, port] = process.argv.slice(2);
if (role === 'echo') await echo(url!, dir!, sync === 'true');
else if (role === 'relay') await relay(url!, dir!, Number(port), sync === 'true');
else await main();
