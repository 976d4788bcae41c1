// Field checks for `till-agent doctor`: each returns ok/fail with a hint a technician can act on.
import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, readFileSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import mqtt from 'mqtt';
import { agentClientId, brokerSettings, mqttConnectOptions, urlWithoutUserinfo } from '../../protocol/uplink-config.ts';
import type { BrokerSettings, StatusResult } from '../../protocol/local.ts';
import { anotherTill, call, targetFrom } from '../client.ts';
import { ConfigError } from '../../runtime/config-file.ts';
import { SetupProblem, databaseAccessHint, readTlsFiles } from '../../runtime/setup-problem.ts';
import { certificateDates } from '../../runtime/certificate-dates.ts';
import { loadConfig, type Config } from '../../agent/config.ts';
import { accessDenied, isDiskFull } from '../../agent/storage/db.ts';
import type { Check } from './check.ts';
import { agentView, checkDevices } from './devices.ts';
import { checkListeners } from './listeners.ts';
import { TOLERANCE_MS, describeOffset, type ClockJump } from '../../agent/till-clock.ts';

export interface DoctorOptions {
  minFreeMb: number;
  brokerTimeoutMs: number;
  now?: () => Date;
}

export async function runChecks(configPath: string, options: DoctorOptions): Promise<Check[]> {
  let config: Config;
  try {
    config = loadConfig(configPath);
  } catch (error) {
    const detail = error instanceof ConfigError ? error.errors.join('; ') : (error as Error).message;
    return [{ name: 'config', ok: false, detail, hint: `fix ${configPath}; every error names its key (see README, Configuration)` }];
  }
  const checks: Check[] = [{ name: 'config', ok: true, detail: `${configPath} is valid` }];
  const running = await agentStatus(configPath, Math.min(options.brokerTimeoutMs, 2000));
  checks.push(checkDataDir(config, options.minFreeMb, running?.storage));
  checks.push(checkDatabase(config));
  checks.push(await checkListeners(config, running !== null));
  checks.push(await checkBroker(config, options.brokerTimeoutMs, running?.uplink));
  // Only real devices need the running agent's view (it holds their ports and connections).
  const agent = running && config.devices.some((d) => d.transport !== 'virtual') ? await agentView(configPath, Math.min(options.brokerTimeoutMs, 3000)) : null;
  checks.push(...await checkDevices(config, { timeoutMs: options.brokerTimeoutMs, agent }));
  checks.push(checkClock(config, options.now ?? (() => new Date())));
  return checks;
}

/**
 * What the running agent says about itself, or null when it is not running (or unreachable), or when
 * the agent answering on the config's socket is another till's (a demo on the same port, or the
 * agent before an edit of the till's identity): its uplink and devices say nothing about this config's.
 */
async function agentStatus(configPath: string, timeoutMs: number): Promise<StatusResult | null> {
  try {
    const target = targetFrom({ config: configPath });
    let hello: unknown;
    const [status] = (await call(target, [{ op: 'status' }], timeoutMs, (h) => { hello = h; })) as [StatusResult];
    return anotherTill(target, hello) === null ? status : null;
  } catch {
    return null;
  }
}

const FULL_HINT = 'free disk space (journal: journalctl --vacuum-size=100M; old files): money requests are refused '
  + 'with STORAGE_FULL until then, and the agent resumes by itself once space is back';

export function checkDataDir(config: Config, minFreeMb: number, agent?: StatusResult['storage']): Check {
  const dir = config.data_dir;
  // doctor only looks: it never creates the data dir (a root doctor would leave it owned by root).
  // A missing dir is fine if the agent can create it at first start.
  const exists = existsSync(dir);
  const where = exists ? dir : nearestExisting(dir);
  const subject = exists ? dir : `${dir} does not exist yet and ${where}`;
  try {
    accessSync(where, constants.W_OK);
    if (exists) {
      const probe = join(dir, `.doctor-${process.pid}`);
      try {
        writeFileSync(probe, 'ok');
      } finally {
        rmSync(probe, { force: true });
      }
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') return { name: 'data dir', ok: false, detail: `${dir}: the disk is full (ENOSPC)`, hint: FULL_HINT };
    return { name: 'data dir', ok: false, detail: `${subject} is not writable: ${code ?? error}`,
      hint: `make ${dir} writable by the till-agent user (systemd StateDirectory does this)` };
  }
  if (agent?.state === 'full') {
    return { name: 'data dir', ok: false, detail: `${dir}: the disk is full for the running agent since ${agent.since} (${agent.last_error})`,
      hint: FULL_HINT };
  }
  const fs = statfsSync(where);
  const freeMb = Math.floor((fs.bavail * fs.bsize) / (1024 * 1024));
  if (freeMb < minFreeMb) {
    return { name: 'data dir', ok: false, detail: `${where}: only ${freeMb} MB free (need ${minFreeMb} MB)`,
      hint: 'free disk space: queued sales cannot be accepted once the disk is full (STORAGE_FULL)' };
  }
  const created = exists ? '' : ' (the agent creates it at first start)';
  return { name: 'data dir', ok: true, detail: `${subject} writable, ${freeMb} MB free${created}` };
}

function nearestExisting(path: string): string {
  let p = dirname(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

// How long a read waits for a lock. An agent that started on a full disk holds the file
// exclusively, and every read then waits this long before SQLITE_BUSY: better-sqlite3's 5 s default
// made doctor hang ~20 s in front of the technician. The agent's own writes take milliseconds.
const BUSY_TIMEOUT_MS = 500;

export function checkDatabase(config: Config): Check {
  const file = join(config.data_dir, 'till-agent.db');
  if (!existsSync(file)) return { name: 'database', ok: true, detail: `${file} not created yet (first start creates it)` };
  const denied = accessDenied(file);
  if (denied) {
    // Not damage: a file of another user (a run as root) that the agent cannot open either.
    return { name: 'database', ok: false,
      detail: `${denied.path} is not readable and writable by this user (owner uid ${denied.uid}, mode 0${denied.mode.toString(8)})`,
      hint: databaseAccessHint(file, 'till-agent') };
  }
  if (statSync(file).size === 0) {
    return { name: 'database', ok: false, detail: `${file} is empty (0 bytes): truncated, the agent refuses to start with it`, hint: corruptHint(file) };
  }
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    try {
      const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
      const result = rows.map((r) => r.quick_check).join('; ');
      if (result !== 'ok') {
        return { name: 'database', ok: false, detail: `quick_check: ${result.slice(0, 200)}`, hint: corruptHint(file) };
      }
      const pending = (db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending'").get() as { n: number }).n;
      return { name: 'database', ok: true, detail: `${file} passes quick_check, ${pending} pending` };
    } finally {
      db.close();
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY') {
      return { name: 'database', ok: false,
        detail: `${file} is in use by the running agent alone (it started on a full disk and holds the file exclusively)`,
        hint: 'free disk space, then restart the agent (systemctl restart till-agent) so that tools can read the database again' };
    }
    if (isDiskFull(error)) return { name: 'database', ok: false, detail: `${file}: cannot be opened, the disk is full (${code})`, hint: FULL_HINT };
    return { name: 'database', ok: false, detail: `${file}: ${(error as Error).message}`, hint: corruptHint(file) };
  }
}

function corruptHint(file: string): string {
  return `stop the agent, keep a copy of ${file}* for support, save what it still holds with `
    + `"till-agent outbox export --data ${dirname(file)} > outbox.jsonl" (unsent sales: state pending), then move the `
    + 'file away: the agent creates a new one at the next start but never replaces an existing file';
}

/** The file's bytes, or none when this user cannot read it (connectCheck says so, naming the key). */
function readableOrEmpty(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}

/**
 * What to check for a broker error. A connection reset at once (mosquitto resets one whose first
 * bytes it cannot read) is almost always the scheme on the wrong port: mqtts:// on the plain listener
 * or mqtt:// on the TLS one; the broker runs and the network works, so the general hint misled.
 */
function brokerHint(message: string, url: string): string {
  if (/ECONNRESET|socket hang up|disconnected before secure TLS/i.test(message)) {
    const tls = url.startsWith('mqtts:');
    return `the broker dropped the connection at once: ${tls ? 'mqtts:// needs its TLS listener (usually port 8883); the plain one (1883)'
      : 'mqtt:// needs its plain listener (usually port 1883); the TLS one (8883, for mqtts://)'} drops it so. `
      + 'Check the scheme and port of uplink.url against the broker\'s listeners, then the network and any firewall';
  }
  return /auth|not authorized|bad user|refused this till/i.test(message)
    ? 'check uplink.username / password or the client certificate'
    : /certificate|self.signed|tls|ssl/i.test(message)
      ? 'check uplink.ca and the broker certificate, and the till clock'
      : 'check uplink.url, that the broker runs, the network and any firewall';
}

export async function checkBroker(config: Config, timeoutMs: number, running?: StatusResult['uplink']): Promise<Check> {
  const url = urlWithoutUserinfo(config.uplink.url); // shown: never the password of a mqtt://user:pw@ URL
  if (url === 'embedded') return { name: 'broker', ok: true, detail: 'embedded broker (started by the agent itself)' };
  // A client certificate out of its dates, from the file (the broker's alert names no file): also while
  // a running agent is still connected, as its next reconnect will be refused.
  const cert = config.uplink.cert;
  const dates = cert ? certificateDates(readableOrEmpty(cert), cert, new Date()) : undefined;
  if (dates) return { name: 'broker', ok: false, detail: dates.problem, hint: dates.hint };
  // With the agent running, ask it: a second connection with its certificate would, on the fleet
  // broker (systemd/mosquitto: the CN is the client id), take over its session and kick it off.
  // Unless it runs with other settings than the file's (edited since it started): its link says
  // nothing about the file's broker, which is checked itself, and the agent needs a restart.
  const changed = running?.broker ? brokerChanges(config, running.broker) : [];
  if (changed.length > 0) {
    const file = await connectCheck(config, timeoutMs);
    const restart = 'restart the agent to use the file\'s broker settings (systemctl restart till-agent)';
    return { name: 'broker', ok: false,
      detail: `${file.detail}; the running agent uses other broker settings than the file (${changed.join(', ')}): a restart is needed`,
      hint: file.ok ? restart : `${file.hint}; then ${restart}` };
  }
  if (running) {
    if (running.connected && !running.last_error) return { name: 'broker', ok: true, detail: `${url}: the running agent is connected since ${running.since}` };
    const why = running.last_error ?? running.state;
    return { name: 'broker', ok: false, detail: `${url}: the running agent ${running.connected ? 'is connected but' : 'is not connected:'} ${why}`, hint: brokerHint(why, url) };
  }
  return connectCheck(config, timeoutMs);
}

/**
 * How the running agent's broker settings differ from the file's: its URL, or the CA or client
 * certificate by content (a renewed file at the same path too). A file doctor cannot read is not
 * compared (the agent, another user, may read it).
 */
function brokerChanges(config: Config, running: BrokerSettings): string[] {
  const { ca, cert } = config.uplink;
  const readable = (path: string | undefined) => {
    try {
      return path ? readFileSync(path) : undefined;
    } catch {
      return null;
    }
  };
  const files = { ca: readable(ca), cert: readable(cert) };
  const { uplink } = config;
  const file = brokerSettings(uplink.url, { ...(files.ca ? { ca: files.ca } : {}), ...(files.cert ? { cert: files.cert } : {}) }, {
    clientId: agentClientId(uplink, config), username: uplink.username,
    protocolVersion: uplink.protocol_version, rejectUnauthorized: uplink.reject_unauthorized,
  });
  const changes: string[] = [];
  if (file.url !== running.url) changes.push(`it is connected to ${running.url}`);
  if (files.ca !== null && file.ca_sha256 !== running.ca_sha256) changes.push('it read another uplink.ca');
  if (files.cert !== null && file.cert_sha256 !== running.cert_sha256) changes.push('it read another uplink.cert');
  // The connect settings an older agent does not show (undefined) are not compared.
  if (running.username !== undefined && file.username !== running.username) changes.push('it connects with another uplink.username');
  if (running.client_id !== undefined && file.client_id !== running.client_id) changes.push(`it connects as client id ${running.client_id}`);
  if (running.protocol_version !== undefined && file.protocol_version !== running.protocol_version) {
    changes.push(`it speaks uplink.protocol_version ${running.protocol_version}`);
  }
  if (running.reject_unauthorized !== undefined && file.reject_unauthorized !== running.reject_unauthorized) {
    changes.push(`it runs with uplink.reject_unauthorized ${running.reject_unauthorized}`);
  }
  return changes;
}

/** Connects to the file's broker with the file's settings (the agent not running, or running with others). */
async function connectCheck(config: Config, timeoutMs: number): Promise<Check> {
  const url = urlWithoutUserinfo(config.uplink.url); // shown only: the client connects with the file's URL
  let files;
  try {
    files = readTlsFiles(config.uplink, 'till-agent', config.uplink.url);
  } catch (error) {
    if (!(error instanceof SetupProblem)) throw error;
    // The same words as the agent's start: which key, which file, why, and what to do.
    const verb = error.code === 'EBADPEM' ? 'cannot use' : 'cannot read'; // there, but not a certificate or key that works
    return { name: 'broker', ok: false, detail: `${verb} ${error.key} ${error.target}: ${error.reason}`, hint: error.hint };
  }
  const options = {
    ...mqttConnectOptions(config.uplink, `till-doctor-${config.terminal}-${process.pid}`, files),
    clean: true, reconnectPeriod: 0, connectTimeout: timeoutMs,
  };
  delete (options as { properties?: unknown }).properties;
  return new Promise((resolve) => {
    const client = mqtt.connect(config.uplink.url, options);
    const finish = (check: Check) => {
      clearTimeout(timer);
      client.end(true);
      resolve(check);
    };
    const timer = setTimeout(() => finish({ name: 'broker', ok: false, detail: `${url}: no answer within ${timeoutMs} ms`,
      hint: 'check uplink.url, the network and any firewall between the till and the broker' }), timeoutMs);
    const tls = !url.startsWith('mqtts') ? '' : config.uplink.reject_unauthorized ? ' (TLS)'
      : ' (TLS, the broker\'s certificate NOT verified: uplink.reject_unauthorized is false, for test benches only)';
    client.once('connect', () => finish({ name: 'broker', ok: true, detail: `${url} accepted the connection${tls}` }));
    client.once('error', (error) => finish({ name: 'broker', ok: false, detail: `${url}: ${error.message}`, hint: brokerHint(error.message, url) }));
  });
}

const JUMP_HINT = 'check NTP (timedatectl; ProtectClock= keeps the agent itself from setting it): until the clock agrees '
  + "again the agent prunes and judges cached customers by its trusted time (the host's clock), never by this one";

/** What the agent recorded about its clock (agent/till-clock.ts), or the wall clock behind the trusted time it saved. */
function clockJump(db: Database.Database, t: Date): Check | null {
  const meta = (key: string) => {
    try {
      const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
      return row ? JSON.parse(row.value) as Record<string, unknown> : null;
    } catch {
      return null;
    }
  };
  const jump = meta('clock_jump') as ClockJump | null;
  if (jump && typeof jump.offset_ms === 'number') {
    const against = jump.source === 'host' ? "the host's clock" : 'the trusted time';
    const seen = jump.source === 'start' ? 'at start' : jump.source === 'running' ? 'while running' : 'by the host';
    return { name: 'clock', ok: false, detail: `the clock jumped: the wall clock was ${describeOffset(jump.offset_ms)} ${against} (seen ${seen}, wall clock ${jump.wall})`,
      hint: JUMP_HINT };
  }
  const saved = meta('clock') as { trusted?: string } | null;
  const trusted = saved?.trusted ? Date.parse(saved.trusted) : NaN;
  if (trusted - t.getTime() > TOLERANCE_MS) {
    return { name: 'clock', ok: false, detail: `the clock went back: it says ${t.toISOString()}, the agent last trusted ${saved!.trusted}`, hint: JUMP_HINT };
  }
  return null;
}

export function checkClock(config: Config, now: () => Date): Check {
  const t = now();
  if (t.getUTCFullYear() < 2025 || t.getUTCFullYear() > 2100) {
    return { name: 'clock', ok: false, detail: `the clock says ${t.toISOString()}`,
      hint: 'set the time (timedatectl set-ntp true): receipts, offers and TLS certificates depend on it' };
  }
  const file = join(config.data_dir, 'till-agent.db');
  if (existsSync(file)) {
    try {
      const db = new Database(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
      try {
        const jump = clockJump(db, t);
        if (jump) return jump;
        const row = db.prepare('SELECT max(created_at) AS latest FROM outbox').get() as { latest: string | null };
        if (row.latest && Date.parse(row.latest) - t.getTime() > 5 * 60_000) {
          return { name: 'clock', ok: false, detail: `the outbox holds a sale from ${row.latest}, later than now (${t.toISOString()})`,
            hint: 'the clock went backwards: check NTP (timedatectl) before selling' };
        }
      } finally {
        db.close();
      }
    } catch {
      // The database check reports an unreadable file; the clock check stays about the clock.
    }
  }
  return { name: 'clock', ok: true, detail: t.toISOString() };
}
