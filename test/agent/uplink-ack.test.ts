// The uplink acknowledges (PUBACK) each host answer a turn after handling it (after the outbox
// settle and the POS's answer): an answer handled is acknowledged, so the broker does not send
// it again when the till's persistent session resumes.
import t from 'tap';
import mqtt from 'mqtt';
import { Uplink } from '../../agent/upstream/uplink.ts';
import { uplinkConfigSchema } from '../../protocol/uplink-config.ts';
import type { UpstreamResponse } from '../../protocol/upstream.ts';
import { silentLogger } from '../../runtime/log.ts';
import { startBroker, type Broker } from '../helpers/broker.ts';
import { waitFor } from '../helpers/wait.ts';

const IDENTITY = { merchant: 'M1', store: 'S1', terminal: 'T1' };
const RES = 'till/v1/M1/S1/T1/res';

function uplinkOn(broker: Broker, heard: string[]): Uplink {
  const uplink = new Uplink({
    config: uplinkConfigSchema.parse({ url: broker.url }),
    url: broker.url, protocolVersion: 5, identity: IDENTITY, version: 'test', log: silentLogger(),
  });
  uplink.onLateResponse((r: UpstreamResponse) => heard.push(r.request_id));
  uplink.start();
  return uplink;
}

t.test('host answers are acknowledged: a resumed session gets none of them again', async (t) => {
  const broker = await startBroker(t);
  const responder = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'responder', clean: true });
  t.teardown(() => responder.endAsync(true));
  const answer = (request_id: string) => responder.publishAsync(RES, JSON.stringify({ v: 1, request_id, results: [] }), { qos: 1 });

  const heard: string[] = [];
  const first = uplinkOn(broker, heard);
  await waitFor(() => first.connected, { what: 'uplink online' });
  for (const id of ['a1', 'a2', 'a3']) await answer(id);
  await waitFor(() => heard.length === 3 || undefined, { what: 'three answers heard' });
  await first.stop();

  // The same till again (same client id, persistent session): unacknowledged answers would come first.
  const second = uplinkOn(broker, heard);
  t.teardown(() => second.stop());
  await waitFor(() => second.connected, { what: 'uplink online again' });
  await answer('after');
  await waitFor(() => heard.includes('after') || undefined, { what: 'the new answer heard' });
  t.same(heard, ['a1', 'a2', 'a3', 'after'], 'each answer heard once');
});
