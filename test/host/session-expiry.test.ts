// A host with uplink.client_id keeps a persistent session for uplink.session_expiry_s (default 60),
// not the agent's 7 days. While the broker keeps a session it hands it its share of the shared
// subscription's requests: with 7 days, a host that stayed down held a third of a 3-host fleet's
// requests until the tills' timeouts (reproduced on mosquitto 2: one host SIGKILLed and not restarted,
// 84 awards answered in 15 s instead of 3,476). The host's real CONNECT is read here by a fake broker.
import t, { type Test } from 'tap';
import { createServer, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnHost } from '../helpers/host-process.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { loadHostConfig } from '../../host/config.ts';

const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
const mqttPacket = fromMqtt('mqtt-packet') as {
  parser(options: { protocolVersion: number }): { on(event: 'packet', fn: (p: Connect) => void): void; parse(b: Buffer): void };
};
interface Connect { cmd: string; clientId: string; clean: boolean; protocolVersion: number; properties?: { sessionExpiryInterval?: number } }

/** The CONNECT of the host started with this uplink config (the fake broker never answers it). */
async function hostConnect(t: Test, uplink: Record<string, unknown>): Promise<Connect> {
  const connects: Connect[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (p) => { if (p.cmd === 'connect') connects.push(p); });
    socket.on('data', (b: Buffer) => parser.parse(b));
  });
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = await tempDir(t, 'till-session-expiry-');
  const file = join(dir, 'host.yaml');
  await writeFile(file, stringify({ data_dir: join(dir, 'data'), uplink: { url: `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`, ...uplink } }));
  spawnHost(t, ['--config', file]);
  return waitFor(() => connects[0], { what: 'the host\'s CONNECT' });
}

t.test('with client_id: a persistent session kept 60 s once the host is gone', async (t) => {
  t.match(await hostConnect(t, { client_id: 'till-host-a' }), { clientId: 'till-host-a', clean: false, properties: { sessionExpiryInterval: 60 } });
});

t.test('uplink.session_expiry_s sets it', async (t) => {
  t.match(await hostConnect(t, { client_id: 'till-host-a', session_expiry_s: 5 }), { clean: false, properties: { sessionExpiryInterval: 5 } });
});

t.test('without client_id: a clean session, nothing kept', async (t) => {
  t.match(await hostConnect(t, {}), { clean: true, properties: { sessionExpiryInterval: 0 } });
});

t.test('session_expiry_s must be whole seconds from 1 to 7 days', async (t) => {
  const dir = await tempDir(t, 'till-session-expiry-config-');
  for (const [value, message] of [[0, 'must be at least 1'], [604_801, 'must be at most 604800 (7 days)'], [1.5, 'must be a whole number of seconds']] as const) {
    const file = join(dir, 'host.yaml');
    await writeFile(file, stringify({ data_dir: dir, uplink: { url: 'mqtt://127.0.0.1:1', client_id: 'h', session_expiry_s: value } }));
    t.throws(() => loadHostConfig(file), { message: new RegExp(`uplink\\.session_expiry_s: ${message.replace(/[()]/g, '\\$&')}`) });
  }
});
