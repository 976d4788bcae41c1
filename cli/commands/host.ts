// `till-agent host --config FILE [--check-backend | --doctor]`: runs the reference loyalty host
// (host/start-host.ts) until a signal, or runs its checks and exits.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { runBackendCheck } from '../../host/check.ts';
import { HOST_ENV_OVERRIDES, loadHostConfig, type HostConfig } from '../../host/config.ts';
import { startHost, type HostHandle } from '../../host/start-host.ts';
import { LEDGER_FILE } from '../../host/store.ts';
import { SeedError } from '../../host/seed.ts';
import { ConfigError } from '../../runtime/config-file.ts';
import { createLogger } from '../../runtime/log.ts';
import { createNotifier } from '../../runtime/sd-notify.ts';
import { SetupProblem, fromEnvironment, setupExitCode } from '../../runtime/setup-problem.ts';
import { UsageError } from './args.ts';
import { listenForSignal } from './signals.ts';

const USAGE = `till-agent host --config FILE [--check-backend | --doctor]

Runs the reference loyalty host: consumes till requests from the MQTT broker (shared
subscription, so several hosts can serve one fleet) and keeps the ledger in
<data_dir>/${LEDGER_FILE}, or in PostgreSQL with store: postgres. Config and seed formats:
host/README.md.

Options:
  --config FILE     host YAML config (required)
  --check-backend   print ✔/✖ per operation for the configured backend, then exit (0: all ✔)
  --doctor          check the store, that the broker is reachable and takes the TLS files (no MQTT
                    login: it would take over a running host's session), and the backend's
                    platform (auth, a cheap call, clock skew), then exit (0: all ✔)
  --help            this text

Environment: TILL_HOST_BROKER_URL overrides uplink.url, TILL_HOST_DATA_DIR overrides data_dir,
TILL_HOST_PG_PASSWORD is the PostgreSQL password (unless postgres.password_file).
`;

interface HostArgs {
  config?: string;
  help: boolean;
  checkBackend?: boolean;
  doctor?: boolean;
  errors: string[];
}

/** Strict flags (node:util parseArgs): an unknown flag or a missing value is an error naming it. */
export function parseHostArgs(args: string[]): HostArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        config: { type: 'string' }, help: { type: 'boolean', short: 'h' },
        'check-backend': { type: 'boolean' }, doctor: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    const flag = /'(-{1,2}[^'\s<]+)/.exec((error as Error).message)?.[1] ?? '';
    const code = (error as { code?: string }).code;
    return { help: false, errors: [code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `unknown option ${flag}` : `${flag} needs a value`] };
  }
  const { values, positionals } = parsed;
  const out: HostArgs = { help: values.help === true, errors: [] };
  if (values.config !== undefined) out.config = values.config;
  if (values['check-backend']) out.checkBackend = true;
  if (values.doctor) out.doctor = true;
  if (out.checkBackend && out.doctor) out.errors.push('--check-backend and --doctor: give one');
  if (positionals.length > 0) out.errors.push(`unexpected argument "${positionals[0]}"`);
  if (!out.help && out.config === undefined && out.errors.length === 0) out.errors.push('--config FILE is required');
  return out;
}

/** The CLI command. Exit codes: 0 stopped by a signal, 1 failed to start or to stop (signals.ts), 2 bad usage, config or seed, 3 metrics_listen in use, 4 the setup (a TLS file, data_dir: runtime/setup-problem.ts). */
export async function hostCommand(args: string[]): Promise<number> {
  const parsed = parseHostArgs(args);
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // main.ts prints a usage error as every command's is printed: the error and a pointer to --help.
  if (parsed.errors.length > 0 || parsed.config === undefined) throw new UsageError(parsed.errors.join('; '));
  let config: HostConfig;
  try {
    config = loadHostConfig(parsed.config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  if (parsed.checkBackend || parsed.doctor) {
    // Diagnostics print to stdout; log lines (warnings only) go to stderr.
    const quiet = createLogger({ level: 'warn', name: 'till-host' }, pino.destination({ fd: 2, sync: true }));
    return runBackendCheck(config, quiet, parsed.checkBackend ? 'ops' : 'doctor', (s) => process.stdout.write(s));
  }
  const log = createLogger({ level: config.log_level, name: 'till-host' });
  // Listen before starting, so a SIGTERM during start-up still stops cleanly (and ends a wait for PostgreSQL).
  const signal = listenForSignal(log);
  const abort = new AbortController();
  void signal.received.then(() => abort.abort(new Error('stopped while starting')));
  // systemd (Type=notify): started once the ledger is open and the consumer exists, as the agent
  // is once its outbox is: a broker still down at boot must not fail the start (the consumer keeps
  // reconnecting), nor a PostgreSQL (the host waits for it): READY=1 as soon as the host waits for
  // either, so that systemd's start timeout does not end a host that is only waiting. STATUS says
  // what it waits for, or that requests are being consumed. The watchdog pings come from the
  // event loop, so a host whose loop hangs is restarted and its till requests go to the other
  // hosts of the subscription meanwhile.
  const notifier = createNotifier(process.env, log);
  let readySent = false;
  const started = (status: string) => {
    if (readySent) return notifier.status(status);
    readySent = true;
    notifier.ready(status);
    notifier.startWatchdog();
  };
  let host: HostHandle;
  try {
    host = await startHost(config, log, {
      waitingForStore: (reason) => started(`waiting for PostgreSQL: ${reason}`),
      abort: abort.signal,
      // The broker lost or back, PostgreSQL unreachable or back: STATUS follows (once READY is sent).
      statusChanged: (status) => { if (readySent) notifier.status(status); },
    });
  } catch (error) {
    signal.dispose();
    if (abort.signal.aborted && error === abort.signal.reason) {
      // A stop signal while waiting for PostgreSQL: nothing was started, a clean stop.
      log.info('stopped while waiting for PostgreSQL');
      notifier.stopping();
      notifier.close();
      return 0;
    }
    notifier.close();
    if (error instanceof SeedError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    // Printed whatever log_level says (cli/commands/run.ts: "silent" would leave the journal empty).
    const failLog = config.log_level === 'silent' ? createLogger({ level: 'fatal', name: 'till-host' }) : log;
    if (error instanceof SetupProblem) {
      // A TLS file, data_dir, the metrics address: one line naming the key and what to do, no stack.
      failLog.fatal({ config_key: error.key, target: error.target, reason: error.reason }, `host failed to start: ${fromEnvironment(error, HOST_ENV_OVERRIDES, process.env)}`);
      return setupExitCode(error);
    }
    failLog.fatal({ err: error }, 'host failed to start');
    return 1;
  }
  started('waiting for the broker');
  if (host.status() !== 'waiting for the broker') notifier.status(host.status());
  void host.ready.then(() => log.info('host ready'));
  const stop = async () => {
    notifier.stopping();
    try {
      await host.stop();
    } finally {
      notifier.close();
    }
  };
  // A failed ledger fsync: stop and exit 1, so that a supervisor (systemd) restarts the host and
  // the requests it can no longer answer go to the other hosts of the subscription meanwhile.
  const storageFailure = host.failed.then(async () => {
    signal.dispose();
    await stop().catch((error: unknown) => log.error({ err: error }, 'error while stopping'));
    return 1;
  });
  return Promise.race([signal.thenStop(stop), storageFailure]);
}
