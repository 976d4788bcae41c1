// The HTTP shell shared by the platform simulators (crmcom/simulator.ts, sessionm/simulator.ts):
// a node:http server on loopback that reads JSON bodies, routes by path, and injects faults
// on demand. Faults are one-shot (or `count` times), optionally for one endpoint only:
//
//   latency ms        answer after a delay (longer than the client's timeout = a timeout)
//   status 5xx, 408   answer that status without handling the request (408: a proxy's request timeout)
//   throttle          429 with Retry-After: retry_after_s
//   expire_token      every issued token expires before this request is handled (→ 401)
//   drop before       close the connection without an answer, nothing applied
//   drop after        apply the request, then close the connection without an answer
//   duplicate         apply once, write the same HTTP answer twice on the connection
//
// POST /_sim/faults (a fault as JSON) and GET /_sim/state let a demo or another process drive it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

export const faultSchema = z.strictObject({
  kind: z.enum(['latency', 'status', 'throttle', 'expire_token', 'drop', 'duplicate']),
  endpoint: z.string().min(1).optional(),
  count: z.number().int().min(1).max(1000).default(1),
  ms: z.number().int().min(0).max(600_000).optional(),
  status: z.union([z.literal(408), z.number().int().min(500).max(599)]).optional(),
  retry_after_s: z.number().min(0).max(3600).optional(),
  when: z.enum(['before', 'after']).optional(),
});
export type Fault = z.input<typeof faultSchema>;
type ActiveFault = z.output<typeof faultSchema>;

export interface SimRequest {
  endpoint: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface SimAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Thrown from inside a simulator's handler to answer at once: its handle() returns `answer`. */
export class SimRefusal extends Error {
  constructor(readonly answer: SimAnswer) {
    super(`simulator answered HTTP ${answer.status}`);
    this.name = 'SimRefusal';
  }
}

export interface SimServerOptions {
  /** Path prefix of the API, e.g. "/crmapi/rest/v2/". */
  prefix: string;
  handle(request: SimRequest): SimAnswer;
  /**
   * A request arriving, before any latency fault: an answer to give at once (SessionM answers a
   * repeat of a request it is still processing with "pending processing"), or undefined to go on.
   * `left` is called when that request will not reach handle() (dropped before it).
   */
  arrive?(request: SimRequest): SimAnswer | undefined;
  left?(request: SimRequest): void;
  expireTokens(): void;
  state(): unknown;
}

export class SimServer {
  private readonly faults: ActiveFault[] = [];
  private readonly server: http.Server;
  /** Calls by endpoint, faults included: what the platform saw. */
  readonly calls = new Map<string, number>();
  url = '';

  constructor(private readonly options: SimServerOptions) {
    this.server = http.createServer((req, res) => { void this.serve(req, res); });
    this.server.keepAliveTimeout = 5000;
  }

  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    const { port: bound } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${bound}${this.options.prefix}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  inject(fault: Fault): void {
    this.faults.push(faultSchema.parse(fault));
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  callsTo(endpoint: string): number {
    return this.calls.get(endpoint) ?? 0;
  }

  private take(endpoint: string): ActiveFault[] {
    const taken: ActiveFault[] = [];
    for (const f of [...this.faults]) {
      if (f.endpoint !== undefined && f.endpoint !== endpoint) continue;
      taken.push(f);
      f.count -= 1;
      if (f.count <= 0) this.faults.splice(this.faults.indexOf(f), 1);
    }
    return taken;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path.startsWith('/_sim/')) return this.control(path, req.method ?? '', raw, res);
    if (!path.startsWith(this.options.prefix)) return send(res, { status: 404, body: { error: 'not an API path' } });
    const endpoint = path.slice(this.options.prefix.length);
    this.calls.set(endpoint, (this.calls.get(endpoint) ?? 0) + 1);
    if (req.method !== 'POST') return send(res, { status: 405, body: { error: 'POST only' } });

    const faults = this.take(endpoint);
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = Symbol.for('invalid-json');
    }
    const request: SimRequest = { endpoint, headers: req.headers, body };
    // Injected 5xx and 429 answer before the platform looks at the request.
    const status = faults.find((f) => f.kind === 'status');
    const throttle = faults.find((f) => f.kind === 'throttle');
    const arrived = status || throttle ? undefined : this.options.arrive?.(request);
    if (arrived) return send(res, arrived);
    for (const f of faults) if (f.kind === 'latency') await new Promise((r) => setTimeout(r, f.ms ?? 1000));
    // A client that gave up meanwhile does not stop the platform: the request is still applied
    // (the worst case for exactly once), its answer goes nowhere.
    if (faults.some((f) => f.kind === 'expire_token')) this.options.expireTokens();
    const drop = faults.find((f) => f.kind === 'drop');
    if (drop && drop.when !== 'after') {
      this.options.left?.(request);
      return void req.socket.destroy();
    }
    if (status) return send(res, { status: status.status ?? 503, body: { error: 'injected fault' } });
    if (throttle) return send(res, { status: 429, body: { error: 'too many requests' }, headers: { 'retry-after': String(throttle.retry_after_s ?? 1) } });

    const answer = this.options.handle(request);
    if (drop) return void req.socket.destroy();
    if (faults.some((f) => f.kind === 'duplicate')) {
      const text = JSON.stringify(answer.body);
      const head = `HTTP/1.1 ${answer.status} X\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n`;
      req.socket.write(head + text + head + text);
      req.socket.end();
      return;
    }
    send(res, answer);
  }

  private control(path: string, method: string, raw: string, res: http.ServerResponse): void {
    if (path === '/_sim/state' && method === 'GET') return send(res, { status: 200, body: this.options.state() });
    if (path === '/_sim/faults' && method === 'POST') {
      try {
        this.inject(JSON.parse(raw) as Fault);
        return send(res, { status: 200, body: { ok: true, pending: this.faults.length } });
      } catch (error) {
        return send(res, { status: 400, body: { error: (error as Error).message } });
      }
    }
    send(res, { status: 404, body: { error: 'unknown control path' } });
  }
}

function send(res: http.ServerResponse, answer: SimAnswer): void {
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  res.end(text);
}

/** "key" out of an HTTP Basic header (user:password), or undefined. */
export function basicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
