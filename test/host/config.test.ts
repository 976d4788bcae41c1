// Host config: defaults, path resolution, env overrides, every error reported with its key.
import t from 'tap';
import { join } from 'node:path';
import { ConfigError } from '../../runtime/config-file.ts';
import { loadHostConfig, parseHostConfig } from '../../host/config.ts';

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.errors;
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

t.test('store: sqlite by default; postgres needs its section, strict, with the password kept out of the URL', async (t) => {
  const base = 'data_dir: data\nuplink: { url: "mqtt://broker:1883" }\n';
  t.equal(parseHostConfig(base, '/etc/till/host.yaml').store, 'sqlite');
  const pg = parseHostConfig(`${base}store: postgres\npostgres: { url: "postgres://till_host@db:5432/loyalty", password_file: secrets/pg, schema: fleet_a }\n`, '/etc/till/host.yaml');
  t.match(pg, { store: 'postgres', postgres: { url: 'postgres://till_host@db:5432/loyalty', password_file: '/etc/till/secrets/pg', schema: 'fleet_a' } });
  t.equal(parseHostConfig(`${base}store: postgres\npostgres: { url: "postgresql://h/db" }\n`, 'h.yaml').postgres?.schema, 'public', 'schema defaults to public');
  t.same(errorsOf(() => parseHostConfig(`${base}store: postgres\n`, 'h.yaml')), ['postgres: required with store: postgres']);
  t.same(errorsOf(() => parseHostConfig(`${base}postgres: { url: "postgres://h/db" }\n`, 'h.yaml')), ['postgres: only used with store: postgres (store is sqlite)']);
  t.match(errorsOf(() => parseHostConfig(`${base}store: mysql\n`, 'h.yaml')), [/^store: must be one of sqlite, postgres/]);
  const bad = errorsOf(() => parseHostConfig(`${base}store: postgres\npostgres: { url: "postgres://u:hunter2@h/db", schema: "Bad-Name", pool: 4 }\n`, 'h.yaml'));
  t.match(bad, [/postgres\.url: must not contain a password: put it in password_file or TILL_HOST_PG_PASSWORD/, /postgres\.schema: must be a lower-case/, /postgres.*pool/], bad.join('; '));
  t.equal(bad.length, 3);
  t.notMatch(bad.join('\n'), /hunter2/, 'the password is not echoed');
  t.match(errorsOf(() => parseHostConfig(`${base}store: postgres\npostgres: { url: "mysql://h/db" }\n`, 'h.yaml')), [/postgres\.url: must start with postgres:\/\//]);
  t.match(errorsOf(() => parseHostConfig(`${base}store: postgres\npostgres: { url: "postgres://h" }\n`, 'h.yaml')), [/postgres\.url: must name the database/]);
});

t.test('spend.this_sale_award: excluded by default (seed 000), included on request, nothing else', async (t) => {
  const base = 'data_dir: /d\nuplink: { url: "mqtt://b:1883" }\n';
  t.same(parseHostConfig(base, '/etc/h.yaml').spend, { this_sale_award: 'excluded' });
  t.same(parseHostConfig(`${base}spend: { this_sale_award: included }\n`, '/etc/h.yaml').spend, { this_sale_award: 'included' });
  t.match(errorsOf(() => parseHostConfig(`${base}spend: { this_sale_award: yes }\n`, '/etc/h.yaml')), [/^spend\.this_sale_award: must be one of excluded, included/]);
  t.match(errorsOf(() => parseHostConfig(`${base}spend: { own_award: true }\n`, '/etc/h.yaml')), [/^spend/]);
});
