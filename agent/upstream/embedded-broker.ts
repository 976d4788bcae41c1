// The demo's in-process MQTT broker (aedes). aedes speaks MQTT 3.1.1 only and has no
// shared subscriptions, so clients of it use protocol 4 and a plain host subscription.
import { Aedes } from 'aedes';
import net from 'node:net';

export interface EmbeddedBroker {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedBroker(port: number, host = '127.0.0.1'): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server = net.createServer({ noDelay: true }, broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    port: bound,
    url: `mqtt://${host}:${bound}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        broker.close();
      }),
  };
}
