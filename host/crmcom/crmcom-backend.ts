// backend: crmcom — the CRM.COM connector behind the host's front (platform/remote-backend.ts).
import type { Backend } from '../backend.ts';
import type { Ledger } from '../ledger.ts';
import type { Logger } from '../../runtime/log.ts';
import { readSecret } from '../platform/config.ts';
import { PlatformHttp, type CallObserver } from '../platform/http.ts';
import { RemoteBackend } from '../platform/remote-backend.ts';
import { CrmcomClient } from './client.ts';
import type { CrmcomConfig } from './config.ts';
import { CrmcomConnector } from './connector.ts';

export function createCrmcomBackend(
  config: CrmcomConfig, settings: { timezone: string }, ledger: Ledger, log: Logger, observe?: CallObserver,
): Backend {
  const credentials = config.api_key !== undefined || config.api_key_file !== undefined
    ? { api_key: readSecret(config.api_key, config.api_key_file) }
    : { password: readSecret(config.password, config.password_file) };
  const http = new PlatformHttp('crmcom', config.url, config, observe);
  const client = new CrmcomClient(config, credentials, http, log);
  return new RemoteBackend(ledger, new CrmcomConnector(client, config, settings, log), log);
}
