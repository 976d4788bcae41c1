// protocol/uplink-config.ts mqttConnectOptions: MQTT.js's own debug log is replaced by a no-op only when
// the `debug` package would show nothing (DEBUG unset or empty); with DEBUG set it is left to MQTT.js.
import t from 'tap';
import { mqttConnectOptions, uplinkConfigSchema } from '../../protocol/uplink-config.ts';

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
