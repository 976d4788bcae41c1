// A pseudo-terminal pair made by socat: the driver opens `device`, the test opens `peer` and
// plays the scanner/printer. kill() is an unplug (socat dies, both ends vanish, the links are
// removed so nothing can open a recycled /dev/pts number); restart() plugs a fresh pair in at
// the same paths.
import { spawn, type ChildProcess } from 'node:child_process';
import { lstat, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

interface Teardown { teardown(fn: () => unknown): void }

export interface PtyEnd {
  write(data: string | Buffer): Promise<void>;
  /** Everything read so far. */
  received(): Buffer;
  onData(listener: (chunk: Buffer) => void): void;
  closed(): boolean;
  close(): Promise<void>;
}

export interface PtyPair {
  dir: string;
  /** The path the driver opens (like /dev/serial/by-id/…). */
  device: string;
  /** The path the test opens to play the device. */
  peer: string;
  openPeer(): Promise<PtyEnd>;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

const isPts = async (link: string) => {
  try {
    return (await lstat(link)).isSymbolicLink() && (await readlink(link)).startsWith('/dev/pts/');
  } catch {
    return false;
  }
};

export async function startPty(t: Teardown): Promise<PtyPair> {
  const dir = await tempDir(t, 'till-pty-');
  const peer = join(dir, 'a');
  const device = join(dir, 'b');
  let child: ChildProcess | undefined;
  let log = '';
  const ends: PtyEnd[] = [];

  const launch = async () => {
    await rm(peer, { force: true });
    await rm(device, { force: true });
    log = '';
    const c = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${peer}`, `pty,raw,echo=0,link=${device}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr?.on('data', (b: Buffer) => { log += b.toString(); });
    await waitFor(async () => (await isPts(peer)) && (await isPts(device)) && /starting data transfer loop/.test(log), {
      what: `socat pty links in ${dir}: ${log}`, timeout: 5000,
    });
  };
  const kill = async () => {
    // Our own ends first: a hung-up tty can make serialport re-read forever (see drivers/transports/serial.ts).
    await Promise.all(ends.splice(0).map((e) => e.close()));
    const c = child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGKILL');
      await gone;
    }
    await rm(peer, { force: true });
    await rm(device, { force: true });
  };

  await launch();
  t.teardown(kill);

  return {
    dir, device, peer,
    kill,
    restart: launch,
    async openPeer() {
      const port = new SerialPort({ path: peer, baudRate: 9600, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
      const chunks: Buffer[] = [];
      const listeners: Array<(chunk: Buffer) => void> = [];
      port.on('data', (chunk: Buffer) => { chunks.push(chunk); for (const l of listeners) l(chunk); });
      port.on('error', () => undefined);
      const end: PtyEnd = {
        write: (data) => new Promise((resolve, reject) => {
          port.write(data, (e) => (e ? reject(e) : port.drain((d) => (d ? reject(d) : resolve()))));
        }),
        received: () => Buffer.concat(chunks),
        onData: (l) => { listeners.push(l); },
        closed: () => !port.isOpen,
        close: () => new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
      };
      ends.push(end);
      return end;
    },
  };
}
