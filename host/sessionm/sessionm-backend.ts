// backend: sessionm — the SessionM connector behind the host's front (platform/remote-backend.ts).
import type { Backend } from '../backend.ts';
import type { Ledger } from '../ledger.ts';
import type { Logger } from '../../runtime/log.ts';
import { readSecret } from '../platform/config.ts';
import { PlatformHttp, type CallObserver } from '../platform/http.ts';
import { RemoteBackend } from '../platform/remote-backend.ts';
import { SessionmClient } from './client.ts';
import type { SessionmConfig } from './config.ts';
import { SessionmConnector } from './connector.ts';

export function createSessionmBackend(config: SessionmConfig, ledger: Ledger, log: Logger, observe?: CallObserver): Backend {
  const http = new PlatformHttp('sessionm', config.url, config, observe);
  const client = new SessionmClient(config, readSecret(config.secret, config.secret_file), http);
  return new RemoteBackend(ledger, new SessionmConnector(client, config), log);
}
