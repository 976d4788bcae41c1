// The agent's YAML config: parsed and validated once at start. Every error names the key
// and what was expected, and all of them are reported together.
import { z } from 'zod';
import { MAX_AMOUNT, isPointsUnit } from '../protocol/money.ts';
import { currencyCode } from '../protocol/schema.ts';
import { MAX_CHAINED_MESSAGES, isTopicLevel } from '../protocol/upstream.ts';
import { absoluteTlsFiles, uplinkConfigSchema } from '../protocol/uplink-config.ts';
import { devicesConfigSchema } from '../drivers/config.ts';
import { loadConfigFile, parseConfigText, type ConfigSpec } from '../runtime/config-file.ts';
import { LOG_LEVELS } from '../runtime/log.ts';
import { isLoopback, parseListen } from './socket/listen-address.ts';

export { parseListen };

/**
 * systemd/config.sample.yaml's placeholder for the values only the technician knows (identity,
 * broker). A config still holding it is refused (exit 2, never restarted by systemd): the package
 * enables the service on install, and after a reboot it would otherwise serve the POS, queueing
 * sales, as till CHANGE-ME/CHANGE-ME/CHANGE-ME against a broker that does not exist.
 */
export const PLACEHOLDER = 'CHANGE-ME';
const notPlaceholder = (what: string) => (v: string) => !v.includes(PLACEHOLDER) || `is still the sample's placeholder ${PLACEHOLDER}: set ${what}`;

const identity = (what: string) =>
  // Numeric ids are common (store 0042): unquoted, YAML hands over the number 42, its zeros gone.
  z.string({ error: (issue) => typeof issue.input === 'number'
    ? `is a number to YAML (${String(issue.input)}): write the ${what} id in quotes, exactly as it is, e.g. ${what}: "0042" (unquoted, 0042 would be 42)`
    : `must be a string naming the ${what}` })
    .min(1, { error: `must name the ${what}` })
    .max(64)
    .refine(isTopicLevel, { error: 'must not contain "/", "+", "#"' })
    .check((ctx) => {
      const problem = notPlaceholder(`this till's ${what} id`)(ctx.value);
      if (problem !== true) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    });

const LISTEN = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/;

const tcpListen = z
  .union([z.literal(false), z.string()], { error: 'must be "HOST:PORT" or false' })
  .superRefine((v, ctx) => {
    if (v === false) return;
    const port = LISTEN.exec(v)?.[2];
    if (port === undefined) ctx.addIssue({ code: 'custom', message: 'must be "HOST:PORT" (IPv6: "[::1]:PORT") or false' });
    // 0 picks a free port (tests and benchmarks read it back); a POS needs a fixed one.
    else if (Number(port) > 65535) ctx.addIssue({ code: 'custom', message: `port ${port} is out of range (0-65535)` });
  });

/** Every section is strict: a misspelt key (`socket.tokn`) is an error naming it, never ignored. */
export const configSchema = z.strictObject({
  terminal: identity('terminal'),
  store: identity('store'),
  merchant: identity('merchant'),
  data_dir: z.string({ error: 'must be a directory path' }).min(1),
  log_level: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  socket: z
    .strictObject({
      tcp: tcpListen.default('127.0.0.1:7411'),
      unix: z.union([z.literal(false), z.string().min(1)], { error: 'must be a socket path or false' })
        .default('/run/till-agent/till-agent.sock'),
      token: z.string().min(8, { error: 'must be at least 8 characters' }).nullable().default(null),
      // Anyone who reaches a TCP listener beyond loopback can award and spend: without a token
      // that is refused unless this says so explicitly (and the agent then warns at every start).
      allow_remote_without_token: z.boolean({ error: 'must be true or false' }).default(false),
      max_connections: z.number().int().min(1).max(1024).default(32),
      max_inflight_per_connection: z.number().int().min(1).max(1024).default(32),
      // With a token, a connection must say hello with it within this time or is closed.
      hello_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
      // A connection with no input, nothing in flight and no event subscription is closed after this; 0 never.
      idle_timeout_ms: z.number().int().min(0).max(86_400_000).default(300_000),
    })
    .prefault({})
    .superRefine((socket, ctx) => {
      if (socket.tcp === false || socket.token !== null || socket.allow_remote_without_token) return;
      if (!isLoopback(parseListen(socket.tcp).host)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tcp'],
          message: `${socket.tcp} is reachable beyond this machine: set socket.token (or, knowingly, socket.allow_remote_without_token: true)`,
        });
      }
    }),
  uplink: uplinkConfigSchema.check((ctx) => {
    const problem = notPlaceholder('the fleet broker\'s URL (mqtts://HOST:8883)')(ctx.value.url);
    if (problem !== true) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value.url, path: ['url'] });
  }),
  // Basket currencies the loyalty host accepts; a basket in another is BAD_REQUEST at the till.
  // Empty: learnt from the host's identify and preview answers (agent/upstream/host-currencies.ts).
  currencies: z.array(currencyCode().refine((c) => !isPointsUnit(c), { error: 'is a points unit, not a currency' }), { error: 'must be a list of currencies like [EUR]' })
    .max(200).default([]),
  offline: z
    .strictObject({
      spend_floor_limit: z.number({ error: 'must be an integer amount in minor units (0 disables offline spend)' })
        .int({ error: 'must be an integer amount in minor units' }).min(0)
        .max(MAX_AMOUNT, { error: `must be at most ${MAX_AMOUNT} minor units` }).default(0),
      identify_cache_days: z.number().int().min(0).max(3650).default(30),
      // Till-wide limits of what was spent offline and not yet confirmed by the host (offline-policy.ts).
      total_spend_limit: z.number({ error: 'must be an integer amount in minor units' })
        .int({ error: 'must be an integer amount in minor units' }).min(0, { error: 'must not be negative' })
        .max(MAX_AMOUNT, { error: `must be at most ${MAX_AMOUNT} minor units` }).default(10_000),
      total_spend_count: z.number({ error: 'must be a whole number of spends' })
        .int({ error: 'must be a whole number of spends' }).min(0, { error: 'must not be negative' }).max(100_000).default(20),
      // Offline spend is declined once the link has not been confirmed up for this long.
      max_age_s: z.number({ error: 'must be a number of seconds' })
        .int({ error: 'must be a whole number of seconds' }).min(1, { error: 'must be at least 1' })
        .max(30 * 86_400, { error: 'must be at most 2592000 (30 days)' }).default(86_400),
    })
    .prefault({}),
  outbox: z
    .strictObject({
      batch_size: z.number().int().min(1).max(100).default(50),
      // To a host that chains requests (UPSTREAM.md, "Pipelining"): requests in flight, and
      // messages per request while a backlog drains.
      window: z.number().int().min(1).max(32).default(4),
      backlog_batch_size: z.number().int().min(1).max(MAX_CHAINED_MESSAGES).default(200),
      max_backoff_ms: z.number().int().min(100).default(30_000),
      keep_done_days: z.number().int().min(1).default(30),
    })
    .prefault({}),
  metrics: z
    .strictObject({ listen: tcpListen.default(false) })
    .prefault({}),
  // The technician's status page (agent/status-page/): off by default. Beyond loopback it is
  // served only with a token; its buttons (print test, retry dead letters) always need one.
  // Strict like every section: a misspelt `tokn` would leave the buttons off without a word.
  status_page: z
    .strictObject({
      listen: tcpListen.default(false),
      token: z.string({ error: 'must be a string of at least 16 characters, or null' })
        .min(16, { error: 'must be at least 16 characters' }).nullable().default(null),
    })
    .refine((s) => s.listen === false || s.token !== null || isLoopback(parseListen(s.listen).host), {
      error: 'is required when status_page.listen is not a loopback address', path: ['token'],
    })
    .prefault({}),
  devices: devicesConfigSchema,
  // A scanned loyalty card/barcode that matches `pattern` is identified at once and the POS
  // receives an `identified` event. Payment cards never are.
  identify_on_scan: z
    .strictObject({
      pattern: z.string({ error: 'must be a regular expression' }).refine(isRegExp, { error: 'must be a valid regular expression' }),
      by: z.enum(['card', 'token'], { error: 'must be card or token' }).default('card'),
    })
    .nullable()
    .default(null),
});

export type Config = z.output<typeof configSchema>;

function isRegExp(value: string): boolean {
  try {
    new RegExp(value);
    return true;
  } catch {
    return false;
  }
}

export const ENV_OVERRIDES = { TILL_AGENT_BROKER_URL: 'uplink.url', TILL_AGENT_DATA_DIR: 'data_dir' } as const;

const AGENT_CONFIG: ConfigSpec<Config> = {
  what: 'configuration',
  user: 'till-agent',
  schema: configSchema,
  env: ENV_OVERRIDES,
  minorUnits: ['offline.spend_floor_limit', 'offline.total_spend_limit'],
  absolutePaths(config, abs) {
    config.data_dir = abs(config.data_dir);
    if (config.socket.unix) config.socket.unix = abs(config.socket.unix);
    absoluteTlsFiles(config.uplink, abs);
    // A device file too (serial, file and evdev transports): the agent under systemd runs in /, doctor wherever the technician is.
    for (const d of config.devices) if (d.path !== undefined) d.path = abs(d.path);
  },
};

/** Parse YAML text into a validated config (runtime/config-file.ts). Relative paths are resolved against the file's directory. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = {}): Config {
  return parseConfigText(AGENT_CONFIG, text, file, env);
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfigFile(AGENT_CONFIG, file, env);
}
