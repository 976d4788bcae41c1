// Optional Prometheus endpoint on loopback. Its own registry (no global default), gauges
// read at scrape time so they are never stale, counters fed by the request path.
import http from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsSources {
  outbox: () => { pending: number; dead: number; oldest_age_s: number | null; unreadable: number };
  uplinkConnected: () => boolean;
  devices: () => Array<{ name: string; state: string }>;
  storage: () => { state: string; free_bytes: number | null };
}

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'op' | 'outcome'>;
  readonly latency: Histogram<'op'>;
  readonly printJobs: Counter<'printer' | 'outcome'>;
  private server: http.Server | undefined;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    // The process itself (standard names: process_resident_memory_bytes, process_cpu_seconds_total,
    // nodejs_eventloop_lag_seconds, nodejs_heap_size_used_bytes, …): a till that slowly grows or
    // stalls is seen on the fleet's dashboards before the shop notices.
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: 'till_requests_total', help: 'POS requests by op and outcome (ok or error code)', labelNames: ['op', 'outcome'], registers });
    this.latency = new Histogram({
      name: 'till_request_duration_seconds', help: 'POS request latency', labelNames: ['op'], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.printJobs = new Counter({ name: 'till_print_jobs_total', help: 'Print jobs by printer and outcome', labelNames: ['printer', 'outcome'], registers });
    new Gauge({ name: 'till_outbox_pending', help: 'Messages waiting for the host', registers, collect() { this.set(sources.outbox().pending); } });
    new Gauge({ name: 'till_outbox_dead', help: 'Dead letters (refused by the host, kept)', registers, collect() { this.set(sources.outbox().dead); } });
    new Gauge({
      name: 'till_outbox_unreadable_answers', help: 'Host answers that did not match their schema (applied by the host, kept as delivered)', registers,
      collect() { this.set(sources.outbox().unreadable); },
    });
    new Gauge({
      name: 'till_outbox_oldest_age_seconds', help: 'Age of the oldest pending message', registers,
      collect() { this.set(sources.outbox().oldest_age_s ?? 0); },
    });
    new Gauge({ name: 'till_storage_full', help: '1 while writes to the database fail for lack of disk space', registers,
      collect() { this.set(sources.storage().state === 'full' ? 1 : 0); } });
    new Gauge({ name: 'till_storage_free_bytes', help: 'Free bytes on the data directory filesystem', registers,
      collect() { this.set(sources.storage().free_bytes ?? 0); } });
    new Gauge({ name: 'till_uplink_connected', help: '1 when the MQTT uplink is online', registers, collect() { this.set(sources.uplinkConnected() ? 1 : 0); } });
    new Gauge({
      name: 'till_device_ready', help: '1 when the device is ready', labelNames: ['device', 'state'], registers,
      collect() {
        this.reset();
        for (const d of sources.devices()) this.set({ device: d.name, state: d.state }, d.state === 'ready' ? 1 : 0);
      },
    });
  }

  observe(op: string, outcome: string, seconds: number): void {
    this.requests.inc({ op, outcome });
    this.latency.observe({ op }, seconds);
  }

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    return { host, port: typeof address === 'object' && address ? address.port : port };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
