// Metrics of every platform HTTP attempt (count, latency, outcome), in their own prom-client
// registry, served on `metrics_listen` (host config; off by default) at GET /metrics.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Logger } from '../../runtime/log.ts';
import type { CallRecord } from './http.ts';

export class PlatformMetrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'platform' | 'endpoint' | 'outcome'>;
  private readonly latency: Histogram<'platform' | 'endpoint'>;
  private server: http.Server | undefined;

  constructor(private readonly log?: Logger) {
    const registers = [this.registry];
    this.calls = new Counter({
      name: 'till_host_platform_calls_total', help: 'HTTP calls to the loyalty platform by endpoint and outcome (ok or the failure kind)',
      labelNames: ['platform', 'endpoint', 'outcome'], registers,
    });
    this.latency = new Histogram({
      name: 'till_host_platform_call_duration_seconds', help: 'Latency of HTTP calls to the loyalty platform',
      labelNames: ['platform', 'endpoint'], registers, buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  }

  /** The CallObserver handed to PlatformHttp. */
  readonly observe = (r: CallRecord): void => {
    this.calls.inc({ platform: r.platform, endpoint: r.endpoint, outcome: r.outcome });
    if (r.outcome !== 'breaker_open') this.latency.observe({ platform: r.platform, endpoint: r.endpoint }, r.seconds);
    this.log?.debug({ platform: r.platform, endpoint: r.endpoint, outcome: r.outcome, status: r.status, ms: Math.round(r.seconds * 1000) }, 'platform call');
  };

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    // Served: the host process's own figures too (process_resident_memory_bytes, nodejs_eventloop_lag_*,
    // …), so a fleet's dashboards see a host that grows or stalls. Not collected when nobody reads them.
    collectDefaultMetrics({ register: this.registry });
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') return void res.writeHead(404).end();
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const a = server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
