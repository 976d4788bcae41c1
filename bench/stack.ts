// The whole system in this process, with silent loggers:
//
//   POS client ──TCP──▶ agent (startDaemon) ──MQTT 3.1.1──▶ aedes (embedded broker) ◀── host (startHost)
//
// aedes has neither MQTT 5 nor shared subscriptions, so both sides use protocol 4 and the
// host a plain subscription (share_group ''). The broker can be stopped and restarted on the
// same port to queue awards in the outbox and then measure the drain.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../agent/config.ts';
import { startDaemon } from '../agent/daemon.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../agent/upstream/embedded-broker.ts';
import { silentLogger } from '../runtime/log.ts';
import { VERSION } from '../agent/version.ts';
import { hostConfigSchema } from '../host/config.ts';
import { startHost } from '../host/start-host.ts';
import { connectPos } from '../test/helpers/pos-client.ts';
import { waitUplink } from './drive.ts';
import { SAMPLE_SEED } from './sample-sale.ts';

export interface Stack {
  agentPort: number;
  brokerUrl: string;
  /** Stops the broker: the agent's uplink goes offline and awards are queued. */
  stopBroker(): Promise<void>;
  /** Starts a fresh broker on the same port; agent and host reconnect by themselves. */
  restartBroker(): Promise<void>;
  /** Stops agent, host and broker, in reverse order of start. */
  stop(): Promise<void>;
}

export async function startStack(dir: string): Promise<Stack> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    let broker: EmbeddedBroker | undefined = await startEmbeddedBroker(0);
    const brokerPort = broker.port;
    const brokerUrl = broker.url;
    stops.push(async () => { await broker?.stop(); broker = undefined; });

    const host = await startHost(hostConfigSchema.parse({
      data_dir: join(dir, 'host'),
      uplink: { url: brokerUrl, protocol_version: 4, share_group: '' },
      seed: fileURLToPath(SAMPLE_SEED),
      log_level: 'silent',
    }), silentLogger());
    stops.push(() => host.stop());
    await host.ready;

    const daemon = await startDaemon(configSchema.parse({
      terminal: 'T1', store: 'S1', merchant: 'M1',
      data_dir: join(dir, 'agent'),
      log_level: 'silent',
      socket: { tcp: '127.0.0.1:0', unix: false },
      uplink: { url: brokerUrl, protocol_version: 4 },
    }), { log: silentLogger(), version: VERSION });
    stops.push(() => daemon.stop());
    const address = daemon.socket.tcpAddress();
    if (!address) throw new Error('bench: the agent has no TCP listener');

    const probe = await connectPos({ port: address.port });
    try {
      await waitUplink(probe, true);
    } finally {
      await probe.close();
    }

    return {
      agentPort: address.port,
      brokerUrl,
      async stopBroker() {
        await broker?.stop();
        broker = undefined;
      },
      async restartBroker() {
        if (broker) throw new Error('bench: the broker is already running');
        broker = await startEmbeddedBroker(brokerPort);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
