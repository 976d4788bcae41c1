// A SocketServer on 127.0.0.1:0 and a Unix socket in a temp dir, with an in-test handler
// whose behaviour is chosen by identify's `value`: "gate:NAME" waits until the test opens
// that gate, "throw" throws a plain Error, "not-found" throws an AgentError, "bigint"
// returns something JSON cannot carry; anything else is echoed.
import { join } from 'node:path';
import { EventBus } from '../../agent/events.ts';
import { createLogger } from '../../runtime/log.ts';
import { SocketServer, type Handler, type RequestContext, type SocketServerOptions } from '../../agent/socket/socket-server.ts';
import { AgentError } from '../../protocol/errors.ts';
import type { Params } from '../../protocol/local.ts';
import { connectPos, type PosClient } from './pos-client.ts';
import { tempDir } from './tmp.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export class Gates {
  private readonly gates = new Map<string, { promise: Promise<void>; open: () => void; waiting: number }>();

  private get(name: string) {
    let gate = this.gates.get(name);
    if (!gate) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => { open = resolve; });
      this.gates.set(name, (gate = { promise, open, waiting: 0 }));
    }
    return gate;
  }

  async wait(name: string): Promise<void> {
    const gate = this.get(name);
    gate.waiting++;
    try {
      await gate.promise;
    } finally {
      gate.waiting--;
    }
  }

  open(name: string): void {
    this.get(name).open();
  }

  waiting(name: string): number {
    return this.gates.get(name)?.waiting ?? 0;
  }
}

export interface Harness {
  server: SocketServer;
  bus: EventBus;
  gates: Gates;
  /** Every handler call, in order. */
  calls: Array<{ op: string; ctx: RequestContext }>;
  /** Handler calls running right now, and the most ever at once. */
  concurrency: { now: number; max: number };
  /** Parsed JSON log lines (level debug). */
  logs: Array<Record<string, unknown>>;
  port: number;
  unixPath: string | null;
  dir: string;
  connect(where?: { port: number } | { path: string }): Promise<PosClient>;
}

const HELLO_FIELDS = { agent: 'test', terminal: 'till-1', store: 'store-1', merchant: 'merchant-1' };
/** hello's answer on a connection that names no protocol version (the connection adds the version fields). */
export const HELLO = { ...HELLO_FIELDS, protocol: 1, protocols: [1, 2] };

export async function startServer(t: Teardown, overrides: Partial<SocketServerOptions> = {}): Promise<Harness> {
  const dir = await tempDir(t, 'till-socket-');
  const bus = new EventBus();
  const gates = new Gates();
  const calls: Harness['calls'] = [];
  const concurrency = { now: 0, max: 0 };
  const logs: Harness['logs'] = [];
  const log = createLogger({ level: 'debug', name: 'test' }, { write: (line: string) => { logs.push(JSON.parse(line)); } });

  const handle: Handler = async (op, params, ctx) => {
    calls.push({ op, ctx });
    concurrency.now++;
    concurrency.max = Math.max(concurrency.max, concurrency.now);
    try {
      if (op !== 'identify') return { op };
      const { value } = params as Params<'identify'>;
      if (value.startsWith('gate:')) await gates.wait(value.slice('gate:'.length));
      if (value === 'throw') throw new Error('handler exploded');
      if (value === 'not-found') throw new AgentError('NOT_FOUND', 'no such customer');
      if (value === 'bigint') return { n: 1n };
      return { echo: value };
    } finally {
      concurrency.now--;
    }
  };

  const unixPath = overrides.unix !== undefined ? overrides.unix : join(dir, 'agent.sock');
  const server = new SocketServer({
    tcp: { host: '127.0.0.1', port: 0 },
    unix: unixPath,
    token: null,
    maxConnections: 8,
    maxInflightPerConnection: 8,
    hello: () => HELLO_FIELDS,
    handle,
    events: bus,
    log,
    ...overrides,
  });
  await server.start();
  t.teardown(() => server.stop({ deadlineMs: 200 }));
  const port = server.tcpAddress()?.port ?? 0;

  return {
    server, bus, gates, calls, concurrency, logs, port, unixPath, dir,
    async connect(where = { port }) {
      const client = await connectPos(where);
      t.teardown(() => client.close());
      return client;
    },
  };
}
