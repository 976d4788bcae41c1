// The technician's status page: a small read-only web page served by the agent (plain HTML, CSS
// and JS from ./assets, no build step), its JSON snapshot polled by the page, the last receipts
// as PNG, and two actions (print a test receipt, retry dead letters) that need the token.
//   GET  /                      page        GET /api/status     snapshot (JSON)
//   GET  /app.js, /app.css      assets      GET /api/receipts/ID.png
//   POST /api/print-test        {printer?}  POST /api/outbox/retry   {id} | {all: true}
// Reading needs the token only when the page is bound beyond loopback (config refuses that
// without one); the actions need it always, so without a token they are off.
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { Logger } from '../../runtime/log.ts';
import type { RecentReceipts } from './recent-receipts.ts';

export interface StatusPageActions {
  printTest(printer?: string): Promise<unknown>;
  retry(target: { id: string } | { all: true }): Promise<unknown>;
}

export interface StatusPageOptions {
  host: string;
  port: number;
  token: string | null;
  /** Whether reading needs the token too (bound beyond loopback). */
  tokenToRead: boolean;
  snapshot: () => Record<string, unknown>;
  receipts: RecentReceipts;
  actions: StatusPageActions;
  log: Logger;
}

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const MAX_BODY = 4096;

export class StatusPage {
  private server: http.Server | undefined;
  private readonly assets = new Map<string, Buffer>();

  constructor(private readonly options: StatusPageOptions) {
    for (const { file } of Object.values(ASSETS)) this.assets.set(file, readFileSync(new URL(`./assets/${file}`, import.meta.url)));
  }

  async start(): Promise<{ host: string; port: number }> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.options.log.error({ err: error, url: req.url }, 'status page request failed');
        if (!res.headersSent) json(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
        else res.end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = server.address();
    return { host: this.options.host, port: typeof address === 'object' && address ? address.port : this.options.port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    const asset = ASSETS[path];
    if (req.method === 'GET' && asset) {
      // The page itself holds no data: it asks for the token when /api/status says so.
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store', ...SECURITY_HEADERS });
      res.end(this.assets.get(asset.file));
      return;
    }
    if (!path.startsWith('/api/')) return json(res, 404, { error: { code: 'NOT_FOUND', message: `no page ${path}` } });
    const authorised = this.authorised(req);
    if (req.method === 'GET') {
      if (this.options.tokenToRead && !authorised) return json(res, 401, { error: { code: 'UNAUTHORIZED', message: 'this page needs the status page token' } });
      if (path === '/api/status') return json(res, 200, { ...this.options.snapshot(), actions: this.options.token !== null });
      const png = /^\/api\/receipts\/([A-Za-z0-9_.-]{1,128})\.png$/.exec(path);
      const image = png ? await this.options.receipts.png(png[1]!) : undefined;
      if (!image) return json(res, 404, { error: { code: 'NOT_FOUND', message: 'no such receipt (only the last few are kept)' } });
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store', ...SECURITY_HEADERS }).end(image);
      return;
    }
    if (req.method !== 'POST') return json(res, 405, { error: { code: 'BAD_REQUEST', message: 'GET or POST only' } });
    if (this.options.token === null) return json(res, 403, { error: { code: 'UNAUTHORIZED', message: 'actions are off: set status_page.token in the config' } });
    if (!authorised) return json(res, 401, { error: { code: 'UNAUTHORIZED', message: 'wrong or missing token' } });
    const body = await readBody(req);
    if (body === null) return json(res, 400, { error: { code: 'BAD_REQUEST', message: `a JSON object of at most ${MAX_BODY} bytes` } });
    try {
      if (path === '/api/print-test') {
        const printer = typeof body.printer === 'string' ? body.printer : undefined;
        return json(res, 200, { result: await this.options.actions.printTest(printer) });
      }
      if (path === '/api/outbox/retry') {
        const target = body.all === true ? { all: true as const } : typeof body.id === 'string' ? { id: body.id } : null;
        if (!target) return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'give {"id": "…"} or {"all": true}' } });
        return json(res, 200, { result: await this.options.actions.retry(target) });
      }
    } catch (error) {
      const e = error as { code?: string; message?: string };
      return json(res, 200, { error: { code: e.code ?? 'INTERNAL', message: e.message ?? String(error) } });
    }
    return json(res, 404, { error: { code: 'NOT_FOUND', message: `no action ${path}` } });
  }

  private authorised(req: http.IncomingMessage): boolean {
    const token = this.options.token;
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === null || given === undefined) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

// No framing by other sites, no sniffing, scripts from this page only.
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...SECURITY_HEADERS }).end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<Record<string, unknown> | null> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : null;
  } catch {
    return null;
  }
}
