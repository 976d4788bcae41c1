// The `uplink:` config section, shared by the agent and the reference host, and the
// pure mapping from it to MQTT.js connect options (callers read the TLS files).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RECONNECT_MAX_MS, RECONNECT_MIN_MS, type ReconnectBackoff } from './reconnect-backoff.ts';
import type { BrokerSettings } from './local.ts';
import { DEFAULT_SHARE_GROUP, DEFAULT_TOPIC_PREFIX, topicPrefixProblem, type TillIdentity } from './upstream.ts';

// `key:` with no value in YAML is null: treat it as "not set".
const optionalText = (error: string) => z.string({ error }).nullish().transform((v) => v ?? undefined);

/** A broker URL whose port (if given) is 1-65535; `new URL` refuses anything else. */
export function isBrokerUrl(value: string): boolean {
  if (!/^mqtts?:\/\/[^\s]+$/.test(value)) return false;
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
}

// Strict: a misspelt key (`reject_unauthorised`) is an error naming it, never silently ignored.
export const uplinkConfigSchema = z.strictObject({
  url: z
    .string({ error: 'must be mqtt://HOST:PORT, mqtts://HOST:PORT or "embedded"' })
    .refine((v) => v === 'embedded' || isBrokerUrl(v), { error: 'must be mqtt://HOST:PORT, mqtts://HOST:PORT or "embedded" (port 1-65535)' }),
  protocol_version: z.union([z.literal(4), z.literal(5)], { error: 'must be 5 (MQTT 5) or 4 (MQTT 3.1.1)' }).default(5),
  topic_prefix: z
    .string()
    .regex(/^[^#+\s]+$/, { error: 'must be an MQTT topic without wildcards, e.g. till/v1/{merchant}/{store}/{terminal}' })
    .superRefine((pattern, ctx) => {
      const problem = topicPrefixProblem(pattern);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .default(DEFAULT_TOPIC_PREFIX),
  client_id: optionalText('must be a string'),
  username: optionalText('must be a string'),
  password: optionalText('must be a string'),
  ca: optionalText('must be a path to a PEM file'),
  cert: optionalText('must be a path to a PEM file'),
  key: optionalText('must be a path to a PEM file'),
  reject_unauthorized: z.boolean().default(true),
  keepalive_s: z.number().int().min(5).max(3600).default(30),
  request_timeout_ms: z.number().int().min(100, { error: 'must be at least 100' }).max(600_000).default(3000),
  share_group: z.string().regex(/^[^/#+\s]*$/, { error: 'must be a name without / + # (empty: no shared subscription)' }).default(DEFAULT_SHARE_GROUP),
  embedded_port: z.number().int().min(0).max(65535).default(1884),
  // The broker unreachable: the first wait before trying again, doubling up to the longest.
  reconnect_min_ms: z.number().int().min(100, { error: 'must be at least 100' }).max(60_000, { error: 'must be at most 60000' }).default(RECONNECT_MIN_MS),
  reconnect_max_ms: z.number().int().min(100, { error: 'must be at least 100' }).max(3_600_000, { error: 'must be at most 3600000 (an hour)' }).default(RECONNECT_MAX_MS),
})
  .refine((u) => Boolean(u.cert) === Boolean(u.key), { error: 'cert and key must be given together', path: ['cert'] })
  .refine((u) => u.reconnect_max_ms >= u.reconnect_min_ms, { error: 'must be at least reconnect_min_ms', path: ['reconnect_max_ms'] });

export type UplinkConfig = z.output<typeof uplinkConfigSchema>;

/** The section's reconnect backoff (protocol/reconnect-backoff.ts). */
export function reconnectBackoff(config: Pick<UplinkConfig, 'reconnect_min_ms' | 'reconnect_max_ms'>): ReconnectBackoff {
  return { minMs: config.reconnect_min_ms, maxMs: config.reconnect_max_ms };
}

/** Makes the section's TLS file paths (ca, cert, key) absolute with `abs` (each program's config: against the file's directory). */
export function absoluteTlsFiles(uplink: Pick<UplinkConfig, 'ca' | 'cert' | 'key'>, abs: (path: string) => string): void {
  for (const k of ['ca', 'cert', 'key'] as const) {
    const v = uplink[k];
    if (v) uplink[k] = abs(v);
  }
}

export interface TlsFiles {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface MqttConnectOptions {
  protocolVersion: 4 | 5;
  clientId: string;
  clean: boolean;
  keepalive: number;
  reconnectPeriod: number;
  connectTimeout: number;
  username?: string;
  password?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  writeCache: false;
  properties?: { sessionExpiryInterval: number };
  log?: (...args: unknown[]) => void;
}

/** MQTT.js's log when its `debug` output is off anyway. */
const noLog = (): void => {};

/** Connect options for a durable client: persistent session so QoS 1 replies wait for us. */
export function mqttConnectOptions(config: UplinkConfig, clientId: string, files: TlsFiles, env: NodeJS.ProcessEnv = process.env): MqttConnectOptions {
  const options: MqttConnectOptions = {
    protocolVersion: config.protocol_version,
    clientId,
    clean: false,
    keepalive: config.keepalive_s,
    reconnectPeriod: config.reconnect_min_ms,
    connectTimeout: 10_000,
    rejectUnauthorized: config.reject_unauthorized,
    // mqtt-packet's default cache of every 2-byte number (65,536 Buffers, 6 MB of heap) is
    // the single largest thing in an idle agent; writing a packet id is cheap without it.
    writeCache: false,
  };
  if (config.protocol_version === 5) options.properties = { sessionExpiryInterval: 7 * 24 * 3600 };
  // MQTT.js logs through the `debug` package, shown with DEBUG=mqttjs*. Without DEBUG it shows nothing, but
  // each of the client's calls (a dozen a request) still collected its arguments and ran debug's disabled
  // check: ~1.5-2 % of an online award's instructions, host and agent (callgrind). Its own `log` option
  // replaces them (the host's consumer and the agent's uplink both start from these options); with DEBUG
  // set, MQTT.js keeps its own.
  if (!env.DEBUG) options.log = noLog;
  if (config.username !== undefined) options.username = config.username;
  if (config.password !== undefined) options.password = config.password;
  if (files.ca) options.ca = files.ca;
  if (files.cert) options.cert = files.cert;
  if (files.key) options.key = files.key;
  return options;
}

/** The agent's MQTT client id: uplink.client_id, else one named after the till. */
export function agentClientId(uplink: Pick<UplinkConfig, 'client_id'>, identity: TillIdentity): string {
  return uplink.client_id ?? `till-${identity.merchant}-${identity.store}-${identity.terminal}`;
}

/** The connect settings brokerSettings shows besides the URL and the files. */
export interface ShownConnectSettings {
  clientId: string;
  username: string | undefined;
  protocolVersion: 4 | 5;
  rejectUnauthorized: boolean;
}

/**
 * The broker settings a client connects with, as `status` shows them (LOCAL.md): the URL without
 * its userinfo (never a user name or password), the SHA-256 of the CA and client certificate
 * files as read (public material) and the non-secret connect settings (uplink.username,
 * client id, protocol version, reject_unauthorized); never the password or the key. doctor
 * compares them with the config file's.
 */
export function brokerSettings(url: string, files: TlsFiles, connect: ShownConnectSettings): BrokerSettings {
  return {
    url: urlWithoutUserinfo(url), ca_sha256: sha256(files.ca), cert_sha256: sha256(files.cert),
    username: connect.username ?? null, client_id: connect.clientId,
    protocol_version: connect.protocolVersion, reject_unauthorized: connect.rejectUnauthorized,
  };
}

/**
 * A broker URL as it may be shown (status, doctor, logs): without userinfo, as `mqtt://user:pw@host`
 * in uplink.url (or TILL_AGENT_BROKER_URL / TILL_HOST_BROKER_URL) would carry the password.
 */
export function urlWithoutUserinfo(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//'); // not a URL (the config refuses those): still no userinfo
  }
}

function sha256(file: Buffer | undefined): string | null {
  return file ? createHash('sha256').update(file).digest('hex') : null;
}
