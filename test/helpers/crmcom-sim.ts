// A CRM.COM simulator with three participants, and a crmcom backend in front of it
// (platform-backend.ts: a real host ledger in a temp dir, its log lines captured).
import { crmcomConfigSchema } from '../../host/crmcom/config.ts';
import { createCrmcomBackend } from '../../host/crmcom/crmcom-backend.ts';
import { CrmcomSimulator } from '../../host/crmcom/simulator.ts';
import { platformBackend } from './platform-backend.ts';

export const SIM_KEY = 'EE73C0AE64524371B5DDEFF5F7BB2192';
type T = { teardown(fn: () => unknown): void };

export const SIM_PARTICIPANTS = [
  { id: 'P1', number: '1001', name: 'Alice', tier: 'gold', balance: 1000, cards: ['6006491234567890'], emails: ['alice@example.com'], phones: ['+33612345678'] },
  { id: 'P2', number: '1002', name: 'Bruno', balance: 500, automatic_spend: true, cards: ['6006491234567908'] },
  { id: 'P3', number: '1003', name: 'Chiara', balance: 0, cards: ['6006491234567916'] },
];

export async function startCrmcomSim(t: T, extra: Partial<ConstructorParameters<typeof CrmcomSimulator>[0]> = {}): Promise<CrmcomSimulator> {
  const sim = new CrmcomSimulator({
    // The unit's time zone is the host's (crmcomBackend and the e2e hosts: Europe/Paris).
    api_key: SIM_KEY, currency: 'EUR', award_basis_points: 1000, instant: { CROISSANT: 50 }, timezone: 'Europe/Paris',
    participants: structuredClone(SIM_PARTICIPANTS), ...extra,
  });
  await sim.start();
  t.teardown(() => sim.stop());
  return sim;
}

/** `dbPath`: the host.db of an earlier backend, for a host restarted on the same store. */
export function crmcomBackend(t: T, sim: CrmcomSimulator, config: Record<string, unknown> = {}, dbPath?: string) {
  const parsed = crmcomConfigSchema.parse({
    url: sim.server.url, api_key: SIM_KEY, performed_by_unit: 'U1', currency: 'EUR',
    timeout_ms: 1000, retries: 2, max_delay_ms: 20, breaker_threshold: 5, breaker_half_open_ms: 60_000, ...config,
  });
  return platformBackend(t, 'crmcom', (ledger, log) => createCrmcomBackend(parsed, { timezone: 'Europe/Paris' }, ledger, log), dbPath);
}
