// MQTT over TLS with client certificates, against a mosquitto configured with
// certificates generated in this test.
import t from 'tap';
import { chmod } from 'node:fs/promises';
import { makeCerts } from '../helpers/certs.ts';
import { startSystem } from '../helpers/system.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('agent and host talk through a TLS broker that requires client certificates', async (t) => {
  const dir = await tempDir(t, 'till-certs-');
  await chmod(dir, 0o755);
  const certs = await makeCerts(dir);
  await chmod(certs.serverKey, 0o644); // mosquitto may read it as the mosquitto user
  const tls = { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey };
  const sys = await startSystem(t, {
    tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireCertificate: true },
    agentTls: tls,
    hostTls: tls,
  });
  t.match(sys.broker.url, /^mqtts:/);
  await sys.waitOnline();
  const pos = await sys.pos();
  const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };
  t.match(await pos.request('award', { txn_id: 'tls-1', customer_id: 'alice', basket }), { ok: true, result: { status: 'awarded', award_amount: 100 } });
});

t.test('without a client certificate the broker refuses the agent, and it says so in status', async (t) => {
  const dir = await tempDir(t, 'till-certs-');
  await chmod(dir, 0o755);
  const certs = await makeCerts(dir);
  await chmod(certs.serverKey, 0o644);
  const sys = await startSystem(t, {
    tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireCertificate: true },
    agentTls: { ca: certs.ca },
    startHost: false,
  });
  const pos = await sys.pos();
  const status = await waitFor(async () => {
    const r = await pos.request('status');
    const s = r.ok ? (r.result as { uplink: { connected: boolean; last_error: string | null } }) : undefined;
    return s && s.uplink.last_error ? s : undefined;
  }, { what: 'uplink error reported' });
  t.equal(status.uplink.connected, false);
});
