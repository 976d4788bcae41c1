// Which agent an operator command is about. In order: --config FILE; --data DIR (a demo's data
// directory, where the demo writes the config it runs with, or an agent's data_dir for the
// commands that only read its database); otherwise the installed config, else the demo started
// from this directory (npm start: ./data). A missing config is "not found" with what to do.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, type Config } from '../../agent/config.ts';

export const INSTALLED_CONFIG = '/etc/till-agent/config.yaml';
/** The demo's data directory when none is given (relative to where it was started). */
export const DEMO_DATA_DIR = 'data';
/** The config the demo runs with, written into its data directory at start. */
export const CONFIG_IN_DATA_DIR = 'config.yaml';
export const DATABASE_FILE = 'till-agent.db';

export class NotFoundError extends Error {
  readonly code = 'NOT_FOUND';
  constructor(readonly what: string, readonly hint: string) {
    super(`${what}: ${hint}`);
  }
}

export interface Where {
  config?: string;
  data?: string;
}

/** What to suggest when nothing is found: commands that read the database have no --tcp. */
const HINT_SOCKET = 'use --config FILE, --tcp HOST:PORT or --data DIR (the demo\'s data directory)';
const HINT_FILES = 'use --config FILE or --data DIR (the demo\'s data directory, or the agent\'s data_dir)';

export function locateConfig(where: Where, { cwd = process.cwd(), hint = HINT_SOCKET } = {}): string {
  if (where.config !== undefined) {
    if (!existsSync(where.config)) throw new NotFoundError(`config not found: ${where.config}`, hint);
    return where.config;
  }
  if (where.data !== undefined) {
    const file = join(resolve(cwd, where.data), CONFIG_IN_DATA_DIR);
    if (!existsSync(file)) throw new NotFoundError(`no ${CONFIG_IN_DATA_DIR} in ${where.data} (a demo writes ${file} when it starts)`, hint);
    return file;
  }
  if (existsSync(INSTALLED_CONFIG)) return INSTALLED_CONFIG;
  const demo = join(cwd, DEMO_DATA_DIR, CONFIG_IN_DATA_DIR);
  if (existsSync(demo)) return demo;
  throw new NotFoundError(`config not found: ${INSTALLED_CONFIG} (and no demo's ${join(DEMO_DATA_DIR, CONFIG_IN_DATA_DIR)} here)`, hint);
}

/**
 * The agent's database for commands that read it directly (outbox export, receipt preview),
 * with its config when there is one: `--data` may also name an agent's data_dir itself.
 */
export function locateDatabase(where: Where, cwd = process.cwd()): { file: string; config?: Config; configFile?: string } {
  if (where.data !== undefined) {
    const dir = resolve(cwd, where.data);
    if (!existsSync(join(dir, CONFIG_IN_DATA_DIR)) && existsSync(join(dir, DATABASE_FILE))) return { file: join(dir, DATABASE_FILE) };
  }
  const configFile = locateConfig(where, { cwd, hint: HINT_FILES });
  const config = loadConfig(configFile);
  return { file: join(config.data_dir, DATABASE_FILE), config, configFile };
}
