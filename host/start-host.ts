// The reference loyalty host: startHost wires the pieces (ledger → seed → service → consumer)
// and stop() unwinds them in reverse. Its command line is cli/commands/host.ts.
import { mkdirSync } from 'node:fs';
import { dataDirHint, namingKey, tcpListenProblem } from '../runtime/setup-problem.ts';
import { HOST_USER } from './tls-files.ts';
import { hostname } from 'node:os';
import type { HostConfig } from './config.ts';
import type { Backend } from './backend.ts';
import { createBackend } from './backends.ts';
import { PlatformMetrics } from './platform/metrics.ts';
import { Consumer, type ConsumerState } from './consumer.ts';
import { PgLedger } from './pg/pg-ledger.ts';
import { openStoreWaiting } from './store.ts';
import type { Logger } from '../runtime/log.ts';
import { applySeed, loadSeedFile } from './seed.ts';

export interface HostHandle {
  /** Resolves once the request subscription is granted by the broker. */
  ready: Promise<void>;
  /** Resolves if the ledger's fsync failed: the host answers nothing more and should be stopped and restarted. */
  failed: Promise<unknown>;
  stop(): Promise<void>;
  /** What the host is doing now, as systemd's STATUS= shows it (statusChanged tells each change). */
  status(): string;
}

export interface StartOptions {
  /** Called on each failed attempt to reach PostgreSQL at start (the host waits for it: store.ts). */
  waitingForStore?: (reason: string) => void;
  /** Gives up waiting (a stop signal during start-up): startHost rejects with its reason. */
  abort?: AbortSignal;
  /** Each change of status() once started: the broker lost or back, PostgreSQL unreachable or back. */
  statusChanged?: (status: string) => void;
}

/** The host's status line: a store it cannot reach first (requests cannot be applied), then the broker. */
function statusLine(storeProblem: string | undefined, consumer: ConsumerState): string {
  if (consumer === 'stopping' || consumer === 'stopped') return 'stopping';
  if (storeProblem !== undefined) return `PostgreSQL unreachable, answering till requests "retry": ${storeProblem}`;
  return consumer === 'subscribed' ? 'consuming till requests' : 'waiting for the broker';
}

export async function startHost(config: HostConfig, log: Logger, options: StartOptions = {}): Promise<HostHandle> {
  namingKey('data_dir', config.data_dir, dataDirHint(HOST_USER, '/var/lib/till-agent-host'), () => mkdirSync(config.data_dir, { recursive: true }));
  const ledger = await openStoreWaiting(config, log, options.waitingForStore ?? (() => undefined), options.abort);
  let consumer: Consumer;
  let backend: Backend | undefined;
  let metrics: PlatformMetrics | undefined;
  let storageFailed: (error: unknown) => void = () => undefined;
  const failed = new Promise<unknown>((resolve) => { storageFailed = resolve; });
  let storeProblem: string | undefined;
  let consumerState: ConsumerState = 'idle';
  let status = statusLine(storeProblem, consumerState);
  const update = () => {
    const next = statusLine(storeProblem, consumerState);
    if (next === status) return;
    status = next;
    options.statusChanged?.(next);
  };
  if (ledger instanceof PgLedger) {
    ledger.onReachability((problem) => {
      if (problem !== undefined) log.warn({ err: { message: problem } }, 'PostgreSQL unreachable: till requests are answered "retry" until it is back');
      else log.info('PostgreSQL reachable again');
      storeProblem = problem;
      update();
    });
  }
  try {
    if (config.seed) applySeed(ledger, loadSeedFile(config.seed), log);
    metrics = new PlatformMetrics(log);
    const active = await createBackend(config, ledger, log, metrics.observe);
    backend = active;
    if (config.metrics_listen) {
      const at = config.metrics_listen.lastIndexOf(':');
      const address = config.metrics_listen;
      const bound = await metrics.listen(address.slice(0, at), Number(address.slice(at + 1))).catch((error: unknown) => {
        throw tcpListenProblem(error, 'metrics_listen', address) ?? error; // one line naming the key (cli/commands/host.ts)
      });
      log.info({ ...bound }, 'platform metrics at /metrics');
    }
    const configuredId = config.uplink.client_id;
    consumer = new Consumer({
      uplink: config.uplink,
      clientId: configuredId ?? `till-host-${hostname()}-${process.pid}`,
      persistentSession: configuredId !== undefined,
      handle: (batch) => active.handle(batch),
      afterReply: () => ledger.afterRequest(),
      durable: () => ledger.durable(),
      durableNow: () => ledger.durableNow(),
      onStorageFailure: storageFailed,
      onState: (state) => {
        consumerState = state;
        update();
      },
      log,
    });
    // Group commit from here on (the seed above was committed with its own fsync): each answer
    // waits for ledger.durable() instead of its COMMIT waiting for the disk (host/ledger.ts).
    ledger.deferCommitSync();
    await consumer.start();
  } catch (error) {
    await backend?.stop();
    await metrics?.stop();
    ledger.close();
    throw error;
  }
  log.info({ data_dir: config.data_dir, store: ledger.describe(), backend: config.backend, timezone: config.timezone, reduction: config.reduction }, 'host started');
  let stopped: Promise<void> | undefined;
  return {
    ready: consumer.ready,
    failed,
    status: () => status,
    stop: () => {
      stopped ??= (async () => {
        await consumer.stop();
        await backend?.stop();
        await metrics?.stop();
        ledger.close();
        log.info('host stopped');
      })();
      return stopped;
    },
  };
}
