// TLS files that are there but are not what their key needs: an empty CA file, the till's key copied
// as its certificate, a key of another certificate, a key that is not a key. MQTT.js threw inside
// its connect: the agent logged 'uplink cannot start: MQTT client not loaded' with OpenSSL's stack
// and then served the POS with no uplink at all (every sale queued for ever), `till-agent doctor`
// crashed with "PEM routines::no start line", and the host did the same. Now each is a setup
// problem like a missing file: one fatal line naming the key and the file, exit 4 (not restarted),
// and a ✖ broker line from either doctor.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { cli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

// A till certificate within its dates (an expired one is named for its dates first) and its key.
const made = await tempDir(t, 'till-tls-pair-');
const CERT = join(made, 'till.pem');
const KEY = join(made, 'till.key');
await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
  '-subj', '/CN=M1\\/S1\\/T1', '-keyout', KEY, '-out', CERT]);

interface Line { level: number | string; msg: string; config_key?: string; target?: string }
const severe = (out: string): Line[] => out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line)
  .filter((l) => l.level === 'fatal' || l.level === 'error' || (typeof l.level === 'number' && l.level >= 50));

/** A directory with the files a case names: `ca.pem`, `till.pem`, `till.key`. */
async function files(t: Test, make: Record<string, (path: string) => Promise<void>>): Promise<string> {
  const dir = await tempDir(t, 'till-tls-contents-');
  for (const [name, write] of Object.entries(make)) await write(join(dir, name));
  return dir;
}
const copy = (from: string) => (to: string) => copyFile(from, to);
const text = (content: string) => (to: string) => writeFile(to, content);
const otherKey = () => text(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);

const tlsYaml = (keys: string) => `  url: mqtts://127.0.0.1:9\n${keys}`;
async function agentRun(t: Test, dir: string, keys: string, command: 'run' | 'doctor') {
  const file = join(dir, 'config.yaml');
  await writeFile(file, `terminal: T1\nstore: S1\nmerchant: M1\ndata_dir: ${join(dir, 'data')}\nsocket:\n  tcp: "127.0.0.1:0"\n  unix: false\nuplink:\n${tlsYaml(keys)}\n`);
  return cli(command, '--config', file);
}

type Make = Record<string, (path: string) => Promise<void>>;
const cases: Array<{ name: string; make: Make; keys: string; key: string; file: RegExp; why: RegExp }> = [
  { name: 'an empty uplink.ca', make: { 'ca.pem': text('') }, keys: '  ca: ca.pem\n', key: 'uplink.ca', file: /ca\.pem$/, why: /not a PEM certificate/ },
  { name: 'the key copied as uplink.cert', make: { 'till.pem': copy(KEY), 'till.key': copy(KEY) }, keys: '  cert: till.pem\n  key: till.key\n', key: 'uplink.cert', file: /till\.pem$/, why: /not a PEM certificate[\s\S]*not its key/ },
  { name: 'uplink.key not a key', make: { 'till.pem': copy(CERT), 'till.key': copy(CERT) }, keys: '  cert: till.pem\n  key: till.key\n', key: 'uplink.key', file: /till\.key$/, why: /not a PEM private key/ },
  { name: 'uplink.key of another certificate', make: { 'till.pem': copy(CERT), 'till.key': otherKey() }, keys: '  cert: till.pem\n  key: till.key\n', key: 'uplink.key', file: /till\.key$/, why: /is not the key of uplink\.cert .*till\.pem/ },
];

for (const c of cases) {
  t.test(`${c.name}: run names the key and the file (exit 4), doctor says ✖ broker instead of crashing`, async (t) => {
    const dir = await files(t, c.make);
    const r = await agentRun(t, dir, c.keys, 'run');
    t.equal(r.code, 4, r.out);
    const lines = severe(r.out);
    t.equal(lines.length, 1, `one line at error or above:\n${r.out}`);
    t.match(lines[0], { level: /fatal|60/, config_key: c.key, target: c.file });
    t.match(lines[0]!.msg, new RegExp(`could not start: ${c.key.replace('.', '\\.')} `));
    t.match(lines[0]!.msg, c.why);
    t.notMatch(r.out, /"stack"|\n\s+at |MQTT client not loaded/, 'no stack trace');

    const doctor = await agentRun(t, dir, c.keys, 'doctor');
    t.equal(doctor.code, 1, doctor.out);
    t.match(doctor.out, new RegExp(`✖ broker +cannot use ${c.key.replace('.', '\\.')} \\S+: `));
    t.match(doctor.out, c.why);
    t.notMatch(doctor.out, /\n\s+at |no start line\n/, 'a ✖ line, not a crash');
  });
}

t.test('the host: uplink.key of another certificate is named at start (exit 4) and by --doctor', async (t) => {
  const dir = await files(t, { 'host.pem': copy(CERT), 'host.key': otherKey() });
  const file = join(dir, 'host.yaml');
  await writeFile(file, `data_dir: ${join(dir, 'host')}\nuplink:\n${tlsYaml('  cert: host.pem\n  key: host.key\n')}\n`);
  const r = await cli('host', '--config', file);
  t.equal(r.code, 4, r.out);
  t.match(severe(r.out), [{ config_key: 'uplink.key', msg: /host failed to start: uplink\.key .*host\.key: is not the key of uplink\.cert/ }]);
  t.notMatch(r.out, /"stack"|\n\s+at /);
  const doctor = await cli('host', '--config', file, '--doctor');
  t.equal(doctor.code, 1, doctor.out);
  t.match(doctor.out, /✖ broker +cannot use TLS file uplink\.key .*host\.key: is not the key of uplink\.cert/);
});

t.test('mqtt:// (no TLS) does not use the files, so their contents are not checked (a bench with a ca left in the file)', async (t) => {
  const dir = await files(t, { 'ca.pem': text('not a certificate\n') });
  const file = join(dir, 'config.yaml');
  await writeFile(file, `terminal: T1\nstore: S1\nmerchant: M1\ndata_dir: ${join(dir, 'data')}\nsocket:\n  tcp: "127.0.0.1:0"\n  unix: false\nuplink:\n  url: mqtt://127.0.0.1:9\n  ca: ca.pem\n`);
  const doctor = await cli('doctor', '--config', file);
  t.match(doctor.out, /✖ broker +mqtt:\/\/127\.0\.0\.1:9: .*ECONNREFUSED/, 'the broker itself is checked');
  t.notMatch(doctor.out, /cannot use uplink\.ca/);
});
