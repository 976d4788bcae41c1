// Doctor's device checks: is each configured device there, and does each printer answer?
//
// Serial ports are only looked at, never opened: the running agent holds them, and a second
// reader would steal its bytes. TCP printers often take one connection at a time, so when the
// agent runs (and has the same device) its own view is asked for instead of connecting beside it;
// so is a serial or USB printer's status (paper out, cover open), which only the agent can read.
import { accessSync, constants, statSync } from 'node:fs';
import type { DeviceConfig } from '../../drivers/config.ts';
import type { DeviceInfo } from '../../drivers/device-manager.ts';
import { statusRequest } from '../../drivers/escpos-encoder.ts';
import { decodeStatus, isStatusByte, statusProblem, statusWarnings, type StatusBytes } from '../../drivers/escpos-status.ts';
import { listUsbPrinters } from '../../drivers/ports.ts';
import { buildTransport } from '../../drivers/transports/index.ts';
import { tcpTransport } from '../../drivers/transports/tcp.ts';
import { loadUsb, type UsbApi } from '../../drivers/transports/usb.ts';
import type { ByteLink, PrinterStatus, PrinterStatusReport } from '../../drivers/types.ts';
import { call, targetFrom } from '../client.ts';
import type { Config } from '../../agent/config.ts';
import type { Check } from './check.ts';
import { evdevCheck } from './evdev.ts';
import { usbNodePath, usbNodeProblem } from './usb-node.ts';
import { printerHint } from './hints.ts';

/** What the running agent says about its devices. */
export interface AgentView {
  devices: DeviceInfo[];
  printerStatus(name: string): Promise<PrinterStatusReport>;
}

export interface DeviceCheckOptions {
  timeoutMs: number;
  /** null: the agent is not running (or not reachable from here). */
  agent: AgentView | null;
  usb?: UsbApi;
  /** Where device nodes are (/dev; tests: a temp dir). */
  devRoot?: string;
}

/** The running agent's device view, or null when it cannot be reached. */
export async function agentView(configPath: string, timeoutMs: number): Promise<AgentView | null> {
  try {
    const target = targetFrom({ config: configPath });
    const [listed] = (await call(target, [{ op: 'devices.list' }], timeoutMs)) as [{ devices: DeviceInfo[] }];
    return {
      devices: listed.devices,
      printerStatus: async (name) =>
        ((await call(target, [{ op: 'printer.status', params: { printer: name } }], timeoutMs)) as [PrinterStatusReport])[0],
    };
  } catch {
    return null; // not running: every device is checked directly
  }
}

export async function checkDevices(config: Config, options: DeviceCheckOptions): Promise<Check[]> {
  const checks: Check[] = [];
  for (const device of config.devices) checks.push(await checkDevice(device, options));
  return checks;
}

export async function checkDevice(d: DeviceConfig, options: DeviceCheckOptions): Promise<Check> {
  const name = `device ${d.name}`;
  const target = buildTransport(d).target;
  // The agent's entry for this very device (same name, transport and target), if it runs.
  const held = options.agent?.devices.find((a) => a.name === d.name && a.transport === d.transport && a.target === target);
  const fail = (detail: string, hint: string): Check => ({ name, ok: false, detail: `${target}: ${detail}`, hint });
  const pass = (detail: string): Check => ({ name, ok: true, detail: `${target}: ${detail}` });
  const agentSays = (presence: string): Check => {
    if (!held) return pass(presence);
    if (held.state === 'offline') {
      return fail(`${presence}, but the agent cannot use it: ${held.reason ?? 'offline'}`,
        'check that no other program holds it and that the till-agent user may open it (groups dialout/lp, systemd/udev rules)');
    }
    return pass(`${presence}; agent: ${held.state}`);
  };

  switch (d.transport) {
    case 'virtual':
      return pass('virtual device (demo), nothing to check');
    case 'serial': {
      const path = d.path ?? '';
      let stat;
      try {
        stat = statSync(path);
      } catch (error) {
        return fail(`missing serial port (${(error as NodeJS.ErrnoException).code ?? error})`,
          'plug the device in and check its cable; name it by its stable /dev/serial/by-id/… path or the /dev/till/… name ' +
          'from the udev rules (till-agent ports lists the ports this machine sees)');
      }
      if (!stat.isCharacterDevice()) {
        return fail('not a serial port (not a character device)', 'path must be the tty of the device, e.g. /dev/serial/by-id/usb-…');
      }
      // The agent opens it read-write. Checked only when the agent does not hold it: a running
      // agent says itself whether it may open it (EACCES), whoever runs doctor.
      if (!held) {
        try {
          accessSync(path, constants.R_OK | constants.W_OK);
        } catch {
          return fail('not readable and writable by this user',
            'the till-agent user needs read and write access: serial ports belong to group dialout (the unit\'s SupplementaryGroups, ' +
            'systemd/udev rules); check with ls -lL on the path, and run doctor as the till-agent user (sudo -u till-agent), not as root');
        }
      }
      if (d.kind === 'printer' && held) return printerFromAgent(options.agent!, d, held, pass, fail);
      return agentSays('serial port present');
    }
    case 'file': {
      const path = d.path ?? '';
      try {
        statSync(path);
      } catch {
        return fail('missing printer device file',
          'check the printer is on and its USB cable; /dev/usb/lp* appears when the usblp driver binds it (see the udev rules)');
      }
      try {
        accessSync(path, constants.W_OK);
      } catch {
        return fail('not writable by this user', 'the till-agent user needs write access: group lp (systemd/udev rules)');
      }
      return agentSays('present and writable');
    }
    case 'usb': {
      const hex4 = (n: number | undefined) => (n ?? 0).toString(16).padStart(4, '0');
      let printers;
      try {
        printers = await listUsbPrinters(options.usb);
      } catch (error) {
        return fail(`cannot list USB devices: ${(error as Error).message}`,
          'USB needs /sys/bus/usb and access to /dev/bus/usb; check the udev rule for this printer (systemd/udev)');
      }
      let found = printers.find((p) => p.vendor_id === hex4(d.vendor_id) && p.product_id === hex4(d.product_id));
      const api = options.usb ?? await loadUsb().catch(() => undefined);
      const device = await api?.findDeviceByIds(d.vendor_id ?? 0, d.product_id ?? 0).catch(() => undefined);
      // Many USB customer displays are not printer-class devices: look them up by id alone.
      if (!found && d.kind === 'display' && device) found = { vendor_id: hex4(d.vendor_id), product_id: hex4(d.product_id) };
      if (!found) {
        return fail('USB printer not found',
          'check the USB cable and the printer power, and the udev rule for its vendor/product id; till-agent ports lists the USB printers seen');
      }
      // Checked only when the agent does not hold it, as for serial ports: a running agent says
      // itself whether it could open it (LIBUSB_ERROR_ACCESS), whoever runs doctor.
      const node = device && !held ? usbNodePath(device, options.devRoot) : undefined;
      const problem = node ? usbNodeProblem(node, `${hex4(d.vendor_id)}:${hex4(d.product_id)}`) : undefined;
      if (problem) return fail(problem.detail, problem.hint);
      if (d.kind === 'printer' && held) return printerFromAgent(options.agent!, d, held, pass, fail);
      return agentSays(`found${found.manufacturer || found.product ? ` (${[found.manufacturer, found.product].filter(Boolean).join(' ')})` : ''}`);
    }
    case 'evdev': {
      const result = evdevCheck(d);
      return 'problem' in result ? fail(result.problem.detail, result.problem.hint) : agentSays(result.presence);
    }
    case 'tcp':
      if (d.kind === 'printer' && held) return printerFromAgent(options.agent!, d, held, pass, fail);
      if (held) return agentSays('held by the agent');
      return probeTcp(d, options.timeoutMs, pass, fail);
  }
}

type Pass = (detail: string) => Check;
type Fail = (detail: string, hint: string) => Check;

const NETWORK_HINT = 'check the device is on and on the network, its IP address and port (many printers print their settings ' +
  'when FEED is held at power-on), the cable and any firewall';

function statusCheck(status: PrinterStatus, pass: Pass, fail: Fail, how: string): Check {
  const problem = statusProblem(status);
  if (problem) return fail(`printer reports ${problem}${how}`, printerHint(problem) ?? '');
  const warnings = statusWarnings(status);
  return pass(`printer ready${warnings.length ? ` (${warnings.join(', ')}: ${warnings.map((w) => printerHint(w)).join('; ')})` : ''}${how}`);
}

async function printerFromAgent(agent: AgentView, d: DeviceConfig, held: DeviceInfo, pass: Pass, fail: Fail): Promise<Check> {
  let report: PrinterStatusReport;
  try {
    report = await agent.printerStatus(d.name);
  } catch (error) {
    return fail(`the agent could not tell its status: ${(error as Error).message}`, 'run till-agent status');
  }
  if (report.checked && report.status) return statusCheck(report.status, pass, fail, ' (asked the running agent)');
  if (report.state === 'ready') return pass(`connected, status checks off (asked the running agent)`);
  return fail(`the agent has it ${report.state}${report.reason ?? held.reason ? `: ${report.reason ?? held.reason}` : ''}`,
    printerHint(report.reason) ?? NETWORK_HINT);
}

async function probeTcp(d: DeviceConfig, timeoutMs: number, pass: Pass, fail: Fail): Promise<Check> {
  let link: ByteLink;
  try {
    link = await tcpTransport({ host: d.host ?? '', port: d.port, connectTimeoutMs: timeoutMs })();
  } catch (error) {
    return fail(`cannot connect: ${(error as Error).message}`, NETWORK_HINT);
  }
  try {
    if (d.kind !== 'printer') return pass('accepts connections');
    if (d.status === false) return pass('accepts connections (status checks off in the config)');
    const bytes: StatusBytes = {};
    for (const n of [1, 2, 4] as const) {
      const b = await readStatusByte(link, n, Math.min(d.status_timeout_ms, timeoutMs));
      if (b === undefined) {
        return fail(`connected, but no answer to DLE EOT ${n} within ${Math.min(d.status_timeout_ms, timeoutMs)} ms`, printerHint('not_responding') ?? '');
      }
      bytes[n] = b;
    }
    return statusCheck(decodeStatus(bytes), pass, fail, '');
  } finally {
    await link.close();
  }
}

/** DLE EOT n and the first status-shaped byte back; undefined on silence or a closed link. */
function readStatusByte(link: ByteLink, n: 1 | 2 | 3 | 4, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const done = (b: number | undefined) => {
      clearTimeout(timer);
      offData();
      offClose();
      resolve(b);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const offData = link.onData((chunk) => {
      const b = chunk.find(isStatusByte);
      if (b !== undefined) done(b);
    });
    const offClose = link.onClose(() => done(undefined));
    link.write(statusRequest(n)).catch(() => done(undefined));
  });
}
