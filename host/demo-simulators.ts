// `npm start -- --backend crmcom-sim | sessionm-sim`: the demo's host talks to a platform
// simulator started in the same process, holding the sample seed's two customers (same cards,
// phones, emails, balances), so a POS developer can try the real mapping on one machine.
import { randomBytes } from 'node:crypto';
import { CrmcomSimulator } from './crmcom/simulator.ts';
import { SessionmSimulator } from './sessionm/simulator.ts';

export const DEMO_BACKENDS = ['ledger', 'crmcom-sim', 'sessionm-sim'] as const;
export type DemoBackend = (typeof DEMO_BACKENDS)[number];

export interface DemoSimulator {
  url: string;
  /** Merged into the demo's host config (backend + its section; no seed). */
  hostConfig: Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startDemoSimulator(kind: Exclude<DemoBackend, 'ledger'>): Promise<DemoSimulator> {
  // Fresh credentials per run: nothing to leak, nothing to configure.
  const key = randomBytes(16).toString('hex');
  const secret = randomBytes(16).toString('hex');
  if (kind === 'crmcom-sim') {
    const sim = new CrmcomSimulator({
      api_key: key, currency: 'EUR', award_basis_points: 500,
      participants: [
        { id: 'P-1001', number: '1001', name: 'Alice Martin', tier: 'gold', balance: 2500, cards: ['6006491234567890'], phones: ['+33612345678'], emails: ['alice.martin@example.com'] },
        { id: 'P-1002', number: '1002', name: 'Bruno Keller', tier: 'silver', balance: 800, automatic_spend: true, cards: ['6006491234567908', 'tok_b7f3c9e2'], emails: ['bruno.keller@example.org'] },
      ],
    });
    const url = await sim.start();
    return {
      url,
      hostConfig: { backend: 'crmcom', crmcom: { url, api_key: key, performed_by_unit: 'DEMO-UNIT', currency: 'EUR' } },
      stop: () => sim.stop(),
    };
  }
  const sim = new SessionmSimulator({
    key, secret, client_id: 'demo', stores: ['S1'], currency: 'EUR', points_per_unit: 1,
    users: [
      {
        id: 'P-1001', first_name: 'Alice', last_name: 'Martin', tier: 'gold', points: 250, emails: ['alice.martin@example.com'], phones: ['33612345678'],
        external_ids: ['6006491234567890'],
        offers: [{ user_offer_id: 'UO-ALICE-ESPRESSO', name: 'Free espresso', discount_amount: 160, skus: ['4006381333931'] }],
      },
      { id: 'P-1002', first_name: 'Bruno', last_name: 'Keller', tier: 'silver', points: 80, emails: ['bruno.keller@example.org'], external_ids: ['6006491234567908', 'tok_b7f3c9e2'] },
    ],
  });
  const url = await sim.start();
  return {
    url,
    hostConfig: { backend: 'sessionm', sessionm: { url, key, secret, client_id: 'demo', currency: 'EUR' } },
    stop: () => sim.stop(),
  };
}
