// A txn_id names one sale (LOCAL.md "The sale flow", step 5): once the sale's void is applied, an
// award for it could never be reversed (a void repeated is answered from the host's dedup). The
// till refuses one first, from its outbox; this covers a till whose outbox no longer holds the void
// (replaced mid-sale, restored from an older copy). One lookup of the till's processed void, in
// the batch's transaction (PostgreSQL: within the batch's dedup prefetch, pg-ledger.ts). The
// ledger backend's only: CRM.COM voids only a sale whose award (purchase) it has, so a later award
// of its txn_id is that award's repeat (the dedup answers it), and SessionM has no void.
import { AgentError } from '../protocol/errors.ts';
import type { Ledger } from './ledger.ts';

export function refuseOnVoidedSale(ledger: Pick<Ledger, 'processedByTxn'>, terminal: string, txnId: string, op = 'award'): void {
  if (ledger.processedByTxn(terminal, 'void', txnId) === undefined) return;
  throw new AgentError('CONFLICT', `${op} for txn ${txnId}: that sale was voided; a new sale needs a new txn_id`, false);
}
