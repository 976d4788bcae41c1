// A decoded request as the host processes it (request.ts makes it, chain.ts checks its order,
// a backend handles it) and what handling it gives. Its own file so that the decoder, the chain
// check, the Backend interface and the service all import it without importing each other.
import type { Chain, TillIdentity, UpstreamMessage, UpstreamResponse } from '../protocol/upstream.ts';

export type BatchItem = { ok: true; message: UpstreamMessage } | { ok: false; id: string; seq?: number; errors: string[] };

export interface Batch {
  request_id: string;
  reply_to: string;
  source: TillIdentity;
  /** Present when the till pipelines: where this batch sits in the till's sequence (chain.ts). */
  chain?: Chain;
  items: BatchItem[];
}

/** What a backend answers for one batch (host/service.ts for the ledger backend's rules). */
export interface HandleSummary {
  response: UpstreamResponse;
  applied: number;
  duplicates: number;
  failed: number;
  /** A chained batch that came before its predecessor: nothing applied (chain.ts; the ledger backend only). */
  refused?: boolean;
}
