// Per-till order when a till pipelines: it has several requests in flight, and with a shared
// subscription two consecutive ones may reach two host processes. Each message carries its
// outbox seq; a request says where it sits (`chain`, protocol/upstream.ts):
//
//   {start: true}   the till has settled everything before this batch: apply it
//   {after: N}      apply only if N is the last seq processed for this till, else refuse
//
// The check and the new last seq are read and written inside the batch's own transaction, so
// two hosts cannot both pass it, and a batch is either applied and recorded or neither.
import type { Ledger } from './ledger.ts';
import type { Batch, BatchItem } from './batch.ts';

export type ChainCheck =
  /** A request without `chain` (a till that does not pipeline): no check, nothing recorded. */
  | { kind: 'none' }
  | { kind: 'go' }
  /** An earlier batch of this till has not been processed (yet): apply nothing. */
  | { kind: 'refuse'; last: number | null };

export function itemSeq(item: BatchItem): number | undefined {
  return item.ok ? item.message.seq : item.seq;
}

/** Why a chained batch cannot be checked (a till bug), or undefined. */
export function chainProblem(batch: Batch): string | undefined {
  if (!batch.chain) return undefined;
  let previous = 'after' in batch.chain ? batch.chain.after : 0;
  for (const item of batch.items) {
    const seq = itemSeq(item);
    if (seq === undefined) return 'chain: every message of a chained request needs a seq';
    if (seq <= previous) return 'chain: message seqs must increase (and follow chain.after)';
    previous = seq;
  }
  return undefined;
}

/** Inside the batch's transaction, before anything is applied. */
export function checkChain(ledger: Ledger, terminal: string, batch: Batch): ChainCheck {
  if (!batch.chain) return { kind: 'none' };
  if ('start' in batch.chain) return { kind: 'go' };
  const last = ledger.chainLast(terminal);
  return last === batch.chain.after ? { kind: 'go' } : { kind: 'refuse', last };
}

/**
 * Inside the same transaction, after the batch: `processed` items (ok or permanently refused,
 * in order) now count as done. Returns the till's last seq.
 */
export function recordChain(ledger: Ledger, terminal: string, batch: Batch, processed: number): number | null {
  const lastItem = processed > 0 ? batch.items[processed - 1] : undefined;
  const seq = lastItem ? itemSeq(lastItem) : undefined;
  if (seq === undefined) return ledger.chainLast(terminal);
  ledger.setChainLast(terminal, seq);
  return seq;
}
