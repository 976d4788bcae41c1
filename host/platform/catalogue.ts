// The catalogue a platform backend keeps in <data_dir>/host.db for full catalogue syncs: the
// products the host synchronised to the platform (ledger `products`), and the staged SKUs of the
// full sync in progress (ledger `product_syncs` / `product_sync_skus`, the same rules as the
// ledger backend: complete once every batch up to the one marked last is in, in any order).
//
// A full sync's last batch retires at the platform what the catalogue no longer lists, BEFORE the
// host records it, in three steps:
//
//   1. dry run (BEGIN IMMEDIATE … ROLLBACK): stage the batch; if that completes the sync, the
//      products it would delete are the ones to retire
//   2. connector.retireProducts(those) at the platform (idempotent)
//   3. BEGIN IMMEDIATE: stage the batch for real (the products are deleted from the catalogue),
//      record the result (processed) … COMMIT
//
// A host that dies between 2 and 3 leaves the sync incomplete and the message unrecorded: the
// till resends it, step 1 finds the same products, the platform retires them again (no change).
// Staging and recording in one transaction means a resent batch is never counted twice.
import type { UpstreamMessage } from '../../protocol/upstream.ts';
import type { Ledger } from '../ledger.ts';

type SyncMessage = Extract<UpstreamMessage, { op: 'products.sync' }>;

class DryRun extends Error {}

/** Stages the batch in the caller's transaction: upserts it, and for a full sync returns its completion. */
export function stageCatalogue(ledger: Ledger, terminal: string, message: SyncMessage): { complete?: boolean; deleted?: number } {
  const { products, sync } = message.payload;
  ledger.upsertProducts(products);
  if (sync?.mode !== 'full') return {};
  return ledger.stageFullSync(terminal, sync, products.map((p) => p.sku));
}

/** The products this batch would retire (step 1): none unless it completes its full sync now. */
export function productsToRetire(ledger: Ledger, terminal: string, message: SyncMessage): string[] {
  if (message.payload.sync?.mode !== 'full') return [];
  let retire: string[] = [];
  try {
    ledger.immediate(() => {
      const before = ledger.productSkus();
      stageCatalogue(ledger, terminal, message);
      const after = new Set(ledger.productSkus());
      retire = before.filter((sku) => !after.has(sku));
      throw new DryRun();
    });
  } catch (error) {
    if (!(error instanceof DryRun)) throw error;
  }
  return retire;
}
