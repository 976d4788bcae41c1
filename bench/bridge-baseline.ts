// The peer the drain must beat: a mosquitto bridge carrying the same backlog from a persistent
// local broker to a remote one.
//
//   publisher ──QoS 1──▶ local mosquitto ══bridge (QoS 1, persistent)══▶ remote mosquitto ──▶ subscriber
//
// As with the till's drain, the backlog builds up while the link is down: the bridge connects
// once, the remote broker stops, N messages (each one award as the agent sends it upstream)
// queue in the local broker, the remote broker starts again and the bridge forwards them. The
// subscriber has a persistent session on the remote broker, so nothing depends on who
// reconnects first.
import mqtt, { type MqttClient } from 'mqtt';
import { performance } from 'node:perf_hooks';
import { toMessage } from '../agent/upstream/forwarder.ts';
import type { OutboxRow } from '../agent/upstream/outbox.ts';
import { freePort } from '../test/helpers/ports.ts';
import { createMosquitto, mosquittoDir } from './mosquitto.ts';
import { awardAppend } from './sample-sale.ts';
import { waitUntil } from './wait.ts';

export interface BridgeFigures {
  /** Remote broker up again → last message at the subscriber. */
  linkUpToLastMs: number;
  /** Remote broker up again → first message at the subscriber (the reconnects). */
  linkUpToFirstMs: number;
  /** First → last forwarded message, the steady rate without reconnecting. */
  steadyPerSecond: number;
}

const TOPIC = 'bench/till/req';
const DELIVERY_TIMEOUT_MS = 180_000;

function connect(url: string, clientId: string): Promise<MqttClient> {
  const client = mqtt.connect(url, { clientId, clean: false, protocolVersion: 4, reconnectPeriod: 200 });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

/** One award as the agent would put it in an upstream request. */
function awardMessage(i: number): string {
  const row = { ...awardAppend(`bridge-${i}`), state: 'pending' } as unknown as OutboxRow;
  return JSON.stringify(toMessage(row));
}

export async function bridgeBaseline(dir: string, nodelay: boolean, count: number): Promise<BridgeFigures> {
  const remotePort = await freePort();
  const remote = await createMosquitto({ dir: await mosquittoDir(dir, 'remote'), nodelay, port: remotePort });
  const local = await createMosquitto({ dir: await mosquittoDir(dir, 'local'), nodelay, bridge: { port: remotePort, topic: 'bench/#' } });
  const clients: MqttClient[] = [];
  try {
    // 1. Sessions exist on both sides: the subscriber's on the remote, the bridge's on the local.
    await remote.start();
    const subscriber = await connect(remote.url, 'bench-bridge-subscriber');
    clients.push(subscriber);
    await subscriber.subscribeAsync('bench/#', { qos: 1 });
    await local.start();
    const probe = await connect(local.url, 'bench-bridge-probe');
    clients.push(probe);
    let probed = false;
    subscriber.once('message', () => { probed = true; });
    await waitUntil(async () => {
      await probe.publishAsync('bench/probe', 'probe', { qos: 1 });
      return probed;
    }, 'the bridge to connect', 20_000, 250);

    // 2. The link goes down and a backlog queues in the local broker.
    await remote.stop();
    const payloads = Array.from({ length: count }, (_, i) => awardMessage(i));
    await Promise.all(payloads.map((p) => probe.publishAsync(TOPIC, p, { qos: 1 })));

    // 3. The link returns: time the bridge's forwarding.
    const times: number[] = [];
    subscriber.on('message', (topic) => { if (topic === TOPIC) times.push(performance.now()); });
    const linkUp = performance.now();
    await remote.start();
    await waitUntil(() => times.length >= count, `${count} bridged messages (${times.length} so far)`, DELIVERY_TIMEOUT_MS, 10);
    const first = times[0]!;
    const last = times[count - 1]!;
    return { linkUpToLastMs: last - linkUp, linkUpToFirstMs: first - linkUp, steadyPerSecond: ((count - 1) * 1000) / (last - first) };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await local.stop();
    await remote.stop();
  }
}
