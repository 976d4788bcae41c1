import t from 'tap';
import { ConfigError } from '../../runtime/config-file.ts';
import { loadConfig, parseConfig } from '../../agent/config.ts';
import { tempDir } from '../helpers/tmp.ts';

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
  t.equal(c.uplink.reconnect_min_ms, 1000, 'reconnect: 1 s doubling…');
  t.equal(c.uplink.reconnect_max_ms, 30_000, '…up to 30 s');
});

t.test('device paths are resolved against the config file too, as every relative path', async (t) => {
  const c = parseConfig(`${minimal}devices:
  - { name: lp, kind: printer, transport: file, path: ./out/printer.bin }
  - { name: s0, kind: barcode-scanner, transport: serial, path: /dev/ttyUSB0 }
  - { name: p1, kind: printer, transport: tcp, host: 127.0.0.1, port: 9100 }
`, '/etc/till-agent/config.yaml');
  t.same(c.devices.map((d) => d.path), ['/etc/till-agent/out/printer.bin', '/dev/ttyUSB0', undefined]);
});

t.test('the reconnect backoff is range-checked, and its longest wait is not below its first', async (t) => {
  const uplink = (lines: string) => `${minimal}${lines}`;
  const c = parseConfig(uplink('  reconnect_min_ms: 250\n  reconnect_max_ms: 5000\n'), 'c.yaml');
  t.same([c.uplink.reconnect_min_ms, c.uplink.reconnect_max_ms], [250, 5000]);
  t.match(failures(uplink('  reconnect_min_ms: 50\n')), /^uplink\.reconnect_min_ms: must be at least 100$/m);
  t.match(failures(uplink('  reconnect_max_ms: 7200000\n')), /^uplink\.reconnect_max_ms: must be at most 3600000/m);
  t.match(failures(uplink('  reconnect_min_ms: 5000\n  reconnect_max_ms: 2000\n')), /^uplink\.reconnect_max_ms: must be at least reconnect_min_ms$/m);
  t.match(failures(uplink('  reconnect_max: 2000\n')), /^uplink: unknown key\(s\): reconnect_max$/m, 'a misspelt key is named');
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
  // The file's own url is fine: the error must send the technician to the environment.
  t.throws(() => parseConfig(minimal, '/x/c.yaml', { TILL_AGENT_BROKER_URL: 'ftp://broker' }),
    { errors: [/^uplink\.url: must be mqtt:.*\(the value comes from the environment: TILL_AGENT_BROKER_URL\)$/] });
});

t.test('a config file that cannot be read says why in words, naming the path', async (t) => {
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const dir = await tempDir(t);
  await writeFile(join(dir, 'file'), minimal);
  for (const [path, why] of [['missing.yaml', 'ENOENT (no such file)'], ['', 'EISDIR (a directory, not a file)'], ['file/x.yaml', 'ENOTDIR (a part of the path is not a directory)']] as const) {
    const file = join(dir, path);
    t.throws(() => loadConfig(file, {}), { message: `${file}: invalid configuration\n  - cannot read file: ${why}` });
  }
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

const failures = (text: string): string => {
  try {
    parseConfig(text, 'c.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.errors.join('\n');
    throw error;
  }
  return '';
};

t.test('unknown keys at any level are errors naming the key (a typo never disables a setting)', async (t) => {
  const text = `
terminal: T1
store: S1
merchant: M1
data_dir: ./data
colour: blue
socket:
  tokn: secret-secret
uplink:
  url: mqtt://127.0.0.1:1883
  reject_unauthorised: false
offline:
  spend_floor_limt: 500
outbox:
  batchsize: 10
metrics:
  listen: false
  lisen: "127.0.0.1:9464"
status_page:
  listen: "127.0.0.1:9465"
  tokn: "0123456789abcdef"
identify_on_scan:
  pattern: "^6006"
  bye: card
devices:
  - { name: s0, kind: barcode-scanner, transport: virtual, bauds: 9600 }
`;
  const errors = failures(text);
  for (const [path, key] of [['\\(root\\)', 'colour'], ['socket', 'tokn'], ['uplink', 'reject_unauthorised'], ['offline', 'spend_floor_limt'],
    ['outbox', 'batchsize'], ['metrics', 'lisen'], ['status_page', 'tokn'], ['identify_on_scan', 'bye'], ['devices\\[0\\]', 'bauds']]) {
    t.match(errors, new RegExp(`^${path}: unknown key\\(s\\): ${key}$`, 'm'), `${key} is named`);
  }
});

t.test('ports are range-checked', async (t) => {
  const base = (extra: string) => `${minimal}${extra}`;
  t.match(failures(base('socket:\n  tcp: "127.0.0.1:70000"\n')), /socket\.tcp: port 70000 is out of range \(0-65535\)/);
  t.match(failures(base('socket:\n  tcp: "127.0.0.1:-1"\n')), /socket\.tcp: must be "HOST:PORT"/);
  t.match(failures(base('metrics:\n  listen: "127.0.0.1:99999"\n')), /metrics\.listen: port 99999 is out of range/);
  t.match(failures(minimal.replace('1883', '188300')), /uplink\.url: must be mqtt:\/\/HOST:PORT.*port 1-65535/);
  t.match(failures(base('  embedded_port: 70000\n')), /uplink\.embedded_port/);
  t.equal(parseConfig(base('socket:\n  tcp: "[::1]:65535"\n'), 'c.yaml').socket.tcp, '[::1]:65535');
});

t.test('a TCP listener beyond loopback needs a token or an explicit allow', async (t) => {
  const socket = (lines: string) => `${minimal}socket:\n${lines}`;
  for (const tcp of ['0.0.0.0:7411', '[::]:7411', '192.168.1.20:7411', 'till-1.shop.lan:7411']) {
    t.match(failures(socket(`  tcp: "${tcp}"\n`)), /socket\.tcp: .* is reachable beyond this machine: set socket\.token/, `${tcp} without a token`);
    t.equal(failures(socket(`  tcp: "${tcp}"\n  token: long-enough-token\n`)), '', `${tcp} with a token`);
    const allowed = parseConfig(socket(`  tcp: "${tcp}"\n  allow_remote_without_token: true\n`), 'c.yaml');
    t.equal(allowed.socket.allow_remote_without_token, true, `${tcp} explicitly allowed`);
  }
  for (const tcp of ['127.0.0.1:7411', '127.0.0.2:7411', 'localhost:7411', '[::1]:7411']) {
    t.equal(failures(socket(`  tcp: "${tcp}"\n`)), '', `${tcp} is loopback`);
  }
});

t.test('duplicate YAML keys are an error, not last-wins', async (t) => {
  t.match(failures(`${minimal}socket:\n  token: first-token\n  token: second-token\n`), /YAML: .*unique/i);
});

t.test('offline limits: defaults, and bad values named', async (t) => {
  const c = parseConfig(minimal, 'c.yaml');
  t.same(
    { total: c.offline.total_spend_limit, count: c.offline.total_spend_count, age: c.offline.max_age_s },
    { total: 10_000, count: 20, age: 86_400 },
    'total 100.00, 20 spends, 24 h without a connection (as Square and Adyen)',
  );
  const errors = failures(`${minimal}offline:\n  total_spend_limit: -1\n  total_spend_count: 2.5\n  max_age_s: 0\n  max_age: 5\n`);
  t.match(errors, /offline\.total_spend_limit: must not be negative/);
  t.match(errors, /offline\.total_spend_count: must be a whole number of spends/);
  t.match(errors, /offline\.max_age_s: must be at least 1/);
  t.match(errors, /offline: unknown key\(s\): max_age/);
});

t.test('a numeric id left unquoted: the error says to quote it (YAML reads store: 0042 as 42)', async (t) => {
  let errors: string[] = [];
  try {
    parseConfig(minimal.replace('terminal: T1', 'terminal: 0042').replace('store: S1', 'store: 7'), '/etc/till-agent/config.yaml');
  } catch (error) {
    errors = (error as ConfigError).errors;
  }
  t.match(errors, [
    /^terminal: is a number to YAML \(42\): write the terminal id in quotes, exactly as it is, e\.g\. terminal: "0042"/,
    /^store: is a number to YAML \(7\): write the store id in quotes/,
  ]);
  t.equal(parseConfig(minimal.replace('terminal: T1', 'terminal: "0042"'), '/x.yaml').terminal, '0042', 'quoted: as written');
  t.match(failures(minimal.replace('terminal: T1', 'terminal: [T1]')), /^terminal: must be a string naming the terminal$/m, 'anything else: as before');
});

t.test('an offline limit written as a decimal amount (20.00) is refused, not read as 20 minor units', async (t) => {
  // YAML reads 20.00 as the integer 20: the till took 0.20 EUR as the per-sale offline limit where the
  // technician meant 20.00 EUR (and 100.00 for total_spend_limit, 1.00 EUR). 20.50 was refused already.
  const offline = (lines: string) => `${minimal}offline:\n${lines}`;
  const errors = failures(offline('  spend_floor_limit: 20.00\n  total_spend_limit: 100.0\n'));
  t.match(errors, /^offline\.spend_floor_limit: 20\.00 is read as 20 minor units \(cents\), not 20\.00: write the amount as a whole number of them, without a decimal point \(2000 for 20\.00\)$/m);
  t.match(errors, /^offline\.total_spend_limit: 100\.0 is read as 100 minor units/m);
  t.match(failures(offline('  spend_floor_limit: 20.50\n')), /^offline\.spend_floor_limit: must be an integer amount in minor units$/m, 'a fraction: the schema\'s error, once');
  t.equal(failures(offline('  spend_floor_limit: 20.50\n')).split('\n').length, 1);
  const c = parseConfig(offline('  spend_floor_limit: 2000\n  total_spend_limit: 10000\n'), 'c.yaml');
  t.match(c.offline, { spend_floor_limit: 2000, total_spend_limit: 10_000 }, 'minor units as written: as before');
  t.equal(failures(`${minimal}outbox:\n  max_backoff_ms: 30000.0\n`), '', 'other numbers keep YAML\'s reading');
});
