// The units' hardening: `systemd-analyze security` scores both at 2.0 or lower, while the agent
// keeps what a till needs (serial, USB and network printers, the Unix socket, notify, watchdog).
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.ts';
import { SYSTEMD_DIR, parseUnit, requireTool, run, unitValues } from '../helpers/systemd-tools.ts';

const MAX_EXPOSURE = 2.0;
const UNITS = ['till-agent.service', 'till-agent-host.service'];

const words = (values: string[] | undefined) => (values ?? []).flatMap((v) => v.split(/\s+/));

for (const name of UNITS) {
  t.test(`${name}: systemd-analyze security exposure <= ${MAX_EXPOSURE}`, async (t) => {
    if (!requireTool(t, 'systemd-analyze', 'systemd')) return;
    const result = await run('systemd-analyze', ['security', '--offline=yes', '--no-pager', join(SYSTEMD_DIR, name)]);
    const output = result.stdout + result.stderr;
    const match = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(output);
    if (!match) {
      t.fail(`no overall exposure in the output of systemd-analyze security (exit ${result.code}):\n${output}`);
      return;
    }
    const exposure = Number(match[1]);
    t.comment(`${name}: exposure ${exposure}`);
    t.ok(exposure <= MAX_EXPOSURE, `exposure ${exposure} <= ${MAX_EXPOSURE}`, {
      // On failure, show what is not hardened.
      diagnostic: exposure > MAX_EXPOSURE,
      findings: output.split('\n').filter((l) => l.startsWith('✗')).join('\n'),
    });
  });

  t.test(`${name}: systemd-analyze verify finds no unknown or invalid setting`, async (t) => {
    if (!requireTool(t, 'systemd-analyze', 'systemd')) return;
    // verify insists that ExecStart= exists: point it at a binary every system has, keep the rest.
    const dir = await tempDir(t, 'till-unit-');
    const text = (await readFile(join(SYSTEMD_DIR, name), 'utf8')).replace(/^ExecStart=\S+/m, 'ExecStart=/bin/sh');
    await writeFile(join(dir, name), text);
    const result = await run('systemd-analyze', ['verify', '--man=no', join(dir, name)]);
    t.equal(result.code, 0, 'exit status 0');
    t.equal((result.stdout + result.stderr).trim(), '', 'no warnings');
  });
}

t.test('till-agent.service keeps what a till needs', async (t) => {
  const unit = parseUnit(await readFile(join(SYSTEMD_DIR, 'till-agent.service'), 'utf8'));
  const service = (key: string) => unitValues(unit, 'Service', key);

  t.same(service('ExecStart'), ['/opt/till-agent/bin/till-agent.js run --config /etc/till-agent/config.yaml']);
  t.same(service('Type'), ['notify'], 'readiness through sd_notify');
  t.same(service('NotifyAccess'), ['main']);
  t.same(service('WatchdogSec'), ['30'], 'a hung event loop is restarted');
  t.same(service('Restart'), ['on-failure']);
  t.same(service('RestartPreventExitStatus'), ['2 4'], 'an invalid config (exit 2) or setup (exit 4) is not restarted');
  t.ok(unitValues(unit, 'Unit', 'StartLimitIntervalSec'), 'restarts are rate limited');
  t.ok(unitValues(unit, 'Unit', 'StartLimitBurst'), 'restarts are rate limited');
  t.same(service('TimeoutStopSec'), ['10']);
  t.same(service('KillSignal'), ['SIGTERM']);

  t.same(service('User'), ['till-agent'], 'its own user, not root');
  t.same(words(service('SupplementaryGroups')).sort(), ['dialout', 'lp', 'till-input'], 'serial ports, printers and wedge scanners through groups');
  t.same(service('StateDirectory'), ['till-agent']);
  t.same(service('RuntimeDirectory'), ['till-agent']);
  t.same(service('RuntimeDirectoryMode'), ['0750'], 'group members reach the 0660 socket');
  t.same(service('ConfigurationDirectory'), ['till-agent']);

  // Devices: a closed policy plus the classes a till uses; never a private /dev.
  t.same(service('DevicePolicy'), ['closed']);
  const allowed = new Map((service('DeviceAllow') ?? []).map((v) => {
    const [device = '', access = ''] = v.split(/\s+/);
    return [device, access] as const;
  }));
  for (const device of ['char-ttyUSB', 'char-ttyACM', 'char-ttyS', 'char-usb_device', 'char-usb']) {
    t.equal(allowed.get(device), 'rw', `${device} rw`);
  }
  t.equal(allowed.get('char-input'), 'r', 'keyboard-wedge scanners: read (and grab) only');
  t.notSame(service('PrivateDevices'), ['yes'], 'PrivateDevices would hide serial and USB devices');

  // Network printers and the broker (TCP), the POS socket (Unix), USB hotplug (netlink).
  t.same(words(service('RestrictAddressFamilies')).sort(), ['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
  t.equal(service('IPAddressDeny'), undefined, 'the broker may be anywhere: no IP allow list by default');
  t.equal(service('PrivateNetwork'), undefined);

  // V8's JIT needs writable+executable memory.
  t.notSame(service('MemoryDenyWriteExecute'), ['yes']);
  t.same(service('CapabilityBoundingSet'), [], 'no capabilities at all');
  t.same(service('NoNewPrivileges'), ['yes']);
  t.same(service('ProtectSystem'), ['strict']);
});

t.test('till-agent-host.service: no devices, its own user and state', async (t) => {
  const unit = parseUnit(await readFile(join(SYSTEMD_DIR, 'till-agent-host.service'), 'utf8'));
  const service = (key: string) => unitValues(unit, 'Service', key);
  t.same(service('ExecStart'), ['/opt/till-agent/bin/till-agent.js host --config /etc/till-agent/host.yaml']);
  t.same(service('User'), ['till-agent-host']);
  t.same(service('StateDirectory'), ['till-agent-host']);
  t.same(service('PrivateDevices'), ['yes']);
  t.equal(service('DeviceAllow'), undefined);
  t.equal(service('SupplementaryGroups'), undefined);
  t.notSame(service('MemoryDenyWriteExecute'), ['yes']);
  t.same(service('Restart'), ['on-failure']);
  t.same(service('RestartPreventExitStatus'), ['2 4'], 'an invalid config or seed (exit 2) or setup (exit 4) is not restarted');
  // The host sends READY=1 and WATCHDOG=1 (test/runtime/sd-notify.test.ts).
  t.same(service('Type'), ['notify']);
  t.same(service('NotifyAccess'), ['main']);
  t.same(service('WatchdogSec'), ['30'], 'a hung event loop is restarted');
});
