// protocol/uplink-config.ts mqttConnectOptions and brokerSettings. mqttConnectOptions: MQTT.js's own debug log is replaced by a no-op only when
// the `debug` package would show nothing (DEBUG unset or empty); with DEBUG set it is left to MQTT.js.
import t from 'tap';
import { createHash } from 'node:crypto';
import { brokerSettings, mqttConnectOptions, uplinkConfigSchema } from '../../protocol/uplink-config.ts';

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

t.test('brokerSettings (status, doctor): the URL without userinfo, the certificates by SHA-256', async (t) => {
  const cert = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const shown = brokerSettings('mqtts://till-7:s3cret@broker.example:8883', { cert, key: Buffer.from('private') });
  t.same(shown, {
    url: 'mqtts://broker.example:8883',
    ca_sha256: null,
    cert_sha256: createHash('sha256').update(cert).digest('hex'),
  });
  t.notMatch(JSON.stringify(shown), /s3cret|till-7|private/, 'no user name, password or key');
  t.equal(brokerSettings('mqtt://127.0.0.1:1234', {}).url, 'mqtt://127.0.0.1:1234', 'a URL without userinfo as it is');
});
