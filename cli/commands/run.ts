// `till-agent run --config FILE`: the service. Exits 2 on an invalid config before
// touching anything; on SIGTERM/SIGINT stops accepting, finishes in-flight requests,
// closes SQLite and exits 0 within 5 s.
import { ConfigError } from '../../runtime/config-file.ts';
import { ENV_OVERRIDES, loadConfig } from '../../agent/config.ts';
import { startDaemon } from '../../agent/daemon.ts';
import { DatabaseUnusable } from '../../agent/storage/db.ts';
import { createLogger } from '../../runtime/log.ts';
import { createNotifier } from '../../runtime/sd-notify.ts';
import { EXIT_IN_USE, EXIT_SETUP, SetupProblem, fromEnvironment, setupExitCode } from '../../runtime/setup-problem.ts';
import { VERSION } from '../../agent/version.ts';
import { UsageError, parseFlags } from './args.ts';
import { print, printError } from './output.ts';
import { listenForSignal } from './signals.ts';

const HELP = `till-agent run --config FILE

Runs the agent: local POS socket, durable outbox, MQTT uplink.
  --config FILE   YAML configuration (see README, "Configuration")
Environment: TILL_AGENT_BROKER_URL overrides uplink.url, TILL_AGENT_DATA_DIR overrides data_dir.
Exit status: 0 when stopped by SIGTERM/SIGINT, 1 when it cannot start for another reason (an
address not of this machine included), 2 for an invalid config or bad usage, 3 when its TCP port
or Unix socket is in use (another agent runs), 4 when the till's setup keeps it from starting (a
damaged or empty database, a missing TLS file, a data_dir or socket directory it may not write,
each named in one log line): the unit does not restart it, fix it and start it again.
`;

/** Exit status when a port or socket the agent needs is taken (another agent or demo runs). */
export { EXIT_IN_USE };

export async function runCommand(args: string[]): Promise<number> {
  const { values: options } = parseFlags(args, { config: { type: 'string' } });
  if (options.help) {
    print(HELP);
    return 0;
  }
  if (options.config === undefined) {
    throw new UsageError('--config FILE is required');
  }
  let config;
  try {
    config = loadConfig(options.config);
  } catch (error) {
    if (error instanceof ConfigError) {
      printError(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const log = createLogger({ level: config.log_level });
  const startLog = config.log_level === 'silent' ? createLogger({ level: 'fatal' }) : log;
  // Listen before starting: a SIGTERM during start-up (or just after "ready") then stops the
  // agent cleanly instead of ending it the default way.
  const signal = listenForSignal(log);
  let daemon;
  try {
    const faults = new Set((process.env.TILL_AGENT_FAULT ?? '').split(',').filter(Boolean));
    if (faults.size > 0) log.warn({ faults: [...faults] }, 'FAULT INJECTION ENABLED (tests only)');
    const offset = Number(process.env.TILL_AGENT_TEST_CLOCK_OFFSET_MS ?? 0) || 0;
    if (offset !== 0) log.warn({ offset_ms: offset }, 'WALL CLOCK STEPPED BY TILL_AGENT_TEST_CLOCK_OFFSET_MS (tests only)');
    daemon = await startDaemon(config, { log, version: VERSION, faults, ...(offset ? { wallClock: () => Date.now() + offset } : {}) });
  } catch (error) {
    signal.dispose();
    // Why it could not start is printed whatever log_level says: with "silent", systemd would restart
    // it five times and give up with nothing in the journal but the exit status.
    if (error instanceof SetupProblem) {
      // The till's setup (a TLS file, data_dir, the socket's directory, an address): one line that
      // names the key and what to do, no stack.
      startLog.fatal({ config_key: error.key, target: error.target, reason: error.reason }, `till-agent could not start: ${fromEnvironment(error, ENV_OVERRIDES, process.env)}`);
      return setupExitCode(error);
    }
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      // One clear line, no stack: nothing is wrong with the agent, something else has its address.
      startLog.fatal({ reason: e.message }, 'till-agent could not start: its address is in use (is another till-agent running?)');
      return EXIT_IN_USE;
    }
    if (error instanceof DatabaseUnusable) {
      // One line, no stack: the file is kept as it is for the technician (it may hold unsent sales).
      startLog.fatal({ file: error.file, reason: error.reason }, `till-agent could not start: ${databaseAdvice(error, options.config)}`);
      return EXIT_SETUP;
    }
    startLog.fatal({ err: error }, 'till-agent could not start');
    return 1;
  }
  const notifier = createNotifier(process.env, log);
  notifier.ready(`serving terminal ${config.terminal}`);
  notifier.startWatchdog();
  const stop = daemon.stop;
  return signal.thenStop(async () => {
    notifier.stopping();
    await stop();
    notifier.close();
  });
}

export function databaseAdvice(error: DatabaseUnusable, configFile: string): string {
  return `${error.message}; the agent does not replace it. Run "till-agent doctor --config ${configFile}", `
    + `then save what it holds with "till-agent outbox export --config ${configFile}" (README, "Damaged database")`;
}
