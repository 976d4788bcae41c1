// The host's MQTT consumer against a real mosquitto: MQTT 5 response topic + correlation
// data, MQTT 3.1.1 with reply_to, redelivery, invalid payloads.
import t, { type Test } from 'tap';
import mqtt, { type MqttClient } from 'mqtt';
import { hostConfigSchema } from '../../host/config.ts';
import { silentLogger } from '../../runtime/log.ts';
import { startHost } from '../../host/start-host.ts';
import { parseUpstreamResponse, type UpstreamRequest, type UpstreamResponse } from '../../protocol/upstream.ts';
import { startBroker, type Broker } from '../helpers/broker.ts';
import { SOURCE, award, basket, message, request, writeSeed } from '../helpers/host-fixtures.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const REQ = 'till/v1/M1/S1/T1/req';

async function hostOn(t: Test, broker: Broker, protocol_version: 4 | 5 = 5) {
  const dir = await tempDir(t, 'till-host-');
  const config = hostConfigSchema.parse({
    data_dir: dir,
    seed: await writeSeed(dir),
    uplink: { url: broker.url, client_id: `host-under-test-${protocol_version}`, protocol_version },
  });
  const host = await startHost(config, silentLogger());
  t.teardown(() => host.stop());
  await host.ready;
  return host;
}

interface Received {
  topic: string;
  response: UpstreamResponse;
  correlation?: string;
}

async function till(t: Test, broker: Broker, protocolVersion: 4 | 5, replyTopic: string) {
  const client: MqttClient = await mqtt.connectAsync(broker.url, { protocolVersion, clientId: `till-${protocolVersion}-${process.pid}`, clean: true });
  t.teardown(() => client.endAsync(true));
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    const parsed = parseUpstreamResponse(JSON.parse(payload.toString()));
    if (!parsed.ok) throw new Error(`invalid response: ${parsed.errors.join('; ')}`);
    const correlation = packet.properties?.correlationData?.toString();
    received.push({ topic, response: parsed.value, ...(correlation !== undefined ? { correlation } : {}) });
  });
  await client.subscribeAsync(replyTopic, { qos: 1 });
  const send = (req: UpstreamRequest | string, properties?: { responseTopic: string; correlationData: Buffer }) =>
    client.publishAsync(REQ, typeof req === 'string' ? req : JSON.stringify(req), { qos: 1, ...(properties ? { properties } : {}) });
  const responseTo = (requestId: string, count = 1) =>
    waitFor(() => {
      const got = received.filter((r) => r.response.request_id === requestId);
      return got.length >= count ? got : undefined;
    }, { what: `response to ${requestId}` });
  return { client, received, send, responseTo };
}

t.test('MQTT 5: replies to the response topic with the correlation data', async (t) => {
  const broker = await startBroker(t);
  await hostOn(t, broker);
  const tillClient = await till(t, broker, 5, 'till/v1/M1/S1/T1/res');
  // reply_to deliberately differs: the MQTT 5 response topic wins.
  const req = request([message('identify', { by: 'card', value: '6006491234567890' }), award('P1', basket([['COFFEE', 1000]]), 'txn-1')], SOURCE, 'till/v1/M1/S1/T1/elsewhere');
  await tillClient.send(req, { responseTopic: 'till/v1/M1/S1/T1/res', correlationData: Buffer.from('corr-42') });
  const [got] = await tillClient.responseTo(req.request_id);
  t.equal(got?.topic, 'till/v1/M1/S1/T1/res');
  t.equal(got?.correlation, 'corr-42');
  t.match(got?.response.results, [
    { ok: true, result: { customer: { id: 'P1', balance: { amount: 1000 } } } },
    { ok: true, result: { award_amount: 100, balance: { amount: 1100 } } },
  ]);
});

t.test('MQTT 3.1.1: replies to reply_to; a redelivered request is not applied twice', async (t) => {
  const broker = await startBroker(t);
  await hostOn(t, broker);
  const tillClient = await till(t, broker, 4, 'till/v1/M1/S1/T1/res');
  const req = request([award('P1', basket([['COFFEE', 1000]]), 'txn-1'), award('P1', basket([['COFFEE', 2000]]), 'txn-2')]);
  await tillClient.send(req);
  await tillClient.send(req);
  const both = await tillClient.responseTo(req.request_id, 2);
  // `at` is the host's clock at each answer; everything else is the same answer twice.
  t.same({ ...both[0]?.response, at: null }, { ...both[1]?.response, at: null }, 'the same answer twice');
  t.ok(both.every((b) => typeof b.response.at === 'string'), 'each answer carries the host\'s clock');
  t.match(both[1]?.response.results, [{ ok: true, result: { balance: { amount: 1100 } } }, { ok: true, result: { balance: { amount: 1300 } } }]);
  t.equal(both[0]?.correlation, undefined);

  const check = request([message('identify', { by: 'card', value: '6006491234567890' })]);
  await tillClient.send(check);
  const [after] = await tillClient.responseTo(check.request_id);
  t.match(after?.response.results, [{ ok: true, result: { customer: { balance: { amount: 1300 } } } }], 'applied once');
});

t.test('a host speaking MQTT 3.1.1 serves the shared subscription too', async (t) => {
  const broker = await startBroker(t);
  await hostOn(t, broker, 4);
  const tillClient = await till(t, broker, 5, 'till/v1/M1/S1/T1/res');
  const req = request([message('identify', { by: 'email', value: 'alice@example.com' })]);
  await tillClient.send(req, { responseTopic: 'till/v1/M1/S1/T1/res', correlationData: Buffer.from('x') });
  const [got] = await tillClient.responseTo(req.request_id);
  t.match(got?.response.results, [{ ok: true, result: { customer: { id: 'P1' } } }]);
});

t.test('invalid payloads: garbage is dropped, a bad envelope gets BAD_REQUEST, the host keeps serving', async (t) => {
  const broker = await startBroker(t);
  await hostOn(t, broker);
  const tillClient = await till(t, broker, 5, 'till/v1/M1/S1/T1/res');
  const props = { responseTopic: 'till/v1/M1/S1/T1/res', correlationData: Buffer.from('c') };
  await tillClient.send('{this is not json', props);
  const good = request([message('identify', { by: 'card', value: '6006491234567890' })]);
  const bad = { ...good, request_id: 'bad-envelope', sent_at: 'not a date' } as unknown as UpstreamRequest;
  await tillClient.send(bad, props);
  const [rejected] = await tillClient.responseTo('bad-envelope');
  t.match(rejected?.response.results, [{ id: good.messages[0]?.id, ok: false, error: { code: 'BAD_REQUEST', permanent: true, message: /sent_at/ } }]);
  await tillClient.send(good, props);
  const [answered] = await tillClient.responseTo(good.request_id);
  t.match(answered?.response.results, [{ ok: true }]);
  t.equal(tillClient.received.length, 2, 'nothing was sent for the garbage payload');
});

t.test('a till cannot speak for another: source must match the topics', async (t) => {
  const broker = await startBroker(t);
  await hostOn(t, broker);
  const tillClient = await till(t, broker, 5, 'till/v1/M1/S1/+/res');
  const spoofed = request([award('P1', basket([['COFFEE', 1000]]), 'spoof-1')], { ...SOURCE, terminal: 'T2' }, 'till/v1/M1/S1/T2/res');
  await tillClient.send(spoofed, { responseTopic: 'till/v1/M1/S1/T2/res', correlationData: Buffer.from('x') });
  const reflected = request([award('P1', basket([['COFFEE', 1000]]), 'spoof-2')], SOURCE, 'till/v1/M1/S1/T1/res');
  await tillClient.send(reflected, { responseTopic: 'till/v1/M1/S1/T9/res', correlationData: Buffer.from('y') });
  const honest = request([message('identify', { by: 'card', value: '6006491234567890' })], SOURCE, 'till/v1/M1/S1/T1/res');
  await tillClient.send(honest, { responseTopic: 'till/v1/M1/S1/T1/res', correlationData: Buffer.from('z') });
  const [got] = await tillClient.responseTo(honest.request_id);
  t.match(got?.response.results, [{ ok: true, result: { customer: { balance: { amount: 1000 } } } }], 'nothing was applied for the spoofed requests');
  // Again once the host has answered T1 on its topic (it keeps each request topic's till): still refused,
  // also with T1's own response topic (only the source names another till).
  const spoofedAgain = request([award('P1', basket([['COFFEE', 1000]]), 'spoof-3')], { ...SOURCE, terminal: 'T2' }, 'till/v1/M1/S1/T1/res');
  await tillClient.send(spoofedAgain, { responseTopic: 'till/v1/M1/S1/T1/res', correlationData: Buffer.from('x') });
  const reflectedAgain = request([award('P1', basket([['COFFEE', 1000]]), 'spoof-4')], SOURCE, 'till/v1/M1/S1/T1/res');
  await tillClient.send(reflectedAgain, { responseTopic: 'till/v1/M1/S1/T9/res', correlationData: Buffer.from('y') });
  const honestAgain = request([message('identify', { by: 'card', value: '6006491234567890' })], SOURCE, 'till/v1/M1/S1/T1/res');
  await tillClient.send(honestAgain, { responseTopic: 'till/v1/M1/S1/T1/res', correlationData: Buffer.from('z') });
  const [again] = await tillClient.responseTo(honestAgain.request_id);
  t.match(again?.response.results, [{ ok: true, result: { customer: { balance: { amount: 1000 } } } }], 'nothing applied after the topic was known either');
  const honestIds = [honest.request_id, honestAgain.request_id];
  t.same(tillClient.received.filter((r) => !honestIds.includes(r.response.request_id)), [], 'no answer to a mismatched request');
});
