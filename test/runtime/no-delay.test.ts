// runtime/no-delay.ts on a real loopback TCP connection. After a few small request/response
// exchanges Linux treats a connection as interactive and delays its ACKs (up to 40 ms), which a
// broker that keeps Nagle on (mosquitto's default) pays for on every round trip. A socket that
// went through disableNagle is back in quick-ACK mode after every read; one that did not is not.
import t from 'tap';
import net from 'node:net';
import sockopt from 'sockopt';
import { disableNagle } from '../../runtime/no-delay.ts';

const IPPROTO_TCP = 6;
const TCP_QUICKACK = 12;
const TCP_NODELAY = 1;
const ROUNDS = 10;

const fdOf = (socket: net.Socket) => ({ _handle: { fd: (socket as unknown as { _handle: { fd: number } })._handle.fd } });

async function echoServer(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', () => socket.write('y'));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

/** ROUNDS ping-pongs; returns TCP_QUICKACK as read right after each answer arrived. */
async function exchange(port: number, prepare: (socket: net.Socket) => void): Promise<number[]> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise((resolve) => socket.once('connect', resolve));
  prepare(socket);
  const seen: number[] = [];
  await new Promise<void>((resolve) => {
    socket.on('data', () => {
      seen.push(sockopt.getsockopt(fdOf(socket), IPPROTO_TCP, TCP_QUICKACK));
      if (seen.length === ROUNDS) resolve();
      else socket.write('x');
    });
    socket.write('x');
  });
  socket.destroy();
  return seen;
}

t.test('after every read the socket is in quick-ACK mode, with TCP_NODELAY set', { skip: process.platform !== 'linux' && 'TCP_QUICKACK is Linux only' }, async (t) => {
  const port = await echoServer(t);
  let nodelay = -1;
  const quick = await exchange(port, (socket) => {
    disableNagle({ stream: socket });
    nodelay = sockopt.getsockopt(fdOf(socket), IPPROTO_TCP, TCP_NODELAY);
  });
  t.equal(nodelay, 1, 'TCP_NODELAY on');
  t.same(quick, Array(ROUNDS).fill(1), 'quick ACKs after each of the reads');

  // Without it the same exchange leaves the connection delaying its ACKs (pingpong mode).
  const plain = await exchange(port, () => undefined);
  t.ok(plain.includes(0), `an untreated socket delays its ACKs after some reads (${plain.join('')})`);
});
