// `till-agent demo` (what `npm start` runs): an embedded MQTT broker, the reference
// host with the sample seed and the agent, all in this one process.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { startDaemon, type Daemon } from '../../agent/daemon.ts';
import { DatabaseUnusable } from '../../agent/storage/db.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../agent/upstream/embedded-broker.ts';
import { LineSplitter, NOT_UTF8 } from '../../protocol/line-splitter.ts';
import { createLogger, type LogLevel } from '../../runtime/log.ts';
import { packageFile } from '../../agent/package-files.ts';
import { VERSION } from '../../agent/version.ts';
import { hostConfigSchema } from '../../host/config.ts';
import { startHost, type HostHandle } from '../../host/start-host.ts';
import { DEMO_BACKENDS, startDemoSimulator, type DemoBackend, type DemoSimulator } from '../../host/demo-simulators.ts';
import { UsageError, intFlag, parseFlags } from './args.ts';
import { banner } from './demo-banner.ts';
import { removePid, resetDemoData, writeDemoConfig, writePid } from './demo-config.ts';
import { inUse, type PortClaim } from './demo-preflight.ts';
import { DEMO_DATA_DIR } from './locate-config.ts';
import { print, printError } from './output.ts';
import { EXIT_IN_USE } from './run.ts';
import { listenForSignal } from './signals.ts';

const HELP = `till-agent demo [--data DIR] [--port 7411] [--status-port 7412] [--broker-port 1884] [--backend ledger] [--reset] [--verbose]

Starts an embedded MQTT broker (aedes), the reference loyalty host seeded with
host/seed.sample.yaml, and the agent with a virtual scanner, a virtual scale (till-agent scan 0.350
--device scale0 puts 350 g on it; the POS weighs with scale.read) and a virtual printer writing
receipts as .txt/.png into DATA/agent/receipts. Every line on the demo's input (typed in
its terminal, or piped into it) is scanned by the virtual scanner.
  --data DIR          where everything goes (default ./data); the config the agent runs
                      with is written to DIR/config.yaml, so operator commands find the
                      demo: till-agent status --data DIR (no --data needed from the
                      directory the demo was started in, with the default ./data)
  --port N            the POS socket's TCP port on 127.0.0.1 (default 7411)
  --status-port N     the status page's port on 127.0.0.1 (default: --port + 1)
  --broker-port N     the embedded broker's port (default 1884, else any free port)
  --backend B         where the host's answers come from: ledger (default, the sample seed),
                      crmcom-sim or sessionm-sim (the host's CRM.COM or SessionM connector
                      against a simulator in this process, holding the seed's two customers;
                      host/README.md, "Backends")
  --reset             first remove the demo's ledger, outbox, receipts and config from
                      DIR: balances start from the seed again
  --verbose           log at info level (default: warnings only)
Ctrl-C, SIGINT or SIGTERM stops it, also under npm start or npx.
Exit status: 0 when stopped, 1 when it cannot start, 2 on bad usage, 3 when a port or
the data directory is already in use (another demo?).
`;

const SAMPLE_SEED = packageFile('host/seed.sample.yaml');
const DEFAULT_BROKER_PORT = 1884;

export async function demoCommand(args: string[]): Promise<number> {
  const { values: options } = parseFlags(args, {
    data: { type: 'string' }, port: { type: 'string' }, 'status-port': { type: 'string' }, 'broker-port': { type: 'string' },
    reset: { type: 'boolean' }, verbose: { type: 'boolean' }, backend: { type: 'string' },
  });
  const backend = (options.backend ?? 'ledger') as DemoBackend;
  if (!(DEMO_BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`--backend: must be one of ${DEMO_BACKENDS.join(', ')}`);
  if (options.help) {
    print(HELP);
    return 0;
  }
  const dataDir = resolve(options.data ?? process.env.TILL_AGENT_DATA_DIR ?? DEMO_DATA_DIR);
  const port = intFlag(options.port, 'port', 7411, 1, 65535);
  const statusPort = intFlag(options['status-port'], 'status-port', port === 65535 ? port - 1 : port + 1, 1, 65535);
  const brokerPort = options['broker-port'] === undefined ? undefined : intFlag(options['broker-port'], 'broker-port', DEFAULT_BROKER_PORT, 1, 65535);
  const level: LogLevel = options.verbose ? 'info' : 'warn';
  const log = createLogger({ level });
  // Listen before starting: Ctrl-C while the demo starts, or just as its banner appears, stops it
  // cleanly; unheard, the signal's default action would end it with its pid file left behind.
  const signal = listenForSignal(log);

  const claims: PortClaim[] = [{ port, what: 'POS socket', flag: '--port' }, { port: statusPort, what: 'status page', flag: '--status-port' }];
  if (brokerPort !== undefined) claims.push({ port: brokerPort, what: 'MQTT broker', flag: '--broker-port' });
  const busy = await inUse(dataDir, claims);
  if (busy) {
    signal.dispose();
    printError(`till-agent demo: ${busy}\n`);
    return EXIT_IN_USE;
  }
  if (options.reset) {
    resetDemoData(dataDir);
    print(`till-agent demo: reset: removed the demo's ledger, outbox, receipts and config from ${dataDir}\n`);
  }

  const parts: { broker?: EmbeddedBroker; host?: HostHandle; daemon?: Daemon; sim?: DemoSimulator } = {};
  const stop = async () => {
    try {
      await parts.daemon?.stop();
      await parts.host?.stop();
      await parts.sim?.stop();
      await parts.broker?.stop();
    } finally {
      // The process ends either way: a pid file left behind would only make the next demo think one runs.
      removePid(dataDir);
    }
  };
  try {
    // Without --broker-port, 1884 if free, else any free port will do for a demo.
    parts.broker = brokerPort !== undefined
      ? await startEmbeddedBroker(brokerPort)
      : await startEmbeddedBroker(DEFAULT_BROKER_PORT).catch(() => startEmbeddedBroker(0));
    const uplink = { url: parts.broker.url, protocol_version: 4, request_timeout_ms: 3000 };
    if (backend !== 'ledger') parts.sim = await startDemoSimulator(backend);
    parts.host = await startHost(hostConfigSchema.parse({
      data_dir: join(dataDir, 'host'),
      uplink: { ...uplink, share_group: '' },
      ...(parts.sim ? parts.sim.hostConfig : { seed: SAMPLE_SEED }),
      log_level: level,
    }), log.child({ component: 'host' }));
    if (parts.sim) printError(`till-agent demo: host backend ${backend}: simulator at ${parts.sim.url} (faults: POST ${new URL('/_sim/faults', parts.sim.url).href})\n`);
    const statusToken = randomBytes(18).toString('base64url');
    const { file, config } = writeDemoConfig({ dataDir, port, statusPort, statusToken, brokerUrl: parts.broker.url, logLevel: level });
    parts.daemon = await startDaemon(config, {
      log, version: VERSION,
      // The virtual customer display is drawn in the demo's terminal.
      onVirtualDisplay: (name, [a, b]) => printError(`[${name}] |${a.padEnd(20)}|\n[${name}] |${b.padEnd(20)}|\n`),
    });
    writePid(dataDir);
    // "running" in the banner means a pasted award is answered, not queued: wait for the link.
    // Bounded: after 15 s the banner comes anyway, and status says what is missing.
    await ready(parts.host, parts.daemon, 15_000, signal.received);
    scanLinesFromInput(parts.daemon);
    if (!signal.signalled()) printError(banner({
      port, unix: config.socket.unix || '', brokerUrl: parts.broker.url, dataDir, configFile: file, pid: process.pid, cwd: process.cwd(),
      statusPage: `http://127.0.0.1:${statusPort}/#token=${statusToken}`,
    }));
  } catch (error) {
    signal.dispose();
    await stop().catch(() => undefined);
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      // Lost a race with another process since the check above.
      printError(`till-agent demo: ${e.message}: stop the other demo or till-agent, or choose other ports\n`);
      return EXIT_IN_USE;
    }
    if (error instanceof DatabaseUnusable) {
      printError(`till-agent demo: cannot start: ${error.message}; it is not replaced: run "till-agent doctor --data ${dataDir}"`
        + ` and "till-agent outbox export --data ${dataDir}", or start the demo with --reset\n`);
      return 1;
    }
    printError(`till-agent demo: cannot start: ${e.message}\n`);
    return 1;
  }
  stopWhenOrphaned();
  return signal.thenStop(stop);
}

/** The host subscribed and the agent's uplink online, or the time is up, or a signal came meanwhile. */
function ready(host: HostHandle, daemon: Daemon, timeoutMs: number, stopAsked: Promise<unknown>): Promise<void> {
  const { uplink } = daemon.ctx;
  let off = () => {};
  const online = new Promise<void>((resolve) => {
    off = uplink.onState(() => { if (uplink.connected) resolve(); });
    if (uplink.connected) resolve();
  });
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
  return Promise.race([Promise.all([host.ready, online]).then(() => undefined), timeUp, stopAsked.then(() => undefined)]).finally(() => {
    clearTimeout(timer);
    off();
  });
}

/** A typed or piped scan is a barcode or a card number: a longer line is not one (and ends the reading). */
const MAX_SCAN_LINE_BYTES = 64 * 1024;

/** Every line on stdin, from a terminal or a pipe, is a scan on the virtual scanner. */
function scanLinesFromInput(daemon: Daemon): void {
  const lines = new LineSplitter(MAX_SCAN_LINE_BYTES);
  process.stdin.on('data', (chunk: Buffer) => {
    for (const line of lines.push(chunk).lines) {
      if (line === NOT_UTF8) {
        process.stderr.write('demo: a line on stdin is not UTF-8; not scanned\n');
        continue;
      }
      const text = line.trim();
      if (text) daemon.ctx.devices.inject('scanner0', text);
    }
  });
  // The end of a pipe (or /dev/null) is not a reason to stop the demo; a read error neither.
  process.stdin.on('error', () => undefined);
}

/**
 * npm and npx run the demo through `sh -c`; where that shell neither execs the command nor
 * passes SIGTERM on, it dies and leaves the demo running. Under npm, a changed parent means
 * exactly that, so the demo stops itself as if signalled — through the signal listeners only:
 * npm also leaves without waiting when it did pass the signal on (seen with dash, which execs
 * `exec node …`), and a second real SIGTERM during the stop would end the demo the default way,
 * without removing its pid file.
 */
function stopWhenOrphaned(): void {
  if (!process.env.npm_command) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.emit('SIGTERM', 'SIGTERM'); // no listener (already stopping): nothing happens
  }, 500);
  timer.unref();
}
