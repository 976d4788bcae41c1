// Listener bookkeeping shared by every ByteLink: data fan-out, and a close that is reported
// exactly once with "disconnected" (the device went away) or "cancelled" (we closed it).
import type { ByteLink, LinkCloseReason } from '../types.ts';

export abstract class LinkBase implements ByteLink {
  abstract readonly label: string;
  abstract readonly canRead: boolean;
  private readonly dataListeners = new Set<(chunk: Buffer) => void>();
  private readonly closeListeners = new Set<(reason: LinkCloseReason) => void>();
  private closeReason: LinkCloseReason | undefined;

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  abstract write(data: Uint8Array): Promise<void>;
  /** Release the underlying resource. Called once, from close() or from a disconnect. */
  protected abstract release(): Promise<void>;

  onData(listener: (chunk: Buffer) => void): () => void {
    this.dataListeners.add(listener);
    return () => { this.dataListeners.delete(listener); };
  }

  onClose(listener: (reason: LinkCloseReason) => void): () => void {
    const reason = this.closeReason;
    if (reason) {
      process.nextTick(() => listener(reason));
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => { this.closeListeners.delete(listener); };
  }

  async close(): Promise<void> {
    if (this.finish({ disconnected: false })) await this.release();
  }

  protected emitData(chunk: Buffer): void {
    if (this.closed) return;
    for (const listener of [...this.dataListeners]) listener(chunk);
  }

  /** The device went away: release it and tell the listeners. */
  protected disconnected(error: string): void {
    if (this.finish({ disconnected: true, error })) void this.release().catch(() => undefined);
  }

  /** Records the close reason; false if the link was already closed. */
  private finish(reason: LinkCloseReason): boolean {
    if (this.closeReason) return false;
    this.closeReason = reason;
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    this.dataListeners.clear();
    for (const listener of listeners) listener(reason);
    return true;
  }

  protected assertOpen(): void {
    if (this.closed) throw new Error(`${this.label} is closed`);
  }
}
