// Progress of a large catalogue upload, batch by batch. products.sync commits its batches to the
// outbox and answers at once; as the host accepts (or refuses) each batch, an `outbox` event
// {type: "products", sync_id, batch, batches, products, synced, total, state} tells the POS how
// far the upload is. Kept in memory only: after a restart the remaining batches still go out
// (they are in the outbox) and are announced with sync_id null.
import type { EventData } from './events.ts';
import type { OutboxRow } from './outbox.ts';

interface Sync {
  id: string;
  batches: number;
  total: number;
  synced: number;
}

interface Tracked {
  sync: Sync;
  batch: number;
  products: number;
}

const productsIn = (row: OutboxRow) => {
  const products = row.payload.products;
  return Array.isArray(products) ? products.length : 0;
};

export class ProductsProgress {
  private readonly byMessage = new Map<string, Tracked>();

  /** One products.sync request's batches (outbox message ids), in order. */
  track(syncId: string, messageIds: string[], productsPerBatch: number[]): void {
    const sync: Sync = { id: syncId, batches: messageIds.length, total: productsPerBatch.reduce((a, b) => a + b, 0), synced: 0 };
    messageIds.forEach((id, i) => this.byMessage.set(id, { sync, batch: i + 1, products: productsPerBatch[i] ?? 0 }));
  }

  /** The progress events for the rows the host just settled. */
  settled(rows: OutboxRow[]): EventData[] {
    const out: EventData[] = [];
    for (const row of rows) {
      if (row.op !== 'products.sync' || (row.state !== 'done' && row.state !== 'dead')) continue;
      const tracked = this.byMessage.get(row.id);
      this.byMessage.delete(row.id);
      const products = tracked?.products ?? productsIn(row);
      if (tracked && row.state === 'done') tracked.sync.synced += products;
      out.push({
        type: 'products',
        sync_id: tracked?.sync.id ?? null,
        batch: tracked?.batch ?? null,
        batches: tracked?.sync.batches ?? null,
        products,
        synced: tracked?.sync.synced ?? null,
        total: tracked?.sync.total ?? null,
        state: row.state,
        ...(row.state === 'dead' ? { error: row.error } : { accepted: typeof row.result?.accepted === 'number' ? row.result.accepted : products }),
      });
    }
    return out;
  }
}
