// `till-agent host --doctor`'s broker line (host/broker-reach.ts) against real mosquitto brokers:
// reachable or not, the TLS handshake with the configured CA and client certificate, and never an
// MQTT login (on the fleet broker it would take over the running host's session).
import t from 'tap';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { checkBrokerReach } from '../../host/broker-reach.ts';
import { uplinkConfigSchema } from '../../protocol/uplink-config.ts';
import { startBroker } from '../helpers/broker.ts';
import { makeCerts } from '../helpers/certs.ts';
import { freePort } from '../helpers/ports.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const uplink = (fields: Record<string, unknown>) => uplinkConfigSchema.parse(fields);

t.test('plain mqtt://: reachable over TCP, no MQTT login; a closed port is ✖ with the hint', async (t) => {
  // notice: mosquitto logs each TCP connection ("New connection") and each login ("New client connected").
  const broker = await startBroker(t, { listener: (port) => `listener ${port} 127.0.0.1\nallow_anonymous true\nlog_type notice` });
  const ok = await checkBrokerReach(uplink({ url: broker.url, client_id: 'till-host-a' }));
  t.match(ok, { name: 'broker', ok: true, detail: /^mqtt:\/\/127\.0\.0\.1:\d+: reachable \(TCP\); MQTT login not tried/ });
  await waitFor(() => /New connection from 127\.0\.0\.1/.test(broker.log()), { what: 'the broker seeing the connection' });
  t.notMatch(broker.log(), /New client connected/, 'no MQTT CONNECT: the running host\'s session is left alone');

  const closed = await checkBrokerReach(uplink({ url: `mqtt://127.0.0.1:${await freePort()}` }));
  t.match(closed, { ok: false, detail: /ECONNREFUSED.*check uplink\.url \(or TILL_HOST_BROKER_URL\)/ });
});

t.test('mqtts:// with client certificates: the handshake with the right files ✔, each wrong file ✖', async (t) => {
  const dir = await tempDir(t, 'till-reach-certs-');
  await chmod(dir, 0o755);
  const certs = await makeCerts(dir);
  await chmod(certs.serverKey, 0o644); // mosquitto may read it as the mosquitto user
  const broker = await startBroker(t, { tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireCertificate: true } });
  const files = { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey };

  t.match(await checkBrokerReach(uplink({ url: broker.url, ...files })),
    { ok: true, detail: /: TLS handshake accepted \(TLSv1\.[23]; server certificate verified, client certificate sent\); MQTT login not tried/ });
  t.match(await checkBrokerReach(uplink({ url: broker.url, ca: certs.ca })),
    { ok: false, detail: /^mqtts:\/\/127\.0\.0\.1:\d+: [^\n]*(certificate required|closed the connection)[^\n]*; [^\n]*client certificate[^\n]*$/ },
    'no client certificate: refused by the broker (TLS 1.3: just after the handshake), in one line');
  t.match(await checkBrokerReach(uplink({ url: broker.url, ca: certs.clientCert, cert: certs.clientCert, key: certs.clientKey })),
    { ok: false, detail: /certificate.*check uplink\.ca/ }, 'another CA: the broker\'s certificate does not verify');
  t.match(await checkBrokerReach(uplink({ url: broker.url, ...files, ca: join(dir, 'missing.pem') })),
    { ok: false, detail: /cannot read TLS file .*missing\.pem: ENOENT/ });
});
