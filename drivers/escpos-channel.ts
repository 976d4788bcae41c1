// One open link to an ESC/POS printer, seen as requests and answers: DLE EOT status queries,
// GS r 1 "processed" answers that confirm a job, and the job bytes themselves. All answers come
// back on one byte stream; ReplyParser tells them apart, so a status poll may run while a job's
// confirmation is awaited. The printer driver serializes requests of the same kind.
import { processedRequest, statusRequest } from './escpos-encoder.ts';
import { decodeStatus, ReplyParser, statusProblem, type Reply, type StatusBytes } from './escpos-status.ts';
import { describeError } from './errors.ts';
import type { ByteLink, PrinterStatus, UncertainReason } from './types.ts';

/** The link went away (or a write failed or hung). */
export class LinkLost extends Error {}
/** The printer did not answer in time. */
export class NoReply extends Error {}

interface Waiter {
  resolve(byte: number): void;
  reject(error: Error): void;
}

export class PrinterChannel {
  private readonly parser = new ReplyParser();
  private status: Waiter | undefined;
  private processed: Waiter | undefined;
  private lost: LinkLost | undefined;

  constructor(readonly link: ByteLink, private readonly onStray: (reply: Reply) => void = () => undefined) {
    link.onData((chunk) => { for (const reply of this.parser.feed(chunk)) this.dispatch(reply); });
    link.onClose(() => {
      this.lost = new LinkLost('link closed while waiting for the printer');
      for (const w of [this.status, this.processed]) w?.reject(this.lost);
      this.status = this.processed = undefined;
    });
  }

  private dispatch(reply: Reply): void {
    const waiter = reply.type === 'status' ? this.status : reply.type === 'processed' ? this.processed : undefined;
    if (!waiter) return this.onStray(reply);
    if (reply.type === 'status') this.status = undefined; else this.processed = undefined;
    waiter.resolve((reply as { byte: number }).byte);
  }

  private wait(kind: 'status' | 'processed', timeoutMs: number, what: string): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.lost) return reject(this.lost);
      const timer = setTimeout(() => {
        if (this[kind] === waiter) this[kind] = undefined;
        reject(new NoReply(what));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: (b) => { clearTimeout(timer); resolve(b); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this[kind] = waiter;
    });
  }

  /** Hands bytes to the link; a failure or a hang is LinkLost (the bytes may be partly out). */
  async write(bytes: Uint8Array, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.link.write(bytes).catch((error: unknown) => { throw new LinkLost(describeError(error)); }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new LinkLost(`write timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** DLE EOT n and the next status answer. */
  async query(n: 1 | 2 | 3 | 4, timeoutMs: number): Promise<number> {
    const answer = this.wait('status', timeoutMs, `no answer to DLE EOT ${n}`);
    answer.catch(() => undefined);
    await this.write(statusRequest(n), timeoutMs);
    return answer;
  }

  async readStatus(timeoutMs: number): Promise<{ status: PrinterStatus; bytes: StatusBytes }> {
    const bytes: StatusBytes = {};
    for (const n of [1, 2, 4] as const) bytes[n] = await this.query(n, timeoutMs);
    if (((bytes[2] ?? 0) & 0x40) !== 0) bytes[3] = await this.query(3, timeoutMs);
    return { status: decodeStatus(bytes), bytes };
  }

  /** The next GS r answer: rejects with NoReply after timeoutMs, LinkLost when the link closes. */
  nextProcessed(timeoutMs: number): Promise<number> {
    return this.wait('processed', timeoutMs, `no GS r answer within ${timeoutMs} ms`);
  }

  /**
   * After a job that was never confirmed the printer may still owe its answer (it prints the
   * rest once paper is loaded). GS r is answered in order, so: ask once more and swallow every
   * answer until the line is quiet; the last one is ours, and nothing stale is left to confirm
   * the next job by mistake.
   */
  async resync(timeoutMs: number, quietMs: number): Promise<void> {
    const first = this.nextProcessed(timeoutMs);
    first.catch(() => undefined);
    await this.write(processedRequest(), timeoutMs);
    await first;
    for (;;) {
      try {
        await this.nextProcessed(quietMs);
      } catch (error) {
        if (error instanceof NoReply) return;
        throw error;
      }
    }
  }
}

export type Confirmation = { reply: number } | { uncertain: UncertainReason; status?: PrinterStatus; error?: unknown };

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits for a job's GS r answer (`confirmed`, listened to before the job was written), polling
 * DLE EOT every pollMs meanwhile: a printer that stops (paper out, cover open) or goes silent
 * makes the job uncertain at once instead of after the whole confirmation timeout. `error` is
 * set when the link is unusable (the caller drops it).
 */
export async function awaitConfirmation(
  confirmed: Promise<{ reply: number } | { error: unknown }>,
  poll: () => Promise<PrinterStatus>,
  pollMs: number,
): Promise<Confirmation> {
  const settledNow = async () => {
    const done = await Promise.race([confirmed, Promise.resolve(undefined)]);
    return done && 'reply' in done ? done : undefined;
  };
  for (;;) {
    const first = await Promise.race([confirmed, delay(pollMs).then(() => undefined)]);
    if (first && 'reply' in first) return first;
    if (first) {
      return first.error instanceof NoReply ? { uncertain: 'not_confirmed' } : { uncertain: 'link_lost', error: first.error };
    }
    let status: PrinterStatus;
    try {
      status = await poll();
    } catch (error) {
      return (await settledNow()) ?? { uncertain: error instanceof LinkLost ? 'link_lost' : 'not_responding', error };
    }
    const problem = statusProblem(status);
    if (problem) return (await settledNow()) ?? { uncertain: problem, status };
  }
}
