// A network receipt printer for tests: a real TCP listener on 127.0.0.1 where each connection is
// a PrinterPeer (records the bytes, answers DLE EOT with the status the test chose). close() is
// an unplug (every connection reset); listen() plugs it back in on the same port.
import net from 'node:net';
import { PrinterPeer, type PeerCondition } from './printer-peer.ts';

export interface PrinterServer {
  port: number;
  /** One per connection accepted, in order. */
  peers: PrinterPeer[];
  /** The condition each new connection's peer starts with. */
  condition: PeerCondition;
  close(): Promise<void>;
  listen(): Promise<void>;
}

export async function printerServer(t: { teardown(fn: () => unknown): void }, port: number): Promise<PrinterServer> {
  const peers: PrinterPeer[] = [];
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const api: PrinterServer = {
    port,
    peers,
    condition: 'ok',
    async listen() {
      server = net.createServer((socket) => {
        sockets.add(socket);
        const peer = new PrinterPeer((b) => socket.write(b));
        peer.condition = api.condition;
        peers.push(peer);
        socket.on('data', (c) => peer.feed(c));
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', () => resolve()));
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    },
  };
  await api.listen();
  t.teardown(() => api.close());
  return api;
}
