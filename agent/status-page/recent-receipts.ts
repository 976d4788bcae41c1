// The last few receipts the agent printed, kept in memory as the bytes sent to the printer, so
// the status page can show them as PNG previews whatever the printer (not only virtual ones).

export interface PrintedReceipt {
  job_id: string;
  printer: string;
  txn_id: string | null;
  columns: number;
  at: string;
  bytes: Buffer;
}

export interface ListedReceipt extends Omit<PrintedReceipt, 'bytes'> {
  status: string;
}

export class RecentReceipts {
  private readonly items: Array<ListedReceipt & { bytes: Buffer; png?: Buffer }> = [];

  constructor(private readonly max = 6) {}

  add(receipt: PrintedReceipt): void {
    this.items.unshift({ ...receipt, status: 'queued' });
    this.items.length = Math.min(this.items.length, this.max);
  }

  /** Follows the `print` events: printed, sent, uncertain, failed… */
  setStatus(jobId: string, status: string): void {
    const item = this.items.find((r) => r.job_id === jobId);
    if (item) item.status = status;
  }

  /** Newest first, without the bytes. */
  list(): ListedReceipt[] {
    return this.items.map(({ bytes: _bytes, png: _png, ...listed }) => listed);
  }

  /** The receipt as the printer would print it; rendered once, on first request. */
  async png(jobId: string): Promise<Buffer | undefined> {
    const item = this.items.find((r) => r.job_id === jobId);
    if (!item) return undefined;
    // The renderer (pngjs, bwip-js) is loaded on the first preview asked for, not at start-up.
    const { renderPreview } = await import('../../drivers/receipt-preview.ts');
    item.png ??= renderPreview(item.bytes, { columns: item.columns }).png;
    return item.png;
  }
}
