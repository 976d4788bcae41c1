// The host's trace point for tracing tools (runtime/trace.ts, bench/online-tail.ts): published once a
// request is answered, only while something subscribes, with the socket read that carried the request,
// the start of its handling and the answer's write, in that order.
import t from 'tap';
import mqtt from 'mqtt';
import { Consumer } from '../../host/consumer.ts';
import type { Batch } from '../../host/batch.ts';
import { uplinkConfigSchema } from '../../protocol/uplink-config.ts';
import { hostRequestTrace, type HostRequestTrace } from '../../runtime/trace.ts';
import { startBroker } from '../helpers/broker.ts';
import { award, basket, request } from '../helpers/host-fixtures.ts';
import { silentLogger } from '../../runtime/log.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('each answered request is traced: read <= started <= replied, before the till has the answer', async (t) => {
  const broker = await startBroker(t);
  const traced: HostRequestTrace[] = [];
  const listen = (m: unknown) => traced.push(m as HostRequestTrace);
  hostRequestTrace.subscribe(listen);
  t.teardown(() => hostRequestTrace.unsubscribe(listen));
  const consumer = new Consumer({
    uplink: uplinkConfigSchema.parse({ url: broker.url }),
    clientId: 'host-trace',
    persistentSession: false,
    handle: (batch: Batch) => ({
      response: { v: 1, request_id: batch.request_id, results: batch.items.map((m) => ({ id: m.ok ? m.message.id : m.id, ok: true as const, result: {} })) },
      applied: batch.items.length, duplicates: 0, failed: 0, refused: false,
    }),
    log: silentLogger(),
  });
  await consumer.start();
  t.teardown(() => consumer.stop());
  await consumer.ready;
  const till = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'till-trace', clean: true });
  t.teardown(() => till.endAsync(true));
  const answered: string[] = [];
  till.on('message', (_topic, payload) => answered.push((JSON.parse(payload.toString()) as { request_id: string }).request_id));
  await till.subscribeAsync('till/v1/M1/S1/T1/res', { qos: 1 });
  const ids: string[] = [];
  for (const txn of ['txn-1', 'txn-2']) {
    const req = request([award('P-1', basket([['sku-1', 100]]), txn)]);
    const published = performance.now();
    await till.publishAsync('till/v1/M1/S1/T1/req', JSON.stringify(req), { qos: 1 });
    await waitFor(() => answered.includes(req.request_id) || undefined, { what: `the answer to ${req.request_id}` });
    const trace = traced.find((m) => m.request_id === req.request_id);
    t.ok(trace, `${txn} traced`);
    t.ok(published <= trace!.read && trace!.read <= trace!.started && trace!.started <= trace!.replied && trace!.replied <= performance.now(),
      `${txn}: read, started, replied in order, after the till's publish`);
    ids.push(req.request_id);
  }
  t.same(traced.map((m) => m.request_id), ids, 'one trace per request');
});
