// The retained status topic: online while the agent runs, offline by Last Will when it dies.
import t from 'tap';
import mqtt from 'mqtt';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('retained status: online, then offline via the Last Will after SIGKILL', async (t) => {
  const sys = await startSystem(t, { startHost: false });
  await sys.waitOnline();
  const fleet = await mqtt.connectAsync(sys.broker.url, { protocolVersion: 5, clean: true });
  t.teardown(() => fleet.endAsync(true));
  const seen: Array<{ state: string; retain: boolean }> = [];
  fleet.on('message', (_topic, payload, packet) => {
    seen.push({ ...(JSON.parse(payload.toString()) as { state: string }), retain: packet.retain });
  });
  await fleet.subscribeAsync('till/v1/M1/S1/T1/status', { qos: 1 });
  await waitFor(() => seen.find((s) => s.state === 'online' && s.retain), { what: 'retained online status' });
  t.match(seen.find((s) => s.state === 'online'), { version: /\d+\.\d+\.\d+/, outbox: { pending: 0, dead: 0 } });
  await sys.agent.kill('SIGKILL');
  await waitFor(() => seen.find((s) => s.state === 'offline'), { what: 'Last Will: offline', timeout: 60_000 });
  t.pass('the broker published the Last Will');
});
