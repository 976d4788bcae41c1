// Plays an ESC/POS printer on the far end of a byte stream: records everything it receives,
// answers DLE EOT n at once with the status the test chose (or stays silent), and answers
// GS r 1 in order — only while it can print, as a real printer holds it until paper is back.
import { statusBytesFor } from '../../drivers/escpos-status.ts';

export type PeerCondition = 'ok' | 'paper_out' | 'paper_near_end' | 'cover_open' | 'offline' | 'silent';

export class PrinterPeer {
  private current: PeerCondition = 'ok';
  /** Answer GS r (false: a clone that does not know it, or a job that never finishes printing). */
  confirms = true;
  /** Drawer kick-out connector pin 3 HIGH (the drawer is open for most drawers). */
  drawerOpen = false;
  private owed = 0;
  private readonly chunks: Buffer[] = [];
  private tail = Buffer.alloc(0);

  constructor(private readonly reply: (bytes: Buffer) => void) {}

  get condition(): PeerCondition {
    return this.current;
  }

  /** Paper back in, cover shut: held GS r answers go out, as the printer finishes the job. */
  set condition(value: PeerCondition) {
    this.current = value;
    this.flush();
  }

  private canPrint(): boolean {
    return this.current === 'ok' || this.current === 'paper_near_end';
  }

  private flush(): void {
    while (this.owed > 0 && this.canPrint() && this.confirms) {
      this.owed--;
      this.reply(Buffer.from([this.current === 'paper_near_end' ? 0x03 : 0x00]));
    }
  }

  /** Feed bytes received from the driver. */
  feed(chunk: Buffer): void {
    this.chunks.push(chunk);
    const data = Buffer.concat([this.tail, chunk]);
    this.tail = Buffer.alloc(0);
    for (let i = 0; i < data.length; i++) {
      const b = data[i];
      if (b !== 0x10 && b !== 0x1d) continue;
      if (i + 2 >= data.length) { this.tail = data.subarray(i); break; } // request split over chunks
      if (b === 0x10 && data[i + 1] === 0x04) {
        const n = data[i + 2] as 1 | 2 | 3 | 4;
        let status = statusBytesFor(this.current === 'silent' ? 'ok' : this.current)[n] ?? 0x12;
        if (n === 1 && this.drawerOpen) status |= 0x04;
        if (this.current !== 'silent') this.reply(Buffer.from([status]));
        i += 2;
      } else if (b === 0x1d && data[i + 1] === 0x72) {
        this.owed++;
        this.flush();
        i += 2;
      }
    }
  }

  /** Everything received (status requests included; the interpreter skips them). */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Received bytes without the DLE EOT n and GS r n requests: the jobs themselves. */
  jobBytes(): Buffer {
    const all = this.bytes();
    const out: number[] = [];
    for (let i = 0; i < all.length; i++) {
      if ((all[i] === 0x10 && all[i + 1] === 0x04) || (all[i] === 0x1d && all[i + 1] === 0x72)) { i += 2; continue; }
      out.push(all[i] as number);
    }
    return Buffer.from(out);
  }

  reset(): void {
    this.chunks.length = 0;
    this.tail = Buffer.alloc(0);
  }
}
