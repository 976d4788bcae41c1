// The demo's data directory: the agent config the demo runs with (written there at every start,
// so operator commands find the demo: `till-agent status --data DIR`), its pid, and what
// `--reset` removes (only what the demo itself creates, never the directory as a whole).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig, type Config } from '../../agent/config.ts';
import { VERSION } from '../../agent/version.ts';
import { CONFIG_IN_DATA_DIR } from './locate-config.ts';

export const PID_FILE = 'demo.pid';
export const SOCKET_FILE = 'till-agent.sock';
const CREATED = ['agent', 'host', CONFIG_IN_DATA_DIR, PID_FILE] as const;

export interface DemoSettings {
  dataDir: string;
  port: number;
  statusPort: number;
  /** Unlocks the status page's buttons; printed in the banner's link. */
  statusToken: string;
  brokerUrl: string;
  logLevel: string;
}

export function demoAgentConfig(s: DemoSettings): Record<string, unknown> {
  return {
    terminal: 'T1', store: 'S1', merchant: 'DEMO',
    data_dir: join(s.dataDir, 'agent'),
    log_level: s.logLevel,
    socket: { tcp: `127.0.0.1:${s.port}`, unix: join(s.dataDir, SOCKET_FILE) },
    // aedes speaks MQTT 3.1.1 without shared subscriptions: protocol 4.
    uplink: { url: s.brokerUrl, protocol_version: 4, request_timeout_ms: 3000 },
    offline: { spend_floor_limit: 2000, identify_cache_days: 30 },
    status_page: { listen: `127.0.0.1:${s.statusPort}`, token: s.statusToken },
    devices: [
      { name: 'scanner0', kind: 'barcode-scanner', transport: 'virtual' },
      { name: 'printer0', kind: 'printer', transport: 'virtual', width: 42, code_page: 'cp858', drawer_sensor: 'high' },
      { name: 'scale0', kind: 'scale', transport: 'virtual' },
      { name: 'display0', kind: 'display', transport: 'virtual', code_page: 'cp858', follow_sale: true },
    ],
    identify_on_scan: { pattern: '^600649\\d{10}$', by: 'card' },
  };
}

/** Writes DATA/config.yaml and reads it back as the agent's config (env overrides do not apply). */
export function writeDemoConfig(s: DemoSettings): { file: string; config: Config } {
  mkdirSync(s.dataDir, { recursive: true });
  const file = join(s.dataDir, CONFIG_IN_DATA_DIR);
  const text = [
    `# Written by till-agent ${VERSION} demo (pid ${process.pid}) at ${new Date().toISOString()}:`,
    '# the agent config this demo runs with, rewritten at every start. Operator commands find',
    `# the demo through it: npx till-agent status --data ${s.dataDir}`,
    stringify(demoAgentConfig(s)),
  ].join('\n');
  writeFileSync(file, text);
  return { file, config: parseConfig(readFileSync(file, 'utf8'), file) };
}

export function writePid(dataDir: string): void {
  writeFileSync(join(dataDir, PID_FILE), `${process.pid}\n`);
}

/** The pid a running demo wrote, if any (only used to word a message). */
export function readPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, PID_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the pid file if it is still this process's (a newer demo may have replaced it). */
export function removePid(dataDir: string): void {
  if (readPid(dataDir) === process.pid) rmSync(join(dataDir, PID_FILE), { force: true });
}

/** Removes the demo's ledger, outbox, receipts and config: balances start from the seed again. */
export function resetDemoData(dataDir: string): void {
  for (const name of CREATED) rmSync(join(dataDir, name), { recursive: true, force: true });
}
