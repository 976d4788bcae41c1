// runtime/no-delay.ts's flushWrites: what MQTT.js queued behind a cork (mqtt-packet corks the
// socket per packet and uncorks on the next tick) is handed to the kernel at once, in order; a
// real MQTT.js publish is on the wire before the tick's own uncork.
import t from 'tap';
import net from 'node:net';
import mqtt from 'mqtt';
import { flushWrites } from '../../runtime/no-delay.ts';
import { startBroker } from '../helpers/broker.ts';

t.test('corked writes leave at once and in order; nothing corked is a no-op', async (t) => {
  const received: Buffer[] = [];
  const server = net.createServer((s) => s.on('data', (b) => received.push(b)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const socket = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' });
  await new Promise((resolve) => socket.once('connect', resolve));
  t.teardown(() => socket.destroy());

  socket.cork();
  socket.write('a');
  socket.cork();
  socket.write('b');
  t.equal(socket.writableLength, 2, 'held by the corks');
  flushWrites({ stream: socket });
  t.equal(socket.writableCorked, 0);
  t.equal(socket.writableLength, 0, 'handed to the kernel before the next tick');
  socket.uncork(); // a late uncork (mqtt-packet's tick) finds nothing corked
  flushWrites({ stream: socket });
  flushWrites({});
  socket.write('c');
  await new Promise<void>((resolve) => {
    const check = () => (Buffer.concat(received).toString() === 'abc' ? resolve() : setTimeout(check, 5));
    check();
  });
  t.equal(Buffer.concat(received).toString(), 'abc', 'in order');
});

t.test('an MQTT.js publish is written before the next tick', async (t) => {
  const broker = await startBroker(t);
  const client = await mqtt.connectAsync(broker.url, { clientId: 'flush-writes', clean: true });
  t.teardown(() => client.endAsync(true));
  const stream = client.stream as net.Socket;
  client.publish('t/x', 'hello', { qos: 1 });
  t.ok(stream.writableCorked > 0 && stream.writableLength > 0, 'MQTT.js leaves it corked until the next tick');
  flushWrites(client);
  t.equal(stream.writableLength, 0, 'flushed at once');
});
