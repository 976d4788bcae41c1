// Progress of a catalogue upload, batch by batch. products.sync commits its batches to the
// outbox and answers at once; as the host accepts (or refuses) each batch, an `outbox` event
// {type: "products", sync_id, mode, batch, batches, products, synced, total, state} tells the POS
// how far the upload is. Each batch names its upload in its payload (sync id, batch number), so
// batches delivered after a restart still carry their sync_id and batch; the running totals
// (batches, synced, total) are kept in memory only and are null then: products.status reads
// the whole picture from the outbox.
import type { EventData } from './events.ts';
import { resultOf } from './upstream/host-results.ts';
import type { OutboxRow } from './upstream/outbox.ts';

interface Sync {
  batches: number;
  total: number;
  synced: number;
}

interface Tracked {
  sync: Sync;
  products: number;
}

interface BatchMeta {
  id: string | null;
  mode: string | null;
  batch: number | null;
  last: boolean;
}

function metaOf(row: OutboxRow): BatchMeta {
  const sync = row.payload.sync as { id?: unknown; mode?: unknown; batch?: unknown; last?: unknown } | undefined;
  return {
    id: typeof sync?.id === 'string' ? sync.id : null,
    mode: typeof sync?.mode === 'string' ? sync.mode : null,
    batch: typeof sync?.batch === 'number' ? sync.batch : null,
    last: sync?.last === true,
  };
}

const productsIn = (row: OutboxRow) => {
  const products = row.payload.products;
  return Array.isArray(products) ? products.length : 0;
};

export class ProductsProgress {
  private readonly syncs = new Map<string, Sync>();
  private readonly byMessage = new Map<string, Tracked>();

  /** One products.sync request's batches (outbox message ids), in order; a full sync may have several requests. */
  track(syncId: string, messageIds: string[], productsPerBatch: number[]): void {
    let sync = this.syncs.get(syncId);
    if (!sync) this.syncs.set(syncId, (sync = { batches: 0, total: 0, synced: 0 }));
    sync.batches += messageIds.length;
    sync.total += productsPerBatch.reduce((a, b) => a + b, 0);
    messageIds.forEach((id, i) => this.byMessage.set(id, { sync: sync, products: productsPerBatch[i] ?? 0 }));
  }

  /** The progress events for the rows the host just settled. */
  settled(rows: OutboxRow[]): EventData[] {
    const out: EventData[] = [];
    for (const row of rows) {
      if (row.op !== 'products.sync' || (row.state !== 'done' && row.state !== 'dead')) continue;
      const tracked = this.byMessage.get(row.id);
      this.byMessage.delete(row.id);
      const meta = metaOf(row);
      const products = tracked?.products ?? productsIn(row);
      if (tracked && row.state === 'done') tracked.sync.synced += products;
      // Forgotten once its last batch is settled (a full sync may still get requests before that).
      if (meta.last && meta.id !== null) this.syncs.delete(meta.id);
      const result = resultOf(row, 'products.sync');
      out.push({
        type: 'products',
        sync_id: meta.id,
        mode: meta.mode,
        batch: meta.batch,
        batches: tracked?.sync.batches ?? null,
        products,
        synced: tracked?.sync.synced ?? null,
        total: tracked?.sync.total ?? null,
        state: row.state,
        ...(row.state === 'dead'
          ? { error: row.error }
          : {
            // An answer the till could not read (result_error) counts the batch as sent.
            accepted: result?.accepted ?? products,
            ...(result?.complete !== undefined ? { complete: result.complete } : {}),
            ...(result?.deleted !== undefined ? { deleted: result.deleted } : {}),
          }),
      });
    }
    return out;
  }
}
