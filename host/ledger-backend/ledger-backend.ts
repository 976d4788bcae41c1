// The default backend: the host answers from its own SQLite ledger (host/ledger.ts, engine.ts,
// handlers.ts, service.ts). This adapter only puts that engine behind the Backend interface;
// the files it wraps stay where they are. Everything runs synchronously inside one
// BEGIN IMMEDIATE per request, as before.
import { UPSTREAM_OPS } from '../../protocol/upstream.ts';
import type { Backend, OpCheck, PlatformCheck } from '../backend.ts';
import type { HostSettings } from '../op-context.ts';
import type { Ledger } from '../ledger.ts';
import type { Logger } from '../../runtime/log.ts';
import type { Batch, HandleSummary } from '../batch.ts';
import { HostService } from '../service.ts';

export class LedgerBackend implements Backend {
  readonly name = 'ledger' as const;
  readonly unsupported = {};
  private readonly service: HostService;

  constructor(private readonly ledger: Ledger, settings: HostSettings, log: Logger) {
    this.service = new HostService(ledger, settings, log);
  }

  handle(batch: Batch): Promise<HandleSummary> {
    return Promise.resolve(this.service.handle(batch));
  }

  async checkOps(): Promise<OpCheck[]> {
    // Every op is the host's own code; what can fail is the ledger file itself.
    const readable = this.readable();
    return UPSTREAM_OPS.map((op) => ({ op, ok: readable.ok, detail: readable.ok ? 'served by the host ledger' : readable.detail }));
  }

  async doctor(): Promise<PlatformCheck[]> {
    return [{ name: 'ledger', ...this.readable() }];
  }

  private readable(): { ok: boolean; detail: string } {
    try {
      const offers = this.ledger.offers().length;
      return { ok: true, detail: `ledger readable (${offers} offers)` };
    } catch (error) {
      return { ok: false, detail: `ledger not readable: ${(error as Error).message}` };
    }
  }

  async stop(): Promise<void> {}
}
