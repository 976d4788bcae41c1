import t from 'tap';
import { ConfigError, parseConfig } from '../../agent/config.ts';

const minimal = `
terminal: T1
store: S1
merchant: M1
data_dir: ./data
uplink:
  url: mqtt://127.0.0.1:1883
`;

t.test('minimal config gets safe defaults', async (t) => {
  const c = parseConfig(minimal, '/etc/till-agent/config.yaml');
  t.equal(c.socket.tcp, '127.0.0.1:7411', 'TCP on loopback by default');
  t.equal(c.data_dir, '/etc/till-agent/data', 'relative paths resolve against the config file');
  t.equal(c.uplink.request_timeout_ms, 3000);
  t.equal(c.uplink.protocol_version, 5);
  t.equal(c.offline.spend_floor_limit, 0, 'offline spend is off unless configured');
  t.equal(c.socket.token, null);
});

t.test('every error names its key and what is expected, all at once', async (t) => {
  const text = `
terminal: "T/1"
store: S1
data_dir: ./data
socket:
  tcp: 7411
uplink:
  url: http://broker
  request_timeout_ms: 5
offline:
  spend_floor_limit: 12.5
`;
  try {
    parseConfig(text, 'bad.yaml');
    t.fail('should throw');
  } catch (error) {
    t.ok(error instanceof ConfigError);
    const errors = (error as ConfigError).errors.join('\n');
    t.match(errors, /terminal: must not contain/);
    t.match(errors, /merchant: is required \(must be a string naming the merchant\)/);
    t.match(errors, /socket\.tcp: must be "HOST:PORT" or false/);
    t.match(errors, /uplink\.url: must be mqtt:\/\/HOST:PORT, mqtts:\/\/HOST:PORT or "embedded"/);
    t.match(errors, /uplink\.request_timeout_ms: must be at least 100/);
    t.match(errors, /offline\.spend_floor_limit: must be an integer amount in minor units/);
  }
});

t.test('broken YAML is reported, not thrown raw', async (t) => {
  t.throws(() => parseConfig('terminal: [unclosed', 'x.yaml'), ConfigError);
  t.throws(() => parseConfig('- a list', 'x.yaml'), /must be a mapping/);
});

t.test('environment overrides broker URL and data dir', async (t) => {
  const c = parseConfig(minimal, '/x/c.yaml', { TILL_AGENT_BROKER_URL: 'mqtts://broker:8883', TILL_AGENT_DATA_DIR: '/var/lib/till' });
  t.equal(c.uplink.url, 'mqtts://broker:8883');
  t.equal(c.data_dir, '/var/lib/till');
});

t.test('cert without key is refused', async (t) => {
  t.throws(() => parseConfig(minimal + '  cert: /x.pem\n', 'c.yaml'), /uplink\.cert: cert and key must be given together/);
});

t.test("the README's configuration example is valid", async (t) => {
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const yaml = readme.split('```yaml')[1]?.split('```')[0];
  t.ok(yaml, 'README has a yaml block');
  const c = parseConfig(yaml!, '/etc/till-agent/config.yaml');
  t.equal(c.uplink.ca, '/etc/till-agent/ca.pem');
  t.equal(c.uplink.client_id, undefined, 'null means not set');
});
