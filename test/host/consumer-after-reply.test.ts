// The consumer's upkeep hook (afterReply, the store's checkpoint in startHost): once per request,
// after its reply was handed to MQTT.js; a failing hook is logged and the host serves on.
import t from 'tap';
import mqtt from 'mqtt';
import { Consumer } from '../../host/consumer.ts';
import type { Batch } from '../../host/batch.ts';
import { uplinkConfigSchema } from '../../protocol/uplink-config.ts';
import { startBroker } from '../helpers/broker.ts';
import { award, basket, request } from '../helpers/host-fixtures.ts';
import { capturingLogger } from '../helpers/log-capture.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('afterReply runs once per request, after its reply; when it throws, the host says so and serves on', async (t) => {
  const broker = await startBroker(t);
  const { log, lines } = capturingLogger();
  const order: string[] = [];
  let failNext = false;
  const consumer = new Consumer({
    uplink: uplinkConfigSchema.parse({ url: broker.url }),
    clientId: 'host-after-reply',
    persistentSession: false,
    handle: (batch: Batch) => {
      order.push(`handle ${batch.request_id}`);
      return {
        response: { v: 1, request_id: batch.request_id, results: batch.items.map((m) => ({ id: m.ok ? m.message.id : m.id, ok: true as const, result: {} })) },
        applied: batch.items.length, duplicates: 0, failed: 0,
      };
    },
    afterReply: () => {
      order.push('afterReply');
      if (failNext) {
        failNext = false;
        throw new Error('checkpoint failed');
      }
    },
    log,
  });
  await consumer.start();
  t.teardown(() => consumer.stop());
  await consumer.ready;

  const till = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'till-after-reply', clean: true });
  t.teardown(() => till.endAsync(true));
  const answered: string[] = [];
  till.on('message', (_topic, payload) => {
    answered.push((JSON.parse(payload.toString()) as { request_id: string }).request_id);
  });
  await till.subscribeAsync('till/v1/M1/S1/T1/res', { qos: 1 });
  const send = async () => {
    const req = request([award('P-1', basket([['sku-1', 100]]), `txn-${answered.length}`)]);
    await till.publishAsync('till/v1/M1/S1/T1/req', JSON.stringify(req), { qos: 1 });
    await waitFor(() => answered.includes(req.request_id) && order.at(-1) === 'afterReply' ? true : undefined, { what: `reply to ${req.request_id}` });
    return req.request_id;
  };

  const first = await send();
  t.same(order, [`handle ${first}`, 'afterReply']);
  failNext = true;
  const second = await send();
  await waitFor(() => lines.some((l) => l.msg === 'store upkeep after a request failed') || undefined, { what: 'the failure logged' });
  const third = await send();
  t.same(order, [`handle ${first}`, 'afterReply', `handle ${second}`, 'afterReply', `handle ${third}`, 'afterReply'], 'once per request, the host serving on');
  t.equal(lines.filter((l) => l.msg === 'request handled').length, 3, 'each request logged');
});
