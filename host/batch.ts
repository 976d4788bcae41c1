// A decoded request as the host processes it (request.ts makes it, chain.ts checks its order,
// a backend handles it). Its own file so that the decoder and the chain check both import it.
import type { Chain, TillIdentity, UpstreamMessage } from '../protocol/upstream.ts';

export type BatchItem = { ok: true; message: UpstreamMessage } | { ok: false; id: string; seq?: number; errors: string[] };

export interface Batch {
  request_id: string;
  reply_to: string;
  source: TillIdentity;
  /** Present when the till pipelines: where this batch sits in the till's sequence (chain.ts). */
  chain?: Chain;
  items: BatchItem[];
}
