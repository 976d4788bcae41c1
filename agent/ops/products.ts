import { PRODUCT_BATCH_SIZE, type Params, type ProductsSyncResult } from '../../protocol/local.ts';
import type { OpsContext } from './context.ts';
import { fingerprint, newMessage } from './outcome.ts';

/** Catalogue upload: committed to the outbox in batches of at most 1,000, delivered in order. */
export async function productsSync(ctx: OpsContext, p: Params<'products.sync'>): Promise<ProductsSyncResult> {
  const batches = [];
  for (let i = 0; i < p.products.length; i += PRODUCT_BATCH_SIZE) {
    const payload = { products: p.products.slice(i, i + PRODUCT_BATCH_SIZE) };
    batches.push(newMessage(ctx, 'products.sync', {
      txn_id: null, fingerprint: fingerprint(payload), customer_id: null, payload, offline: false, amount: null, currency: null,
    }));
  }
  await ctx.outbox.appendAll(batches);
  // The first batch's message id names the upload in its progress events.
  const syncId = batches[0]!.id;
  ctx.productsProgress.track(syncId, batches.map((b) => b.id), batches.map((b) => (b.payload.products as unknown[]).length));
  ctx.forwarder.wake();
  return { accepted: p.products.length, batches: batches.length, sync_id: syncId };
}

