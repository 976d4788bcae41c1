// Builds the configured backend (host config `backend`). Connectors are imported on demand so a
// ledger host never loads HTTP clients it does not use.
import type { Backend } from './backend.ts';
import type { HostConfig } from './config.ts';
import type { Ledger } from './ledger.ts';
import { LedgerBackend } from './ledger-backend/ledger-backend.ts';
import type { Logger } from '../runtime/log.ts';
import type { CallObserver } from './platform/http.ts';

export async function createBackend(config: HostConfig, ledger: Ledger, log: Logger, observe?: CallObserver): Promise<Backend> {
  switch (config.backend) {
    case 'ledger':
      return new LedgerBackend(
        ledger,
        {
          timezone: config.timezone, reduction: config.reduction, default_product: config.default_product, lock_ttl_s: config.lock_ttl_s, currencies: config.currencies,
          reduction_rules: config.reduction_rules, refunds: config.refunds, spend: config.spend,
        },
        log,
      );
    case 'crmcom': {
      const { createCrmcomBackend } = await import('./crmcom/crmcom-backend.ts');
      if (!config.crmcom) throw new Error('backend crmcom without a crmcom section');
      return createCrmcomBackend(config.crmcom, { timezone: config.timezone }, ledger, log, observe);
    }
    case 'sessionm': {
      const { createSessionmBackend } = await import('./sessionm/sessionm-backend.ts');
      if (!config.sessionm) throw new Error('backend sessionm without a sessionm section');
      return createSessionmBackend(config.sessionm, ledger, log, observe);
    }
  }
}
