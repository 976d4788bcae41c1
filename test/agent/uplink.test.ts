// The agent's uplink against a real mosquitto. A broker restarted from an older persistence
// file can resume the till's session ("session present") without its response subscription:
// the uplink must subscribe on every connect anyway, or it never hears the host again.
import t, { type Test } from 'tap';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Uplink, type UplinkState } from '../../agent/upstream/uplink.ts';
import { uplinkConfigSchema } from '../../protocol/uplink-config.ts';
import { uplinkTrace, type UplinkTrace } from '../../runtime/trace.ts';
import type { UpstreamResponse } from '../../protocol/upstream.ts';
import { startBroker, type Broker } from '../helpers/broker.ts';
import { capturingLogger } from '../helpers/log-capture.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const IDENTITY = { merchant: 'M1', store: 'S1', terminal: 'T1' };
const CLIENT_ID = 'till-M1-S1-T1';
const RES = 'till/v1/M1/S1/T1/res';

const persistenceFile = (broker: Broker) => join(broker.dir, 'data', 'mosquitto.db');

/** Waits until mosquitto has written a persistence file that mentions the client id. */
async function sessionSaved(broker: Broker): Promise<void> {
  await waitFor(async () => (await readFile(persistenceFile(broker)).catch(() => Buffer.alloc(0))).includes(CLIENT_ID),
    { what: 'session saved by mosquitto' });
}

/** An MQTT 5 uplink to `broker`, started and online, stopped at the test's end. */
async function onlineUplink(t: Test, broker: Broker): Promise<Uplink> {
  const { log } = capturingLogger();
  const uplink = new Uplink({
    config: uplinkConfigSchema.parse({ url: broker.url }),
    url: broker.url, protocolVersion: 5, identity: IDENTITY, version: 'test', log,
  });
  uplink.start();
  t.teardown(() => uplink.stop());
  await waitFor(() => uplink.connected, { what: 'uplink online' });
  return uplink;
}

t.test('a resumed session without its subscription: the uplink subscribes again and hears responses', async (t) => {
  const broker = await startBroker(t);
  // A snapshot of the broker holding the till's session but no subscription yet.
  const early = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: CLIENT_ID, clean: false, properties: { sessionExpiryInterval: 3600 } });
  await early.endAsync();
  await sessionSaved(broker);
  await broker.kill();
  const snapshot = join(await tempDir(t, 'till-snapshot-'), 'mosquitto.db');
  await copyFile(persistenceFile(broker), snapshot);
  await broker.restart();

  const { log, lines } = capturingLogger();
  const uplink = new Uplink({
    config: uplinkConfigSchema.parse({ url: broker.url }),
    url: broker.url, protocolVersion: 5, identity: IDENTITY, version: 'test', log,
  });
  const states: UplinkState[] = [];
  uplink.onState((s) => states.push(s));
  const heard: UpstreamResponse[] = [];
  uplink.onLateResponse((r) => heard.push(r));
  uplink.start();
  t.teardown(() => uplink.stop());

  let responders = 0;
  const respond = async (request_id: string) => {
    const responder = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `responder-${++responders}`, clean: true, reconnectPeriod: 0 });
    try {
      await responder.publishAsync(RES, JSON.stringify({ v: 1, request_id, results: [] }), { qos: 1 });
    } finally {
      await responder.endAsync();
    }
    await waitFor(() => heard.some((r) => r.request_id === request_id), { what: `response ${request_id} heard by the uplink` });
  };
  await waitFor(() => uplink.connected, { what: 'uplink online' });
  await respond('first');

  // The broker dies and comes back from the older file: session present, subscription gone.
  await broker.kill();
  await copyFile(snapshot, persistenceFile(broker));
  await broker.restart();
  await waitFor(() => states.filter((s) => s === 'online').length === 2, { what: 'uplink online again', timeout: 15_000 });
  const connects = lines.filter((l) => l.msg === 'uplink connected, subscribing');
  t.equal(connects.at(-1)?.session_present, true, 'the broker resumed the session');
  await respond('after-restart');
  t.pass('responses reach the till after the restart');
});

t.test('broker down: reconnect attempts back off, and so do the warnings', async (t) => {
  // Port 1: nothing listens there, and no test binds it. A port freePort() saw free may be taken
  // meanwhile by another test file's listener: an attempt accepted and closed logs no error (the
  // likely cause of a focused-suite run that missed attempt 2's line).
  const port = 1;
  const { log, lines } = capturingLogger();
  const url = `mqtt://127.0.0.1:${port}`;
  const uplink = new Uplink({ config: uplinkConfigSchema.parse({ url }), url, protocolVersion: 5, identity: IDENTITY, version: 'test', log });
  uplink.start();
  t.teardown(() => uplink.stop());
  const failures = () => lines.filter((l) => l.msg === 'uplink error');
  await waitFor(() => failures().some((l) => l.attempt === 4), { what: 'the fourth reconnect attempt failing', timeout: 20_000 });
  const seen = failures().filter((l) => (l.attempt as number) <= 4);
  t.same(seen.map((l) => l.attempt), [1, 2, 3, 4], 'one failure per attempt');
  t.same(seen.map((l) => l.retry_in_ms), [1000, 2000, 4000, 8000], 'the wait doubles');
  t.same(seen.filter((l) => l.level === 'warn').map((l) => l.attempt), [1, 2, 4], 'the same error again is a warning only on attempts 1, 2, 4, 8…');
  t.equal(seen.find((l) => l.attempt === 3)?.level, 'debug');
  // Lower bounds only: a slow machine can only make the gaps longer.
  const at = seen.map((l) => Date.parse(l.time as string));
  for (let i = 1; i < at.length; i++) {
    t.ok(at[i]! - at[i - 1]! >= (seen[i - 1]!.retry_in_ms as number) - 50, `attempt ${i + 1} came after the announced wait`);
  }
  t.match(uplink.lastError, /ECONNREFUSED/, 'status shows the last error');
});

t.test('no host subscribed: the broker says so in the PUBACK and the request fails at once, not at its timeout', async (t) => {
  const broker = await startBroker(t);
  const uplink = await onlineUplink(t, broker);

  // Nothing subscribes to the request topic (a broker restarted before the host subscribed again).
  // The timeout is long: without the PUBACK's reason code this would end as UPSTREAM_TIMEOUT.
  const refused = await uplink.request([], 60_000).then(() => undefined, (error: unknown) => error as { code?: string; message?: string });
  t.equal(refused?.code, 'UPSTREAM_UNAVAILABLE', 'failed as unavailable, not as a timeout');
  t.match(refused?.message ?? '', /no loyalty host is subscribed/);
  t.match(uplink.lastError ?? '', /no loyalty host is subscribed/, 'status shows why');

  // A host subscribes: the next request is delivered and answered, and the error clears.
  const host = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'host-1', clean: true, reconnectPeriod: 0 });
  t.teardown(() => host.endAsync());
  await host.subscribeAsync('till/v1/M1/S1/T1/req', { qos: 1 });
  host.on('message', (_topic, payload) => {
    const { request_id } = JSON.parse(payload.toString()) as { request_id: string };
    void host.publishAsync(RES, JSON.stringify({ v: 1, request_id, results: [] }), { qos: 1 });
  });
  const answered = await uplink.request([], 20_000);
  t.same(answered.results, [], 'answered by the host');
  t.equal(uplink.lastError, null, 'the error is cleared once a host answers');
});

t.test("a request and the PUBACK of its answer leave as one write each, with the same properties (runtime/whole-packets.ts)", async (t) => {
  const broker = await startBroker(t);
  const uplink = await onlineUplink(t, broker);
  const host = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'host-w', clean: true, reconnectPeriod: 0 });
  t.teardown(() => host.endAsync());
  await host.subscribeAsync('till/v1/M1/S1/T1/req', { qos: 1 });
  const heard: Array<{ responseTopic?: string; correlationData?: Buffer }> = [];
  host.on('message', (_topic, payload, packet) => {
    heard.push(packet.properties ?? {});
    const { request_id } = JSON.parse(payload.toString()) as { request_id: string };
    void host.publishAsync(RES, JSON.stringify({ v: 1, request_id, results: [] }), { qos: 1 });
  });
  // Every chunk the uplink's socket is asked to write.
  const client = (uplink as unknown as { client: { stream: { write: (chunk: Buffer, ...rest: unknown[]) => boolean } } }).client;
  const write = client.stream.write.bind(client.stream);
  const chunks: Buffer[] = [];
  client.stream.write = (chunk, ...rest) => {
    chunks.push(Buffer.from(chunk));
    return write(chunk, ...rest);
  };
  const answered = await uplink.request([], 20_000);
  t.same(answered.results, []);
  await waitFor(() => chunks.some((c) => c[0]! >> 4 === 4), { what: "the answer's PUBACK" });
  t.same(chunks.map((c) => c[0]! >> 4), [3, 4], 'one PUBLISH, one PUBACK: a write each (mqtt-packet wrote one per field)');
  t.equal(heard[0]?.responseTopic, RES, 'the response topic as before');
  t.equal(heard[0]?.correlationData?.toString(), answered.request_id, 'the correlation data as before');
});

t.test('a tracer subscribed to runtime/trace.ts hears when a request was sent and when its answer arrived', async (t) => {
  const broker = await startBroker(t);
  const heard: UplinkTrace[] = [];
  const listen = (m: unknown) => heard.push(m as UplinkTrace);
  uplinkTrace.subscribe(listen);
  t.teardown(() => uplinkTrace.unsubscribe(listen));
  const uplink = await onlineUplink(t, broker);
  const host = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'host-trace', clean: true, reconnectPeriod: 0 });
  t.teardown(() => host.endAsync());
  await host.subscribeAsync('till/v1/M1/S1/T1/req', { qos: 1 });
  host.on('message', (_topic, payload) => {
    const { request_id } = JSON.parse(payload.toString()) as { request_id: string };
    void host.publishAsync(RES, JSON.stringify({ v: 1, request_id, results: [] }), { qos: 1 });
  });
  const before = performance.now();
  const answered = await uplink.request([], 20_000);
  const after = performance.now();
  const sent = heard.find((m) => m.request_id === answered.request_id && m.sent !== undefined)?.sent;
  const back = heard.find((m) => m.request_id === answered.request_id && m.answered !== undefined)?.answered;
  t.ok(sent !== undefined && back !== undefined, 'both points heard, under the request id');
  t.ok(before <= sent! && sent! <= back! && back! <= after, 'in order, within the request');
  t.equal(heard.length, 2, 'one each');
});

t.test("the host's time reaches the till clock after the answer's promise continuations, before any other I/O callback", async (t) => {
  const broker = await startBroker(t);
  const order: string[] = [];
  const heard: number[] = [];
  const { log } = capturingLogger();
  const uplink = new Uplink({
    config: uplinkConfigSchema.parse({ url: broker.url }),
    url: broker.url, protocolVersion: 5, identity: IDENTITY, version: 'test', log,
    onHostTime: (ms) => {
      order.push('host time');
      heard.push(ms);
    },
  });
  uplink.start();
  t.teardown(() => uplink.stop());
  await waitFor(() => uplink.connected, { what: 'uplink online' });
  const host = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'host-t', clean: true, reconnectPeriod: 0 });
  t.teardown(() => host.endAsync());
  await host.subscribeAsync('till/v1/M1/S1/T1/req', { qos: 1 });
  const AT = Date.parse('2026-01-01T00:00:00.000Z');
  host.on('message', (_topic, payload) => {
    const { request_id } = JSON.parse(payload.toString()) as { request_id: string };
    void host.publishAsync(RES, JSON.stringify({ v: 1, request_id, results: [], at: new Date(AT).toISOString() }), { qos: 1 });
  });
  // As the op answering the POS: a few continuations; an I/O callback queued from the first one.
  await uplink.request([], 20_000).then(async () => {
    order.push('answered');
    setImmediate(() => order.push('I/O callback'));
    await null;
    await Promise.resolve();
    order.push('POS answer written');
  });
  await waitFor(() => order.includes('I/O callback'), { what: 'the I/O callback' });
  t.same(order, ['answered', 'POS answer written', 'host time', 'I/O callback'], 'the clock follows the answer, before anything else');
  t.equal(heard.length, 1);
  t.ok(heard[0]! >= AT && heard[0]! < AT + 1000, "the host's time, moved on by the wait");
});

t.test('the link drops: status says why at once, and so does the "uplink offline" line', async (t) => {
  const broker = await startBroker(t);
  const { log, lines } = capturingLogger();
  const uplink = new Uplink({ config: uplinkConfigSchema.parse({ url: broker.url }), url: broker.url, protocolVersion: 5, identity: IDENTITY, version: 'test', log });
  const atOffline: Array<string | null> = [];
  uplink.onState((s) => { if (s === 'offline') atOffline.push(uplink.lastError); });
  uplink.start();
  t.teardown(() => uplink.stop());
  await waitFor(() => uplink.connected, { what: 'uplink online' });
  t.equal(uplink.lastError, null);
  await broker.kill();
  await waitFor(() => atOffline.length > 0, { what: 'uplink offline' });
  t.match(atOffline[0], /the connection to the broker closed|disconnected this till/, 'last_error is set when the state changes, not a second later');
  t.match(lines.find((l) => l.msg === 'uplink offline'), { reason: /broker/ }, 'the line names why');
});
