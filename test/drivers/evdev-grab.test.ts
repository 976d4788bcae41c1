// EVIOCGRAB through the Node-API addon (drivers/native/evdev_grab.c, built by `npm ci`).
// Everywhere: the addon is built and loads, and the ioctl really reaches the kernel — it answers
// ENOTTY for a FIFO and /dev/null, EBADF for a closed fd. The grab itself (and EBUSY for a second
// grabber) needs a real evdev node: it runs where /dev/input/event* exists and is readable, and
// is skipped, saying so, elsewhere (this CI machine has no /dev/input and no uinput).
import { execFile } from 'node:child_process';
import { constants, openSync, closeSync, readdirSync, accessSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { grabAvailable, grabDevice } from '../../drivers/evdev-grab.ts';
import { DriverEvents } from '../../drivers/emitter.ts';
import { createBarcodeScanner } from '../../drivers/scanner.ts';
import { evdevTransport } from '../../drivers/transports/evdev.ts';
import { silentDriverLogger } from '../../drivers/types.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const code = (fn: () => void) => { try { fn(); return 'no error'; } catch (error) { return (error as NodeJS.ErrnoException).code; } };

t.test('the addon is built and loads', async (t) => {
  t.same(grabAvailable(), { ok: true }, 'run npm ci (node-gyp builds drivers/native) if this fails');
});

t.test('the ioctl reaches the kernel: ENOTTY for non-evdev nodes, EBADF for a closed fd', async (t) => {
  const dir = await tempDir(t, 'till-grab-');
  const fifo = join(dir, 'fifo');
  await promisify(execFile)('mkfifo', [fifo]);
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  t.teardown(() => closeSync(fd));
  t.equal(code(() => grabDevice(fd, true)), 'ENOTTY', 'a FIFO cannot be grabbed');
  const devNull = openSync('/dev/null', 'r');
  t.equal(code(() => grabDevice(devNull, true)), 'ENOTTY', '/dev/null (a char device, not evdev) cannot be grabbed');
  closeSync(devNull);
  t.equal(code(() => grabDevice(devNull, true)), 'EBADF', 'a closed fd');
  t.throws(() => grabDevice('x' as unknown as number, true), /grab\(fd: number, on: boolean\)/);
});

function realEvdevNode(): string | undefined {
  let names: string[];
  try {
    names = readdirSync('/dev/input').filter((n) => /^event\d+$/.test(n));
  } catch {
    return undefined;
  }
  return names.map((n) => join('/dev/input', n)).find((p) => {
    try { accessSync(p, constants.R_OK); return true; } catch { return false; }
  });
}

const node = realEvdevNode();
t.test('grab, EBUSY for a second grabber, release — on a real evdev node', { skip: node ? false : 'no readable /dev/input/event* on this machine' }, async (t) => {
  const path = node!;
  const a = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const b = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  t.teardown(() => { closeSync(a); closeSync(b); });
  t.equal(code(() => grabDevice(a, true)), 'no error', `grabbed ${path}`);
  t.equal(code(() => grabDevice(b, true)), 'EBUSY', 'a second grab is refused while the first holds');
  t.equal(code(() => grabDevice(a, false)), 'no error', 'released');
  t.equal(code(() => grabDevice(b, true)), 'no error', 'now the other one can');
  grabDevice(b, false);

  // The transport grabs it, and a second reader of the same node is offline with EBUSY.
  const events = new DriverEvents();
  const first = createBarcodeScanner({ name: 'a', transport: evdevTransport({ path, layout: 'us', grab: true }), emit: events.emit, log: silentDriverLogger });
  const second = createBarcodeScanner({ name: 'b', transport: evdevTransport({ path, layout: 'us', grab: true }), emit: events.emit, log: silentDriverLogger, backoff: { initialMs: 50, maxMs: 200 } });
  t.teardown(async () => { await first.stop(); await second.stop(); });
  first.start();
  await waitFor(() => first.state() === 'ready');
  second.start();
  await waitFor(() => second.state() === 'offline');
  t.match(second.reason(), /EBUSY.*another program has grabbed it/);
});
