// A broker URL with userinfo (mqtt://user:password@host, in uplink.url or TILL_HOST_BROKER_URL):
// the host's 'consumer connecting' line shows it without the user name and password.
import t from 'tap';
import { Consumer } from '../../host/consumer.ts';
import { uplinkConfigSchema } from '../../protocol/uplink-config.ts';
import { startBroker } from '../helpers/broker.ts';
import { capturingLogger } from '../helpers/log-capture.ts';

t.test('the host never logs the password of a broker URL', async (t) => {
  const broker = await startBroker(t); // anonymous: it takes any user name and password
  const { log, lines } = capturingLogger();
  const url = broker.url.replace('mqtt://', 'mqtt://host-user:UrlPassw0rd-xyz@');
  const consumer = new Consumer({
    uplink: uplinkConfigSchema.parse({ url }),
    clientId: 'host-url-log',
    persistentSession: false,
    handle: () => { throw new Error('no request expected'); },
    log,
  });
  await consumer.start();
  t.teardown(() => consumer.stop());
  await consumer.ready;
  t.match(lines.find((l) => l.msg === 'consumer connecting'), { url: broker.url }, 'the URL without userinfo');
  const text = JSON.stringify(lines);
  t.notOk(text.includes('UrlPassw0rd-xyz'), 'no password in the log');
  t.notOk(text.includes('host-user'), 'no user name from the URL in the log');
});
