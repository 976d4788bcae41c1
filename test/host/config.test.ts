// Host config: defaults, path resolution, env overrides, every error reported with its key.
import t from 'tap';
import { join } from 'node:path';
import { HostConfigError, loadHostConfig, parseHostConfig } from '../../host/config.ts';

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof HostConfigError) return error.errors;
    throw error;
  }
  return [];
}

t.test('a minimal config gets its defaults', async (t) => {
  const c = parseHostConfig('data_dir: /var/lib/till-host\nuplink: { url: "mqtt://broker:1883" }\n', '/etc/till/host.yaml');
  t.match(c, {
    data_dir: '/var/lib/till-host',
    default_product: { sku: 'UNKNOWN', name: 'Unknown product' },
    reduction: 'front_end',
    timezone: 'UTC',
    log_level: 'info',
    uplink: { url: 'mqtt://broker:1883', protocol_version: 5, share_group: 'till-hosts', topic_prefix: 'till/v1/{merchant}/{store}/{terminal}' },
  });
  t.equal(c.seed, undefined);
});

t.test('relative paths are resolved against the config file directory', async (t) => {
  const c = parseHostConfig(
    'data_dir: data\nseed: seeds/demo.yaml\nuplink: { url: "mqtts://b:8883", ca: tls/ca.pem, cert: /abs/cert.pem, key: tls/key.pem }\ntimezone: Europe/Paris\nreduction: back_end\n',
    '/etc/till/host.yaml',
  );
  t.match(c, {
    data_dir: '/etc/till/data', seed: '/etc/till/seeds/demo.yaml', timezone: 'Europe/Paris', reduction: 'back_end',
    uplink: { ca: '/etc/till/tls/ca.pem', cert: '/abs/cert.pem', key: '/etc/till/tls/key.pem' },
  });
});

t.test('every error is reported, naming the key and what is expected', async (t) => {
  const errors = errorsOf(() => parseHostConfig(`
uplink:
  url: embedded
  keepalive_s: 1
  protocol_version: 3
reduction: sideways
timezone: Mars/Olympus
log_level: chatty
default_product: { sku: "" }
colour: blue
`, 'host.yaml'));
  const expected = [
    /^data_dir: is required/,
    /^uplink\.url: must be mqtt:\/\/HOST:PORT or mqtts:\/\/HOST:PORT \("embedded" is for the agent only\)/,
    /^uplink\.keepalive_s: /,
    /^uplink\.protocol_version: must be 5 \(MQTT 5\) or 4/,
    /^reduction: must be one of front_end, back_end/,
    /^timezone: must be an IANA time zone/,
    /^log_level: must be one of fatal, error/,
    /^default_product\.sku: /,
    /^\(root\): unknown key\(s\): colour/,
  ];
  for (const re of expected) t.ok(errors.some((e) => re.test(e)), `reports ${re}`);
  t.equal(errors.length, expected.length, errors.join('\n'));
});

t.test('environment overrides broker URL and data dir', async (t) => {
  const c = parseHostConfig('data_dir: a\nuplink: { url: embedded }\n', '/x/host.yaml', {
    TILL_HOST_BROKER_URL: 'mqtt://127.0.0.1:9999', TILL_HOST_DATA_DIR: '/srv/host',
  });
  t.equal(c.uplink.url, 'mqtt://127.0.0.1:9999');
  t.equal(c.data_dir, '/srv/host');
  const noUplink = parseHostConfig('data_dir: a\n', '/x/host.yaml', { TILL_HOST_BROKER_URL: 'mqtt://h:1' });
  t.equal(noUplink.uplink.url, 'mqtt://h:1');
});

t.test('unreadable files and YAML syntax errors are config errors too', async (t) => {
  t.match(errorsOf(() => loadHostConfig(join('/nonexistent', 'host.yaml'), {})), [/cannot read file: ENOENT/]);
  t.match(errorsOf(() => parseHostConfig('data_dir: [unclosed\n', 'h.yaml')), [/^YAML: /]);
  t.match(errorsOf(() => parseHostConfig('- a list\n', 'h.yaml')), ['(root): must be a mapping of keys']);
});

t.test('unknown keys in every section of the host config are named (issue 7 item 4)', async (t) => {
  const errors = errorsOf(() => parseHostConfig(`
data_dir: /d
uplink:
  url: "mqtts://broker:8883"
  reject_unauthorised: false
  sharegroup: hosts
default_product: { sku: X, nme: Y }
`, 'host.yaml'));
  t.match(errors.join('\n'), /^uplink: unknown key\(s\): reject_unauthorised, sharegroup$/m);
  t.match(errors.join('\n'), /^default_product: unknown key\(s\): nme$/m);
  t.match(errorsOf(() => parseHostConfig('data_dir: /d\nuplink: { url: "mqtt://broker:70000" }\n', 'h.yaml')).join(), /^uplink\.url: /, 'broker port range-checked');
});
