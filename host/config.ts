// The reference host's YAML config: parsed and validated once at start. Every error names
// the key and what was expected, and all of them are reported together.
import { z } from 'zod';
import { isPointsUnit } from '../protocol/money.ts';
import { currencyCode } from '../protocol/schema.ts';
import { absoluteTlsFiles, isBrokerUrl, uplinkConfigSchema } from '../protocol/uplink-config.ts';
import { loadConfigFile, parseConfigText, type ConfigSpec } from '../runtime/config-file.ts';
import { LOG_LEVELS } from '../runtime/log.ts';
import { BACKENDS } from './backend.ts';
import { crmcomConfigSchema } from './crmcom/config.ts';
import { sessionmConfigSchema } from './sessionm/config.ts';
import { postgresConfigSchema } from './pg/pg-config.ts';
import { reductionRuleSchema } from './reduction.ts';
import { SPEND_CREDITS } from './refund-math.ts';
import { THIS_SALE_AWARD } from './sale.ts';

export const REDUCTIONS = ['front_end', 'back_end'] as const;
export const STORES = ['sqlite', 'postgres'] as const;

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

// "embedded" is the agent's in-process broker: it means nothing to a host, which always
// connects to a real broker shared with the fleet.
const hostUplinkSchema = uplinkConfigSchema.safeExtend({
  url: z
    .string({ error: 'must be mqtt://HOST:PORT or mqtts://HOST:PORT' })
    .refine(isBrokerUrl, { error: 'must be mqtt://HOST:PORT or mqtts://HOST:PORT ("embedded" is for the agent only)' }),
  // With client_id (a persistent session), MQTT 5: how long the broker keeps this host's session once
  // it is gone. The broker goes on handing that session its share of the fleet's requests meanwhile,
  // so it covers a restart, not a host that stays down (the agent's 7 days did: a third of a 3-host
  // fleet's requests waited for the tills' timeouts for as long as one host was down).
  session_expiry_s: z.number({ error: 'must be a number of seconds' }).int({ error: 'must be a whole number of seconds' })
    .min(1, { error: 'must be at least 1' }).max(604_800, { error: 'must be at most 604800 (7 days)' }).default(60),
});

export const hostConfigSchema = z.strictObject({
  data_dir: z.string({ error: 'must be a directory path' }).min(1, { error: 'must be a directory path' }),
  // Where the ledger lives: <data_dir>/host.db, or a PostgreSQL shared by the fleet's hosts (host/store.ts).
  store: z.enum(STORES, { error: `must be one of ${STORES.join(', ')}` }).default('sqlite'),
  postgres: postgresConfigSchema.optional(),
  uplink: hostUplinkSchema,
  seed: z.string({ error: 'must be a path to a seed YAML file' }).min(1).optional(),
  default_product: z
    .strictObject({
      sku: z.string({ error: 'must be a string' }).min(1).max(64).default('UNKNOWN'),
      name: z.string({ error: 'must be a string' }).min(1).max(256).default('Unknown product'),
    })
    .prefault({}),
  // Basket currencies the host accepts (ISO 4217). Empty: those of the wallets in the ledger.
  currencies: z.array(currencyCode().refine((c) => !isPointsUnit(c), { error: 'is a points unit, not a currency' })).max(200).default([]),
  reduction: z.enum(REDUCTIONS, { error: `must be one of ${REDUCTIONS.join(', ')}` }).default('front_end'),
  // SessionM's default lock time is 15 minutes: long locks keep offers out of reach.
  lock_ttl_s: z.number({ error: 'must be a number of seconds' }).int({ error: 'must be a whole number of seconds' })
    .min(1, { error: 'must be at least 1' }).max(86_400, { error: 'must be at most 86400 (a day)' }).default(900),
  // Per purchase, first match wins; `reduction` is the default (host/reduction.ts).
  reduction_rules: z.array(reductionRuleSchema, { error: 'must be a list of rules' }).default([]),
  // Whether a sale's own award may be spent in the same sale. The CRM.COM guide (seed 000): "The
  // amount that a customer can spend is the total amount that the customer was awarded from
  // previous purchases": excluded by default.
  spend: z.strictObject({
    this_sale_award: z.enum(THIS_SALE_AWARD, { error: `must be one of ${THIS_SALE_AWARD.join(', ')}` }).default('excluded'),
  }, { error: 'must be a mapping' }).prefault({}),
  refunds: z.strictObject({
    spend_credit: z.enum(SPEND_CREDITS, { error: `must be one of ${SPEND_CREDITS.join(', ')}` }).default('proportional'),
  }, { error: 'must be a mapping' }).prefault({}),
  timezone: z
    .string({ error: 'must be an IANA time zone like "Europe/Paris"' })
    .refine(isTimeZone, { error: 'must be an IANA time zone like "Europe/Paris"' })
    .default('UTC'),
  log_level: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  // Where answers come from: the host's own ledger, or a loyalty platform (host/README.md, "Backends").
  backend: z.enum(BACKENDS, { error: `must be one of ${BACKENDS.join(', ')}` }).default('ledger'),
  // "127.0.0.1:9466": Prometheus metrics of the platform calls (platform/metrics.ts). Off by default.
  metrics_listen: z
    .string({ error: 'must be HOST:PORT' })
    .regex(/^[^\s:]+:\d{1,5}$/, { error: 'must be HOST:PORT, e.g. 127.0.0.1:9466' })
    .optional(),
  crmcom: crmcomConfigSchema.optional(),
  sessionm: sessionmConfigSchema.optional(),
}).superRefine((c, ctx) => {
  // Each platform section belongs to its backend; a seed only fills the host's own ledger.
  if (c.backend === 'crmcom' && !c.crmcom) ctx.addIssue({ code: 'custom', path: ['crmcom'], message: 'required with backend: crmcom' });
  if (c.backend !== 'crmcom' && c.crmcom) ctx.addIssue({ code: 'custom', path: ['crmcom'], message: `only used with backend: crmcom (backend is ${c.backend})` });
  if (c.backend === 'sessionm' && !c.sessionm) ctx.addIssue({ code: 'custom', path: ['sessionm'], message: 'required with backend: sessionm' });
  if (c.backend !== 'sessionm' && c.sessionm) ctx.addIssue({ code: 'custom', path: ['sessionm'], message: `only used with backend: sessionm (backend is ${c.backend})` });
  if (c.store === 'postgres' && !c.postgres) ctx.addIssue({ code: 'custom', path: ['postgres'], message: 'required with store: postgres' });
  if (c.store !== 'postgres' && c.postgres) ctx.addIssue({ code: 'custom', path: ['postgres'], message: `only used with store: postgres (store is ${c.store})` });
  if (c.backend !== 'ledger' && c.seed !== undefined) ctx.addIssue({ code: 'custom', path: ['seed'], message: `only used with backend: ledger (the ${c.backend} platform holds the customers)` });
});

export type HostConfig = z.output<typeof hostConfigSchema>;

export const HOST_ENV_OVERRIDES = { TILL_HOST_BROKER_URL: 'uplink.url', TILL_HOST_DATA_DIR: 'data_dir' } as const;

const HOST_CONFIG: ConfigSpec<HostConfig> = {
  what: 'host configuration',
  user: 'till-agent-host',
  schema: hostConfigSchema,
  env: HOST_ENV_OVERRIDES,
  absolutePaths(config, abs) {
    config.data_dir = abs(config.data_dir);
    if (config.seed) config.seed = abs(config.seed);
    if (config.crmcom?.api_key_file) config.crmcom.api_key_file = abs(config.crmcom.api_key_file);
    if (config.crmcom?.password_file) config.crmcom.password_file = abs(config.crmcom.password_file);
    if (config.postgres?.password_file) config.postgres.password_file = abs(config.postgres.password_file);
    if (config.sessionm?.secret_file) config.sessionm.secret_file = abs(config.sessionm.secret_file);
    absoluteTlsFiles(config.uplink, abs);
  },
};

/** Parse YAML text into a validated config (runtime/config-file.ts); relative paths are resolved against the file's directory. */
export function parseHostConfig(text: string, file: string, env: NodeJS.ProcessEnv = {}): HostConfig {
  return parseConfigText(HOST_CONFIG, text, file, env);
}

export function loadHostConfig(file: string, env: NodeJS.ProcessEnv = process.env): HostConfig {
  return loadConfigFile(HOST_CONFIG, file, env);
}
