// The host's stop with its broker frozen (SIGSTOP) while answers wait for their PUBACKs: the stop
// ends, and once it has, the host's connection is closed: the broker, back, hands it nothing more
// (before, the connection stayed open after the stop gave up, and requests the broker had buffered
// were then handled against the closed ledger).
import t, { type Test } from 'tap';
import mqtt from 'mqtt';
import { hostConfigSchema } from '../../host/config.ts';
import { startHost } from '../../host/start-host.ts';
import { startBroker } from '../helpers/broker.ts';
import { award, basket, request, writeSeed } from '../helpers/host-fixtures.ts';
import { capturingLogger } from '../helpers/log-capture.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

async function hostAndTill(t: Test) {
  const broker = await startBroker(t);
  const dir = await tempDir(t, 'till-host-stop-');
  const config = hostConfigSchema.parse({ data_dir: dir, seed: await writeSeed(dir), uplink: { url: broker.url, client_id: 'host-stop-under-test' } });
  const { log, lines } = capturingLogger();
  const host = await startHost(config, log);
  t.teardown(() => host.stop());
  await host.ready;
  const till = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `till-stop-${process.pid}`, clean: true });
  t.teardown(() => till.endAsync(true));
  await till.subscribeAsync('till/v1/M1/S1/T1/res', { qos: 1 });
  const answered = new Set<string>();
  till.on('message', (_topic, payload) => answered.add((JSON.parse(payload.toString()) as { request_id: string }).request_id));
  // Many requests at once: the host answers them one by one.
  const sent: string[] = [];
  for (let i = 0; i < 200; i++) {
    const req = request([award('P1', basket([['COFFEE', 1000]]), `stop-${i}`)]);
    sent.push(req.request_id);
    void till.publishAsync('till/v1/M1/S1/T1/req', JSON.stringify(req), { qos: 1 }).catch(() => undefined);
  }
  await waitFor(() => lines.some((l) => l.msg === 'request handled'), { what: 'the host answering' });
  return { broker, host, lines, answered, sent };
}

t.test('a stop with the broker up: the answers given are acknowledged first, none is dropped', async (t) => {
  const { host, lines, answered, sent } = await hostAndTill(t);
  await host.stop();
  t.notOk(lines.some((l) => l.msg === 'replies still unacknowledged at stop'), 'every answer acknowledged before the DISCONNECT');
  t.notOk(lines.some((l) => l.msg === 'reply not delivered'), 'no request applied with its answer refused by the ending client');
  const handled = lines.filter((l) => l.msg === 'request handled').length;
  t.ok(handled > 0, `${handled} handled before the stop`);
  await waitFor(() => answered.size >= handled || undefined, { what: 'the answers at the till' });
  t.ok(sent.slice(0, answered.size).every((id) => answered.has(id)), 'the till has the answers to the requests handled, in order');
});

t.test('a stop with the broker frozen closes the connection: nothing is handled after it', async (t) => {
  // The broker freezes with the rest of the requests buffered for the host, some answers unacknowledged.
  const { broker, host, lines } = await hostAndTill(t);
  broker.signal('SIGSTOP');
  t.teardown(() => broker.signal('SIGCONT'));
  await host.stop();
  const stoppedAt = lines.findIndex((l) => l.msg === 'host stopped');
  t.ok(stoppedAt >= 0, 'host stopped');

  broker.signal('SIGCONT');
  // What the broker still had for the host would reach it within a few milliseconds of waking up.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const after = lines.slice(stoppedAt + 1).map((l) => l.msg);
  t.same(after, [], 'nothing logged after "host stopped": no request handled, none failed');
});
