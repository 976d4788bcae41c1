// A platform backend (crmcom, sessionm) for tests: a real host ledger (its dedup store) in a
// temp dir, the backend's log lines captured, and `run` to send messages as one till's batch.
import { Writable } from 'node:stream';
import { join } from 'node:path';
import type { Backend } from '../../host/backend.ts';
import { Ledger } from '../../host/ledger.ts';
import { createLogger, type Logger } from '../../runtime/log.ts';
import type { UpstreamMessage } from '../../protocol/upstream.ts';
import { SOURCE } from './host-fixtures.ts';
import { tempDir } from './tmp.ts';

type T = { teardown(fn: () => unknown): void };

/** `dbPath`: the host.db of an earlier backend (a restarted host on the same store); a new one by default. */
export async function platformBackend(t: T, name: string, create: (ledger: Ledger, log: Logger) => Backend, dbPath?: string) {
  const path = dbPath ?? join(await tempDir(t, `till-${name}-`), 'host.db');
  const ledger = Ledger.open(path);
  t.teardown(() => ledger.close());
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _e, done) { lines.push(chunk.toString()); done(); } });
  const backend = create(ledger, createLogger({ level: 'debug', name: 'till-host' }, sink));
  t.teardown(() => backend.stop());
  let n = 0;
  const run = async (...messages: UpstreamMessage[]) =>
    (await backend.handle({ request_id: `r${++n}`, reply_to: 'x', source: SOURCE, items: messages.map((message) => ({ ok: true as const, message })) })).response.results;
  return { backend, ledger, run, logs: () => lines.join(''), dbPath: path };
}
