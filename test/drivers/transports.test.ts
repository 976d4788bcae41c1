// Every transport against the ByteLink contract (byte-link-contract.ts), each with a real
// counterpart where this machine has one: a socat pty pair, a TCP listener, a file; the USB
// module is a fake (no USB hardware here) and the virtual device is in memory by design.
import net from 'node:net';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { fileTransport } from '../../drivers/transports/file.ts';
import { portGoneReason, serialTransport } from '../../drivers/transports/serial.ts';
import { tcpTransport } from '../../drivers/transports/tcp.ts';
import { usbTransport } from '../../drivers/transports/usb.ts';
import { virtualDevice } from '../../drivers/transports/virtual.ts';
import { startPty } from '../helpers/pty.ts';
import { tempDir } from '../helpers/tmp.ts';
import { FakeUsb, FakeUsbDevice } from '../helpers/usb-fake.ts';
import { byteLinkContract } from './byte-link-contract.ts';

t.test('serial (socat pty)', async (t) => {
  byteLinkContract(t, { canRead: true }, async (t) => {
    const pty = await startPty(t);
    const end = await pty.openPeer();
    return {
      transport: serialTransport({ path: pty.device, baudRate: 115200 }),
      received: async () => end.received(),
      send: (bytes) => end.write(bytes),
      unplug: () => pty.kill(),
    };
  });
});

t.test('serial unplugged (socat killed): the close reason says the port is gone, then the binding\'s words', async (t) => {
  const pty = await startPty(t);
  const link = await serialTransport({ path: pty.device, baudRate: 115200 })();
  t.teardown(() => link.close());
  const closed = new Promise<unknown>((resolve) => link.onClose(resolve));
  await pty.kill();
  // Whichever notices first: the binding (its errno words, prefixed) or the link's watch of the device node.
  t.match(await closed, { disconnected: true, error: /^(port gone \(unplugged or powered off\): \S|device node gone$)/ });
  // The binding's words for a port that went away, as a technician reads them in status and the device event.
  t.equal(portGoneReason('bad file descriptor'), 'port gone (unplugged or powered off): bad file descriptor');
  t.equal(portGoneReason('EIO: i/o error, read'), 'port gone (unplugged or powered off): EIO: i/o error, read');
  t.equal(portGoneReason('Port is not open'), 'Port is not open', 'other errors keep their own words');
});

t.test('tcp (real listener)', async (t) => {
  byteLinkContract(t, { canRead: true }, async (t) => {
    const chunks: Buffer[] = [];
    let peer: net.Socket | undefined;
    const server = net.createServer((socket) => {
      peer = socket;
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => { peer?.destroy(); server.close(); });
    const port = (server.address() as net.AddressInfo).port;
    return {
      transport: tcpTransport({ host: '127.0.0.1', port }),
      received: async () => Buffer.concat(chunks),
      send: async (bytes) => { peer?.write(bytes); },
      unplug: async () => { peer?.resetAndDestroy(); },
    };
  });
});

t.test('file (a regular file standing in for /dev/usb/lp0)', async (t) => {
  byteLinkContract(t, { canRead: false }, async (t) => {
    const file = join(await tempDir(t, 'till-file-'), 'lp0');
    await writeFile(file, '');
    return {
      transport: fileTransport({ path: file, watchMs: 20 }),
      received: () => readFile(file),
      send: async () => undefined,
      unplug: () => rm(file),
    };
  });
});

t.test('usb (fake usb module)', async (t) => {
  byteLinkContract(t, { canRead: true }, async () => {
    const usb = new FakeUsb();
    const device = usb.plug(new FakeUsbDevice());
    return {
      transport: usbTransport({ vendorId: device.vendorId, productId: device.productId, usb, readPollMs: 50 }),
      received: async () => device.peer.bytes(),
      send: async (bytes) => device.deliver(bytes),
      unplug: async () => device.unplug(),
    };
  });
});

t.test('virtual', async (t) => {
  byteLinkContract(t, { canRead: true }, async () => {
    const chunks: Buffer[] = [];
    const dev = virtualDevice({ name: 'v', onWrite: (b) => { chunks.push(b); } });
    return {
      transport: dev.transport,
      received: async () => Buffer.concat(chunks),
      send: async (bytes) => { dev.inject(bytes); },
      unplug: async () => dev.setPresent(false),
    };
  });
});
