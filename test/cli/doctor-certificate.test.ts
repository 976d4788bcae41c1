// A till certificate out of its dates: the broker refuses it with a TLS alert that names no file
// ("sslv3 alert certificate expired"), which doctor's hint read as uplink.ca or the broker's
// certificate. Doctor and the agent's start now say which file expired, when, and what to do.
import { fileURLToPath } from 'node:url';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { certificateDates, isCertificateDateAlert } from '../../runtime/certificate-dates.ts';
import { cli } from '../helpers/cli.ts';
import { makeCerts } from '../helpers/certs.ts';
import { startBroker } from '../helpers/broker.ts';
import { startProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/tmp.ts';

const EXPIRED = fileURLToPath(new URL('../fixtures/tls/expired-till.pem', import.meta.url));
const EXPIRED_KEY = fileURLToPath(new URL('../fixtures/tls/expired-till.key', import.meta.url));

t.test('certificateDates: expired, not yet valid, or fine, by the given clock', async (t) => {
  const dir = await tempDir(t, 'till-cert-');
  const fresh = await readFile((await makeCerts(dir)).clientCert);
  t.equal(certificateDates(fresh, '/etc/till-agent/till.pem', new Date()), undefined, 'valid now');
  t.match(certificateDates(fresh, '/etc/till-agent/till.pem', new Date('2100-01-01T00:00:00Z')), {
    problem: /^uplink\.cert \/etc\/till-agent\/till\.pem expired on \d{4}-.*this machine's clock says 2100-01-01T00:00:00\.000Z/,
    hint: /till-certs\.sh till MERCHANT STORE TERMINAL.*uplink\.cert and uplink\.key.*timedatectl/,
  });
  t.match(certificateDates(fresh, '/x.pem', new Date('2000-01-01T00:00:00Z')), { problem: /is not valid before/, hint: /clock is probably behind/ });
  t.equal(certificateDates(Buffer.from('not a certificate'), '/x.pem', new Date()), undefined, 'left to the handshake');
  t.ok(isCertificateDateAlert({ code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', message: '' }));
  t.notOk(isCertificateDateAlert({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }));
});

t.test('doctor: the expired uplink.cert is named with its date and the fix, not "check uplink.ca"', async (t) => {
  const dir = await tempDir(t, 'till-cert-');
  const config = join(dir, 'config.yaml');
  await writeFile(config, `terminal: T1\nstore: S1\nmerchant: M1\ndata_dir: data\nuplink:\n  url: mqtts://127.0.0.1:9\n`
    + `  cert: ${EXPIRED}\n  key: ${EXPIRED_KEY}\n`);
  const r = await cli('doctor', '--config', config, '--timeout-ms', '500');
  t.equal(r.code, 1, r.out);
  t.match(r.out, /✖ broker +uplink\.cert .*expired-till\.pem expired on 2024-02-01T00:00:00\.000Z \(this machine's clock says /);
  t.match(r.out, /hint: issue a new certificate .*till-certs\.sh till/);
  t.notMatch(r.out, /check uplink\.ca/);
});

t.test('the agent says so at start, once, naming the file', async (t) => {
  const dir = await tempDir(t, 'till-cert-');
  const config = join(dir, 'config.yaml');
  await writeFile(config, `terminal: T1\nstore: S1\nmerchant: M1\ndata_dir: data\nsocket: { tcp: "127.0.0.1:0", unix: false }\n`
    + `uplink:\n  url: mqtts://127.0.0.1:9\n  cert: ${EXPIRED}\n  key: ${EXPIRED_KEY}\n`);
  const agent = startProcess(t, ['run', '--config', config]);
  const line = await agent.waitForLog((l) => /expired on 2024-02-01/.test(String(l.msg)), 'the warning');
  t.match(line, { level: /warn|40/, msg: /^uplink\.cert .*expired-till\.pem expired on 2024-02-01/, hint: /till-certs\.sh till/ });
  await agent.kill('SIGTERM');
});

t.test('uplink.reject_unauthorized false: doctor says the broker is not verified, the agent warns INSECURE at start', async (t) => {
  const dir = await tempDir(t, 'till-cert-');
  await chmod(dir, 0o755);
  const certs = await makeCerts(dir);
  await chmod(certs.serverKey, 0o644); // mosquitto may read it as the mosquitto user
  const broker = await startBroker(t, { tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey } });
  const config = join(dir, 'config.yaml');
  await writeFile(config, `terminal: T1\nstore: S1\nmerchant: M1\ndata_dir: data\nsocket: { tcp: "127.0.0.1:0", unix: false }\n`
    + `uplink:\n  url: ${broker.url}\n  reject_unauthorized: false\n`);
  const r = await cli('doctor', '--config', config, '--timeout-ms', '3000');
  t.match(r.out, /✔ broker +mqtts:\/\/127\.0\.0\.1:\d+ accepted the connection \(TLS, the broker's certificate NOT verified: uplink\.reject_unauthorized is false/);
  const agent = startProcess(t, ['run', '--config', config]);
  const line = await agent.waitForLog((l) => /^INSECURE: uplink\.reject_unauthorized is false/.test(String(l.msg)), 'the warning');
  t.match(line, { level: /warn|40/, insecure: true });
  await agent.kill('SIGTERM');
});

t.test('the host: its expired uplink.cert named by --doctor and at start, with the host\'s renewal', async (t) => {
  const dir = await tempDir(t, 'till-cert-');
  const config = join(dir, 'host.yaml');
  await writeFile(config, `data_dir: ${join(dir, 'data')}\nuplink:\n  url: mqtts://127.0.0.1:9\n  cert: ${EXPIRED}\n  key: ${EXPIRED_KEY}\n`);
  const doctor = await cli('host', '--config', config, '--doctor');
  t.equal(doctor.code, 1, doctor.out);
  t.match(doctor.out, /✖ broker +uplink\.cert .*expired-till\.pem expired on 2024-02-01T00:00:00\.000Z .*till-certs\.sh host NAME/);
  const host = startProcess(t, ['host', '--config', config]);
  const line = await host.waitForLog((l) => /expired on 2024-02-01/.test(String(l.msg)), 'the warning');
  t.match(line, { level: /warn|40/, msg: /^uplink\.cert .*expired-till\.pem expired on 2024-02-01/, hint: /till-certs\.sh host NAME/ });
  await host.kill('SIGTERM');
});
