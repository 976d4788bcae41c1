// A CRM.COM simulator with three participants, and a crmcom backend in front of it with a
// real host ledger (dedup store) in a temp dir, its log lines captured.
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { crmcomConfigSchema } from '../../host/crmcom/config.ts';
import { createCrmcomBackend } from '../../host/crmcom/crmcom-backend.ts';
import { CrmcomSimulator } from '../../host/crmcom/simulator.ts';
import { Ledger } from '../../host/ledger.ts';
import { createLogger } from '../../runtime/log.ts';
import type { Batch } from '../../host/batch.ts';
import type { UpstreamMessage } from '../../protocol/upstream.ts';
import { SOURCE } from './host-fixtures.ts';
import { tempDir } from './tmp.ts';

export const SIM_KEY = 'EE73C0AE64524371B5DDEFF5F7BB2192';
type T = { teardown(fn: () => unknown): void };

export const SIM_PARTICIPANTS = [
  { id: 'P1', number: '1001', name: 'Alice', tier: 'gold', balance: 1000, cards: ['6006491234567890'], emails: ['alice@example.com'], phones: ['+33612345678'] },
  { id: 'P2', number: '1002', name: 'Bruno', balance: 500, automatic_spend: true, cards: ['6006491234567908'] },
  { id: 'P3', number: '1003', name: 'Chiara', balance: 0, cards: ['6006491234567916'] },
];

export async function startCrmcomSim(t: T, extra: Partial<ConstructorParameters<typeof CrmcomSimulator>[0]> = {}): Promise<CrmcomSimulator> {
  const sim = new CrmcomSimulator({
    api_key: SIM_KEY, currency: 'EUR', award_basis_points: 1000, instant: { CROISSANT: 50 },
    participants: structuredClone(SIM_PARTICIPANTS), ...extra,
  });
  await sim.start();
  t.teardown(() => sim.stop());
  return sim;
}

export async function crmcomBackend(t: T, sim: CrmcomSimulator, config: Record<string, unknown> = {}) {
  const dir = await tempDir(t, 'till-crmcom-');
  const ledger = Ledger.open(join(dir, 'host.db'));
  t.teardown(() => ledger.close());
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _e, done) { lines.push(chunk.toString()); done(); } });
  const log = createLogger({ level: 'debug', name: 'till-host' }, sink);
  const parsed = crmcomConfigSchema.parse({
    url: sim.server.url, api_key: SIM_KEY, performed_by_unit: 'U1', currency: 'EUR',
    timeout_ms: 1000, retries: 2, max_delay_ms: 20, breaker_threshold: 5, breaker_half_open_ms: 60_000, ...config,
  });
  const backend = createCrmcomBackend(parsed, { timezone: 'Europe/Paris' }, ledger, log);
  t.teardown(() => backend.stop());
  let n = 0;
  const run = async (...messages: UpstreamMessage[]) =>
    (await backend.handle({ request_id: `r${++n}`, reply_to: 'x', source: SOURCE, items: messages.map((message) => ({ ok: true as const, message })) })).response.results;
  return { backend, ledger, run, logs: () => lines.join('') };
}

export type { Batch };
