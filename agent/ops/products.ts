// Catalogue upload (CRM.COM products/synchronise: "The maximum number of products that can be
// synchronized per call is 1,000"). Committed to the outbox in batches of at most 1,000, delivered
// in order. delta: the products sent are added or updated. full: the products sent — in one
// request, or several naming the same sync_id — are the whole catalogue: once the host has every
// batch it deletes the products not in it.
import { opaqueId } from '../../protocol/digest-key.ts';
import { AgentError } from '../../protocol/errors.ts';
import {
  PRODUCT_BATCH_SIZE, type Params, type ProductsBatchStatus, type ProductsStatusResult, type ProductsSyncResult,
} from '../../protocol/local.ts';
import type { AppendInput } from '../upstream/outbox.ts';
import type { OpsContext } from './context.ts';
import { fingerprint, newMessage } from './outcome.ts';

export async function productsSync(ctx: OpsContext, p: Params<'products.sync'>): Promise<ProductsSyncResult> {
  ctx.hostOps.check('products.sync');
  const syncId = p.sync_id;
  if (syncId === undefined) return appendBatches(ctx, p, opaqueId(), 1);
  // Requests continuing one full sync are numbered one after the other: one at a time per sync id.
  return ctx.syncLocks.run(syncId, async () => {
    const earlier = ctx.outbox.productBatches(syncId);
    if (earlier.length === 0) {
      throw new AgentError('NOT_FOUND', `params.sync_id: no products.sync ${syncId} on this till (delivered ones are kept outbox.keep_done_days days)`);
    }
    if (earlier[0]!.mode !== 'full') throw new AgentError('BAD_REQUEST', `params.sync_id: ${syncId} is a delta sync; only a full sync continues`);
    if (earlier.some((b) => b.last)) {
      throw new AgentError('CONFLICT', `params.sync_id: the full sync ${syncId} already had its last request (more: false): start a new one`);
    }
    if (ctx.protocol >= 2) refuseRepeats(ctx, p, syncId);
    return appendBatches(ctx, p, syncId, Math.max(...earlier.map((b) => b.batch)) + 1);
  });
}

const MAX_REPEATS_NAMED = 10;

/**
 * Version 2: a SKU sent in an earlier request of the same full sync is refused, nothing committed,
 * as one listed twice in one request is (local.ts skusOnce): the host would keep whichever came last
 * and count it twice. Named by position, its earlier one by batch (products.status), never echoed.
 */
function refuseRepeats(ctx: OpsContext, p: Params<'products.sync'>, syncId: string): void {
  const sent = ctx.outbox.productSkusSent(syncId, p.products.map((product) => product.sku));
  if (sent.length === 0) return;
  const earlier = new Map(sent.map((s) => [s.sku, s]));
  const problems: string[] = [];
  p.products.forEach((product, i) => {
    const s = earlier.get(product.sku);
    if (s !== undefined) problems.push(`params.products[${i}].sku: the same SKU as products[${s.index}] of batch ${s.batch} of this full sync: list each product once`);
  });
  const more = problems.length > MAX_REPEATS_NAMED ? `; and ${problems.length - MAX_REPEATS_NAMED} more` : '';
  throw new AgentError('BAD_REQUEST', problems.slice(0, MAX_REPEATS_NAMED).join('; ') + more);
}

async function appendBatches(ctx: OpsContext, p: Params<'products.sync'>, syncId: string, firstBatch: number): Promise<ProductsSyncResult> {
  const batches: AppendInput[] = [];
  for (let i = 0; i < p.products.length; i += PRODUCT_BATCH_SIZE) {
    const last = !p.more && i + PRODUCT_BATCH_SIZE >= p.products.length;
    const sync = { id: syncId, mode: p.mode, batch: firstBatch + batches.length, last };
    const payload = { products: p.products.slice(i, i + PRODUCT_BATCH_SIZE), sync };
    batches.push(newMessage(ctx, 'products.sync', {
      txn_id: null, fingerprint: fingerprint(payload), customer_id: null, payload, offline: false, amount: null, currency: null,
    }));
  }
  await ctx.outbox.appendAll(batches);
  ctx.productsProgress.track(syncId, batches.map((b) => b.id), batches.map((b) => (b.payload.products as unknown[]).length));
  ctx.forwarder.wake();
  return { accepted: p.products.length, batches: batches.length, sync_id: syncId, mode: p.mode, open: p.more };
}

/** Where an upload stands, batch by batch, from the outbox (so also after a restart). */
export function productsStatus(ctx: OpsContext, p: Params<'products.status'>): ProductsStatusResult {
  const rows = ctx.outbox.productBatches(p.sync_id);
  if (rows.length === 0) {
    throw new AgentError('NOT_FOUND', `params.sync_id: no products.sync ${p.sync_id} on this till (delivered ones are kept outbox.keep_done_days days)`);
  }
  let deleted: number | null = null;
  const results = rows.map((r): ProductsBatchStatus => {
    const out: ProductsBatchStatus = { batch: r.batch, products: r.products, state: r.state };
    if (r.state === 'done') {
      // An answer the till could not read counts the batch as sent, and says so.
      out.accepted = r.result?.accepted ?? r.products;
      if (r.result_error !== undefined) out.result_error = r.result_error;
      const d = r.result?.deleted;
      if (d !== undefined && r.result?.complete === true) out.deleted = deleted = d;
    }
    if (r.state === 'dead') out.error = r.error;
    return out;
  });
  const state = rows.some((r) => r.state === 'dead') ? 'failed'
    : !rows.some((r) => r.last) ? 'open'
    : rows.some((r) => r.state === 'pending') ? 'pending'
    : 'done';
  return {
    sync_id: p.sync_id,
    mode: rows[0]!.mode === 'full' ? 'full' : 'delta',
    state,
    batches: rows.length,
    products: rows.reduce((n, r) => n + r.products, 0),
    synced: results.reduce((n, r) => n + (r.accepted ?? 0), 0),
    deleted,
    results,
  };
}
