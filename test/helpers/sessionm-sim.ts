// A SessionM simulator with two users and offers, and a sessionm backend in front of it
// (platform-backend.ts: a real host ledger in a temp dir, its log lines captured).
import { sessionmConfigSchema } from '../../host/sessionm/config.ts';
import { createSessionmBackend } from '../../host/sessionm/sessionm-backend.ts';
import { SessionmSimulator } from '../../host/sessionm/simulator.ts';
import { platformBackend } from './platform-backend.ts';

export const SM_KEY = 'sm-key-7f3a';
export const SM_SECRET = 'sm-secret-91bd44';
type T = { teardown(fn: () => unknown): void };

export async function startSessionmSim(t: T, extra: Partial<ConstructorParameters<typeof SessionmSimulator>[0]> = {}): Promise<SessionmSimulator> {
  const sim = new SessionmSimulator({
    key: SM_KEY, secret: SM_SECRET, client_id: 'C1', stores: ['S1', 'STORE-1'], currency: 'EUR', points_per_unit: 1,
    users: [
      {
        id: 'U1', first_name: 'Alice', last_name: 'Martin', tier: 'gold', points: 120, emails: ['alice@example.com'], phones: ['33612345678'],
        external_ids: ['6006491234567890'],
        offers: [
          { user_offer_id: 'O1', name: 'Free croissant', discount_amount: 150, skus: ['CROISSANT'] },
          { user_offer_id: 'O2', name: '1 EUR off', discount_amount: 100 },
        ],
      },
      { id: 'U2', first_name: 'Bruno', last_name: 'B', points: 0, external_ids: ['6006491234567908'] },
    ],
    ...extra,
  });
  await sim.start();
  t.teardown(() => sim.stop());
  return sim;
}

export function sessionmBackend(t: T, sim: SessionmSimulator, config: Record<string, unknown> = {}) {
  const parsed = sessionmConfigSchema.parse({
    url: sim.server.url, key: SM_KEY, secret: SM_SECRET, client_id: 'C1', currency: 'EUR', stores: { S1: 'STORE-1' },
    timeout_ms: 1000, retries: 2, max_delay_ms: 20, ...config,
  });
  return platformBackend(t, 'sessionm', (ledger, log) => createSessionmBackend(parsed, ledger, log));
}
