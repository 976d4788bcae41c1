// Plays an ESC/POS printer on the far end of a byte stream: records everything it receives and
// answers DLE EOT n with the status byte the test chose (or stays silent).
import { statusBytesFor } from '../../drivers/escpos-status.ts';

export type PeerCondition = 'ok' | 'paper_out' | 'paper_near_end' | 'cover_open' | 'offline' | 'silent';

export class PrinterPeer {
  condition: PeerCondition = 'ok';
  private readonly chunks: Buffer[] = [];
  private tail = Buffer.alloc(0);

  constructor(private readonly reply: (bytes: Buffer) => void) {}

  /** Feed bytes received from the driver. */
  feed(chunk: Buffer): void {
    this.chunks.push(chunk);
    const data = Buffer.concat([this.tail, chunk]);
    this.tail = Buffer.alloc(0);
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== 0x10) continue;
      if (i + 2 >= data.length) { this.tail = data.subarray(i); break; } // request split over chunks
      if (data[i + 1] !== 0x04) continue;
      const n = data[i + 2] as 1 | 2 | 3 | 4;
      if (this.condition !== 'silent') this.reply(Buffer.from([statusBytesFor(this.condition)[n] ?? 0x12]));
      i += 2;
    }
  }

  /** Everything received (status requests included; the interpreter skips them). */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Received bytes without the DLE EOT n requests: the jobs themselves. */
  jobBytes(): Buffer {
    const all = this.bytes();
    const out: number[] = [];
    for (let i = 0; i < all.length; i++) {
      if (all[i] === 0x10 && all[i + 1] === 0x04) { i += 2; continue; }
      out.push(all[i] as number);
    }
    return Buffer.from(out);
  }

  reset(): void {
    this.chunks.length = 0;
    this.tail = Buffer.alloc(0);
  }
}
