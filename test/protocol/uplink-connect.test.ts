// protocol/uplink-config.ts mqttConnectOptions, brokerSettings and agentClientId. mqttConnectOptions: MQTT.js's own debug log is replaced by a no-op only when
// the `debug` package would show nothing (DEBUG unset or empty); with DEBUG set it is left to MQTT.js.
import t from 'tap';
import { createHash } from 'node:crypto';
import { agentClientId, brokerSettings, mqttConnectOptions, uplinkConfigSchema } from '../../protocol/uplink-config.ts';

const config = uplinkConfigSchema.parse({ url: 'mqtt://127.0.0.1:1' });

t.test('no DEBUG: MQTT.js gets a log that does nothing', async (t) => {
  for (const env of [{}, { DEBUG: '' }]) {
    const { log } = mqttConnectOptions(config, 'c1', {}, env);
    t.type(log, 'function', JSON.stringify(env));
    t.equal(log?.('connect :: %o', { a: 1 }), undefined);
  }
});

t.test('DEBUG set: MQTT.js keeps its own debug log', async (t) => {
  for (const DEBUG of ['mqttjs*', 'something-else']) t.notOk('log' in mqttConnectOptions(config, 'c1', {}, { DEBUG }), DEBUG);
});

t.test('brokerSettings (status, doctor): the URL without userinfo, the certificates by SHA-256, the non-secret connect settings', async (t) => {
  const cert = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const connect = { clientId: 'till-M1-S1-T1', username: 'fleet-user', protocolVersion: 5, rejectUnauthorized: true } as const;
  const shown = brokerSettings('mqtts://till-7:s3cret@broker.example:8883', { cert, key: Buffer.from('private') }, connect);
  t.same(shown, {
    url: 'mqtts://broker.example:8883',
    ca_sha256: null,
    cert_sha256: createHash('sha256').update(cert).digest('hex'),
    username: 'fleet-user',
    client_id: 'till-M1-S1-T1',
    protocol_version: 5,
    reject_unauthorized: true,
  });
  t.notMatch(JSON.stringify(shown), /s3cret|till-7|private/, 'no user name or password of the URL, no key');
  const plain = brokerSettings('mqtt://127.0.0.1:1234', {}, { ...connect, username: undefined, protocolVersion: 4, rejectUnauthorized: false });
  t.equal(plain.url, 'mqtt://127.0.0.1:1234', 'a URL without userinfo as it is');
  t.match(plain, { username: null, protocol_version: 4, reject_unauthorized: false });
});

t.test('agentClientId: uplink.client_id, else one named after the till', async (t) => {
  const till = { merchant: 'M1', store: 'S1', terminal: 'T1' };
  t.equal(agentClientId({ client_id: undefined }, till), 'till-M1-S1-T1');
  t.equal(agentClientId({ client_id: 'lane-4' }, till), 'lane-4');
});
