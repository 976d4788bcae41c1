// runtime/whole-packets.ts: a patched MQTT.js client hands the socket each publish and PUBACK as one
// Buffer (mqtt-packet's writeToStream wrote one per field), the very bytes writeToStream makes, and
// the broker and the other side get the same messages, properties included.
import t from 'tap';
import { createRequire } from 'node:module';
import mqtt, { type MqttClient } from 'mqtt';
import { encodePuback, encodePublish, writePacketsWhole } from '../../runtime/whole-packets.ts';
import { startBroker } from '../helpers/broker.ts';

const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
const { generate } = fromMqtt('mqtt-packet') as { generate: (packet: unknown, options: unknown) => Buffer };

/** Every chunk the client's socket is asked to write from now on. */
function spyWrites(client: MqttClient): Buffer[] {
  const stream = client.stream as unknown as { write: (chunk: Buffer | string, ...rest: unknown[]) => boolean };
  const write = stream.write.bind(stream);
  const chunks: Buffer[] = [];
  stream.write = (chunk, ...rest) => {
    chunks.push(Buffer.from(chunk));
    return write(chunk, ...rest);
  };
  return chunks;
}

t.test('a publish with properties and the PUBACK of a QoS 1 message are one write each, same bytes, same messages', async (t) => {
  const broker = await startBroker(t);
  const receiver = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'whole-receiver', clean: true, writeCache: false });
  t.teardown(() => receiver.endAsync(true));
  t.ok(writePacketsWhole(receiver), 'patched');
  await receiver.subscribeAsync('whole/t', { qos: 1 });
  const sender = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'whole-sender', clean: true, writeCache: false });
  t.teardown(() => sender.endAsync(true));
  t.ok(writePacketsWhole(sender), 'patched');

  const sent: unknown[] = [];
  sender.on('packetsend', (p) => { if (p.cmd === 'publish') sent.push(p); });
  const senderWrites = spyWrites(sender);
  const receiverWrites = spyWrites(receiver);
  const got = new Promise<{ payload: Buffer; properties: unknown }>((resolve) =>
    receiver.once('message', (_topic, payload, packet) => resolve({ payload, properties: packet.properties })));
  const correlationData = Buffer.from('req-1');
  await sender.publishAsync('whole/t', '{"v":1,"results":[]}', { qos: 1, properties: { contentType: 'application/json', correlationData } });
  const message = await got;
  t.equal(message.payload.toString(), '{"v":1,"results":[]}');
  t.same(message.properties, { contentType: 'application/json', correlationData });

  t.equal(sent.length, 1, "'packetsend' as before");
  const publishes = senderWrites.filter((c) => c[0]! >> 4 === 3);
  t.equal(publishes.length, 1, 'the publish is one write (writeToStream: one per field)');
  t.same(publishes[0], generate(sent[0], { protocolVersion: 5 }), 'the bytes writeToStream makes');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const pubacks = receiverWrites.filter((c) => c[0]! >> 4 === 4);
  t.equal(pubacks.length, 1, 'the PUBACK is one write');
  t.equal(receiverWrites.length, 1, 'nothing else written in pieces');
});

t.test('other packets go through MQTT.js as before; a client of another shape is left alone', async (t) => {
  const broker = await startBroker(t);
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'whole-other', clean: true });
  t.teardown(() => client.endAsync(true));
  t.ok(writePacketsWhole(client));
  const writes = spyWrites(client);
  await client.subscribeAsync('whole/other', { qos: 1 });
  t.ok(writes.length > 1 && writes[0]?.length === 1 && writes[0][0]! >> 4 === 8, 'SUBSCRIBE written field by field, as MQTT.js does');
  t.notOk(writePacketsWhole({} as MqttClient), 'no _writePacket: not patched');
});

t.test('encodePublish and encodePuback make the bytes of mqtt-packet, or leave the packet to it', async (t) => {
  const topics = ['', 't', 'till/m-1/s-1/t-1/res', 'tëst/ü/€/😀', 'x'.repeat(300)];
  const payloads: unknown[] = ['', '{"v":1}', 'ä€😀'.repeat(50), 'y'.repeat(20_000), Buffer.from([1, 2, 3]), Buffer.alloc(0), undefined];
  const properties: unknown[] = [
    undefined, {}, { contentType: 'application/json' }, { correlationData: Buffer.from('c-1') },
    { contentType: 'application/json', correlationData: Buffer.from('abc') }, { correlationData: Buffer.alloc(0), contentType: '' },
    { contentType: 'ü', correlationData: undefined },
    // The agent's requests: a response topic and correlation data, in either order, with a content type too.
    { responseTopic: 'till/m-1/s-1/t-1/res', correlationData: Buffer.from('5d1b1c9e-2f0a-4d55-9a0e-5b1d3c1f0a77') },
    { correlationData: Buffer.from('c'), responseTopic: 'rës/ü' }, { responseTopic: '' },
    { contentType: 'application/json', responseTopic: 'r', correlationData: Buffer.from('abc') },
  ];
  let compared = 0;
  for (const version of [4, 5]) {
    for (const topic of topics) {
      for (const payload of payloads) {
        for (const props of properties) {
          for (const [qos, messageId] of [[0, undefined], [1, 1], [1, 300], [2, 65_535], [1, 0]] as const) {
            for (const flags of [{}, { dup: true }, { retain: true }, { dup: true, retain: true }]) {
              const packet = { cmd: 'publish', topic, payload, qos, messageId, properties: props, ...flags };
              const mine = encodePublish(packet, version);
              if (!mine) t.fail(`not encoded: ${JSON.stringify({ version, topic, qos, props })}`);
              else if (!mine.equals(generate(packet, { protocolVersion: version }))) t.fail(`differs: ${JSON.stringify({ version, topic, qos, messageId, props, flags })}`);
              compared++;
            }
          }
        }
      }
    }
  }
  t.ok(compared > 4000, `${compared} publishes byte for byte`);
  for (const version of [4, 5]) {
    for (const id of [0, 1, 255, 256, 65_535]) {
      const packet = { cmd: 'puback', messageId: id, reasonCode: 0 };
      t.same(encodePuback(packet, version), generate(packet, { protocolVersion: version }));
    }
  }
  // Left to generate(): other properties, other types, ids out of range, other reason codes.
  const others: Array<[Record<string, unknown>, number]> = [
    [{ cmd: 'publish', topic: 't', payload: 'p', qos: 1, messageId: 1, properties: { userProperties: { a: 'b' } } }, 5],
    [{ cmd: 'publish', topic: 't', payload: 'p', qos: 1, messageId: 1, properties: { contentType: 'a', topicAlias: 3 } }, 5],
    [{ cmd: 'publish', topic: 't', payload: 'p', qos: 1, messageId: 1, properties: { correlationData: 'text' } }, 5],
    [{ cmd: 'publish', topic: 't', payload: 'p', qos: 1, messageId: 1, properties: { responseTopic: Buffer.from('r') } }, 5],
    [{ cmd: 'publish', topic: 't', payload: 'p', qos: 1, messageId: 1, properties: { responseTopic: 'x'.repeat(70_000) } }, 5],
    [{ cmd: 'publish', topic: 't', payload: 'p', qos: 1, messageId: 1, properties: null }, 5],
    [{ cmd: 'publish', topic: Buffer.from('t'), payload: 'p', qos: 0 }, 4],
    [{ cmd: 'publish', topic: 't', payload: 'p', qos: 1 }, 4],
    [{ cmd: 'publish', topic: 't', payload: 'p', qos: 1, messageId: 70_000 }, 4],
    [{ cmd: 'publish', topic: 't', payload: 5, qos: 0 }, 4],
    [{ cmd: 'puback', messageId: 1, reasonCode: 16 }, 5],
    [{ cmd: 'puback', messageId: 1 }, 5],
    [{ cmd: 'puback', messageId: 1, reasonCode: 0, properties: { reasonString: 'x' } }, 5],
  ];
  for (const [packet, version] of others) {
    const encode = packet.cmd === 'publish' ? encodePublish : encodePuback;
    t.equal(encode(packet as { cmd: string }, version), undefined, `left to generate(): ${JSON.stringify(packet)}`);
  }
});
