// Wiring and lifecycle: components start in order and stop in reverse.
//   socket-server → ops → outbox (fsync) ─┐
//                                         └→ forwarder → uplink → broker → host
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TillIdentity } from '../protocol/upstream.ts';
import { parseListen, type Config } from './config.ts';
import { CustomerCache } from './customer-cache.ts';
import { HostCurrencies } from './upstream/host-currencies.ts';
import { HostOps } from './upstream/host-ops.ts';
import { openDatabase } from './storage/db.ts';
import type { EmbeddedBroker } from './upstream/embedded-broker.ts';
import { EventBus } from './events.ts';
import { DeviceManager } from '../drivers/device-manager.ts';
import { Forwarder } from './upstream/forwarder.ts';
import { identifyOnScan } from './identify-on-scan.ts';
import { LinkClock, systemClock } from './upstream/link-clock.ts';
import type { Metrics } from './metrics.ts';
import { status as statusOf } from './ops/status.ts';
import type { Logger } from '../runtime/log.ts';
import { releaseAfterBacklogs, releaseAfterStartUp } from '../runtime/release-memory.ts';
import { newOpsState, requestContexts, type OpsContext } from './ops/context.ts';
import { dispatch } from './ops/index.ts';
import { balanceOf } from './upstream/host-results.ts';
import { Outbox } from './upstream/outbox.ts';
import { ProductsProgress } from './products-progress.ts';
import { RecentReceipts } from './status-page/recent-receipts.ts';
import { PrintJobs } from './receipts/print-jobs.ts';
import { SocketServer } from './socket/socket-server.ts';
import { StorageHealth } from './storage/storage-health.ts';
import { TillClock } from './till-clock.ts';
import { StartSequence } from './start-sequence.ts';
import { Uplink } from './upstream/uplink.ts';
import { DEFAULT_PROTOCOL, MAX_LINE_BYTES } from '../protocol/local.ts';
import { dataDirHint, databaseAccessHint, namingKey } from '../runtime/setup-problem.ts';
import { tcpListenProblem, unixListenProblem } from './socket/listen-problem.ts';

export interface Daemon {
  ctx: OpsContext;
  /** Only when metrics.listen is set: nobody could read the counters otherwise. */
  metrics: Metrics | undefined;
  metricsAddress: { host: string; port: number } | undefined;
  /** Where the status page listens (status_page.listen), when it does. */
  statusPageAddress: { host: string; port: number } | undefined;
  socket: SocketServer;
  broker: EmbeddedBroker | undefined;
  stop(): Promise<void>;
}

const DAY_MS = 86_400_000;

export interface DaemonOptions {
  log: Logger;
  version: string;
  faults?: ReadonlySet<string>;
  /** Virtual customer displays: their rows after each update (the demo draws them). */
  onVirtualDisplay?: (name: string, lines: [string, string]) => void;
  /** The wall clock in ms (default Date.now): tests step it (TILL_AGENT_TEST_CLOCK_OFFSET_MS). */
  wallClock?: () => number;
}

/**
 * Starts the agent's parts in order, each registering its undo (start-sequence.ts): a part that
 * fails to start (the uplink's TLS files, a metrics port in use) undoes those started before it,
 * and stop() undoes them all, newest first.
 */
export async function startDaemon(config: Config, options: DaemonOptions): Promise<Daemon> {
  const started = new StartSequence(options.log);
  return started.run(() => start(config, options, started));
}

async function start(config: Config, options: DaemonOptions, started: StartSequence): Promise<Daemon> {
  const { log, version } = options;
  const identity: TillIdentity = { merchant: config.merchant, store: config.store, terminal: config.terminal };
  // A directory the service's user may not create is the till's setup, named as such (run.ts logs it in one line).
  namingKey('data_dir', config.data_dir, dataDirHint('till-agent', '/var/lib/till-agent'), () => mkdirSync(config.data_dir, { recursive: true }));
  const dbFile = join(config.data_dir, 'till-agent.db');
  const { db, exclusive } = namingKey('data_dir', config.data_dir, (code) => code === 'EACCES' ? databaseAccessHint(dbFile, 'till-agent') : dataDirHint('till-agent', '/var/lib/till-agent')(code),
    () => openDatabase(dbFile));
  started.started('database', () => db.close());
  if (exclusive) log.warn({ data_dir: config.data_dir }, 'disk full at start: database opened exclusively (doctor and outbox export cannot read it until the agent restarts)');
  const wall = options.wallClock ?? (() => Date.now());
  const now = () => new Date(wall());
  // Pruning and cache freshness go by trusted time, never by a wall clock that may have stepped.
  // It advances on the boot clock, which keeps counting while the till is suspended to RAM (the
  // monotonic clock stops then, and every resume would look like a forward jump).
  // One boot clock for the till clock and the link clock: it keeps /proc/uptime open while running.
  const bootClock = systemClock();
  started.started('boot clock', () => bootClock.close());
  const clock = new TillClock({ db, log, wall, monotonic: bootClock.bootMs });
  clock.start();
  started.started('till clock', () => clock.stop());
  const trusted = () => clock.date();
  const probe = db.prepare(`INSERT INTO meta (key, value) VALUES ('storage_probe', ?)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
  const storage = new StorageHealth({ dir: config.data_dir, log, now, exclusive, probe: () => probe.run(now().toISOString()) });
  storage.start();
  started.started('storage health', () => storage.stop());
  const outbox = new Outbox(db, now, storage, trusted);
  started.started('outbox', () => outbox.close());
  const cache = new CustomerCache(db, trusted, storage);
  const currencies = new HostCurrencies(db, config.currencies, log);
  const hostOps = new HostOps(db, log);
  const printJobs = new PrintJobs(db, trusted);
  try {
    const interrupted = printJobs.recover();
    if (interrupted.failed + interrupted.uncertain > 0) log.warn(interrupted, 'print jobs interrupted by the last stop: uncertain ones are not printed again');
  } catch (error) {
    log.error({ err: error }, 'print jobs of the last run could not be settled'); // a full disk: they stay as they were
  }
  // Delivered rows are kept for idempotent replays and voids, then pruned; so are stale cached
  // customers. Ages are in trusted time: a clock stepped 40 days forward prunes nothing.
  // A failure here (a full disk) is reported by the storage state and never stops the till.
  const prune = () => {
    try {
      const cutoff = new Date(clock.now() - config.outbox.keep_done_days * DAY_MS);
      outbox.pruneDone(cutoff);
      cache.prune(config.offline.identify_cache_days);
      printJobs.prune(cutoff);
    } catch (error) {
      if (storage.state !== 'full') log.error({ err: error }, 'pruning old rows failed');
    }
  };
  prune();

  let broker: EmbeddedBroker | undefined;
  let url = config.uplink.url;
  let protocolVersion = config.uplink.protocol_version;
  if (url === 'embedded') {
    // Loaded only here: aedes is 2 MB of heap a till with a real broker never needs.
    const { startEmbeddedBroker } = await import('./upstream/embedded-broker.ts');
    const embedded = await startEmbeddedBroker(config.uplink.embedded_port);
    started.started('embedded broker', () => embedded.stop());
    broker = embedded;
    url = broker.url;
    protocolVersion = 4; // aedes speaks MQTT 3.1.1 only
    log.info({ url }, 'embedded MQTT broker listening');
  }

  const events = new EventBus(log);
  const devices = new DeviceManager({
    devices: config.devices, log: log.child({ component: 'devices' }), previewDir: join(config.data_dir, 'receipts'),
    ...(options.onVirtualDisplay ? { onVirtualDisplay: options.onVirtualDisplay } : {}),
  });
  devices.on('device', (e) => events.emit('device', { ...e }));
  devices.on('scan', (e) => events.emit('scan', { ...e }));
  devices.on('scan_error', (e) => events.emit('scan_error', { ...e }));
  devices.on('drawer', (e) => events.emit('drawer', { ...e }));
  const uplink = new Uplink({
    config: config.uplink, url, protocolVersion, identity, version, log,
    onHostTime: (ms) => clock.hostTime(ms),
    statusExtra: () => {
      const s = outbox.stats();
      return { outbox: { pending: s.pending, dead: s.dead }, storage: storage.state, devices: devices.list().map((d) => ({ name: d.name, kind: d.kind, state: d.state })) };
    },
  });
  uplink.onState((state) => events.emit('uplink', { state, connected: state === 'online', since: uplink.since }));
  const linkClock = new LinkClock(db, log, bootClock);
  uplink.onState((state) => linkClock.setOnline(state === 'online'));

  const productsProgress = new ProductsProgress();
  const receipts = new RecentReceipts();
  const forwarder = new Forwarder({
    outbox, uplink, events, log,
    batchSize: config.outbox.batch_size,
    backlogBatchSize: config.outbox.backlog_batch_size,
    window: config.outbox.window,
    timeoutMs: config.uplink.request_timeout_ms,
    maxBackoffMs: config.outbox.max_backoff_ms,
    faults: options.faults,
    onSettled: (rows) => {
      const balances = [];
      for (const row of rows) {
        const balance = balanceOf(row);
        if (row.customer_id && balance) balances.push({ customerId: row.customer_id, balance, asOf: row.updated_at });
      }
      cache.updateBalances(balances);
      const progress = productsProgress.settled(rows);
      if (progress.length > 0) {
        const { pending, dead } = outbox.stats();
        for (const e of progress) events.emit('outbox', { ...e, pending, dead });
      }
    },
  });
  // Space is back: deliver (and record) what waited, without waiting out the backoff.
  storage.onChange((state) => {
    if (state === 'ok') forwarder.wake();
    const { since, free_bytes } = storage.status();
    events.emit('storage', { state, since, free_bytes });
    uplink.publishStatus();
  });

  // prom-client (about 2 MB of heap) is loaded only for a till that serves metrics.
  const metrics = config.metrics.listen === false ? undefined : new (await import('./metrics.ts')).Metrics({
    outbox: () => statusOf(ctx).outbox,
    uplinkConnected: () => uplink.connected,
    devices: () => devices.list(),
    storage: () => storage.status(),
  });
  const ctx: OpsContext = { config, identity, version, protocol: DEFAULT_PROTOCOL, outbox, printJobs, cache, currencies, hostOps, storage, uplink, linkClock, clock, forwarder, events, log, now, devices, productsProgress, faults: options.faults ?? new Set(),
    onPrintJob: (printer, outcome) => metrics?.printJobs.inc({ printer, outcome }),
    onReceipt: (receipt) => receipts.add(receipt),
    ...newOpsState(),
  };
  const forRequest = requestContexts(ctx);
  events.on('print', (_topic, e) => receipts.setStatus(String(e.job_id), String(e.status)));
  if (config.identify_on_scan) devices.on('scan', identifyOnScan(ctx, config.identify_on_scan));
  // Device states go into the retained fleet status as they change.
  devices.on('device', () => uplink.publishStatus());
  const socket = new SocketServer({
    tcp: config.socket.tcp === false ? null : parseListen(config.socket.tcp),
    unix: config.socket.unix === false ? null : config.socket.unix,
    token: config.socket.token,
    maxConnections: config.socket.max_connections,
    helloTimeoutMs: config.socket.hello_timeout_ms,
    idleTimeoutMs: config.socket.idle_timeout_ms,
    maxLineBytes: MAX_LINE_BYTES,
    maxInflightPerConnection: config.socket.max_inflight_per_connection,
    // The connection adds the protocol version it negotiated.
    hello: () => ({ agent: version, ...identity }),
    // Request-scoped logger (every line about a request carries its requestId) and the connection's protocol version.
    // rctx.log is built on first use: read it only when an op logs.
    handle: (op, params, rctx) => dispatch(forRequest(rctx), op, params),
    events,
    log,
    onOutcome: (op, code, seconds) => metrics?.observe(op, code, seconds),
  });

  devices.start();
  started.started('devices', () => devices.stop());
  linkClock.start();
  started.started('link clock', () => linkClock.stop());
  uplink.start(); // reads the TLS files: throws when one cannot be read
  // Stopped together with the forwarder (undone first, below): its loop may wait on a request
  // in flight that only the uplink's stop ends.
  let forwarderStopped: Promise<void> = Promise.resolve();
  started.started('uplink', async () => { await uplink.stop(); await forwarderStopped; });
  forwarder.start();
  started.started('forwarder', () => { forwarderStopped = forwarder.stop(); });
  try {
    await socket.start();
  } catch (error) {
    // A TCP listen error carries its port (a Unix socket's -1); the Unix socket's and its stale-file check's name its path.
    const { port, address, path } = error as { port?: unknown; address?: unknown; path?: unknown };
    const unix = config.socket.unix !== false && (address === config.socket.unix || path === config.socket.unix || typeof port !== 'number');
    throw (unix ? unixListenProblem(error, config.socket.unix as string)
      : config.socket.tcp !== false ? tcpListenProblem(error, 'socket.tcp', config.socket.tcp) : undefined) ?? error;
  }
  // Requests the socket accepted commit their outbox rows before anything below them stops.
  started.started('socket', async () => { await socket.stop(); await outbox.drainWrites(); });
  let metricsAddress: { host: string; port: number } | undefined;
  if (metrics && config.metrics.listen !== false) {
    const { host, port } = parseListen(config.metrics.listen);
    metricsAddress = await metrics.listen(host, port).catch((error: unknown) => {
      throw tcpListenProblem(error, 'metrics.listen', config.metrics.listen as string) ?? error;
    });
    started.started('metrics', () => metrics.close());
    log.info({ metrics: `http://${host}:${metricsAddress.port}/metrics` }, 'metrics endpoint listening');
  }
  // The status page is for people: if it cannot listen, the till still serves the POS.
  let statusPageAddress: { host: string; port: number } | undefined;
  if (config.status_page.listen !== false) {
    const { createStatusPage } = await import('./status-page/start.ts'); // off by default: loaded only when asked for
    const statusPage = createStatusPage(ctx, receipts, config.status_page.listen, config.status_page.token);
    try {
      statusPageAddress = await statusPage.start();
      started.started('status page', () => statusPage.stop());
      log.info({ status_page: `http://${config.status_page.listen.replace(/:\d+$/, '')}:${statusPageAddress.port}/` }, 'status page listening');
    } catch (error) {
      log.error({ reason: (error as Error).message, listen: config.status_page.listen }, 'status page cannot listen; the agent runs without it');
    }
  }
  const statusTimer = setInterval(() => uplink.publishStatus(), 30_000);
  statusTimer.unref();
  const pruneTimer = setInterval(prune, 6 * 3600_000);
  pruneTimer.unref();
  started.started('timers', () => { clearInterval(statusTimer); clearInterval(pruneTimer); });
  // Start-up's leftovers (compiler zones, garbage) go back once the uplink is up (runtime/release-memory.ts).
  const release = releaseAfterStartUp(log, (listener) => uplink.onState((state) => { if (state === 'online') listener(); }));
  // And after a backlog has been delivered, once the outbox is empty and quiet.
  // A dead letter ends a batch too (with no 'delivered' event when the host refused it whole).
  const backlogRelease = releaseAfterBacklogs(log, (listener) => events.on('outbox', (_topic, e) => {
    if (e.type === 'delivered') listener(Number(e.count), () => Number(e.pending));
    else if (e.type === 'dead') listener(0, () => Number(e.pending));
  }));
  started.started('memory release', () => { release.cancel(); backlogRelease.cancel(); });
  log.info({ ...identity, version, data_dir: config.data_dir }, 'till-agent ready');

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= started.unwind().then(() => log.info('till-agent stopped')));

  return { ctx, socket, broker, metrics, metricsAddress, statusPageAddress, stop };
}
