// A device file such as /dev/usb/lp0 (the kernel usblp driver). Write-only: no status.
// Opened without O_CREAT, so an unplugged printer never turns into a regular file in /dev.
// The path is watched so an unplug is noticed before the next job.
//
// Opened O_NONBLOCK, as evdev.ts is: libuv writes a file on its threadpool, and a write the
// device does not take (usblp while the printer is stalled: paper out, powered off; a pipe
// nobody reads) would block one of its four threads until the device moves. No timeout can
// cancel it, and the link's close waits for it: a few such writes stalled every fs call and
// fsync of the agent (money answers included) and kept the process from exiting. Non-blocking,
// such a write returns EAGAIN and is tried again every few ms until it goes through or the link
// is closed (the printer's write timeout does that); a FIFO without a reader fails to open
// (ENXIO) instead of blocking there.
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Transport } from '../types.ts';
import { LinkBase } from './link-base.ts';

export interface FileOptions {
  path: string;
  /** How often to check that the device node still exists; 0 disables. */
  watchMs?: number;
  /** How long to wait before writing again when the device takes nothing (EAGAIN). */
  retryMs?: number;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class FileLink extends LinkBase {
  readonly canRead = false;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(readonly label: string, private readonly handle: FileHandle, path: string, watchMs: number, private readonly retryMs: number) {
    super();
    if (watchMs > 0) {
      this.timer = setInterval(() => {
        stat(path).catch((error: Error) => this.disconnected(error.message));
      }, watchMs);
      this.timer.unref();
    }
  }

  async write(data: Uint8Array): Promise<void> {
    this.assertOpen();
    let offset = 0;
    while (offset < data.length) {
      let written: number;
      try {
        written = (await this.handle.write(data, offset, data.length - offset)).bytesWritten;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
          this.disconnected((error as Error).message);
          throw error;
        }
        written = 0;
      }
      offset += written;
      if (offset < data.length && written === 0) {
        await delay(this.retryMs);
        this.assertOpen(); // closed meanwhile (write timeout, unplug, stop): the rest is not sent
      }
    }
  }

  protected async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.handle.close().catch(() => undefined);
  }
}

export function fileTransport(options: FileOptions): Transport {
  return async () => {
    const handle = await open(options.path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOCTTY | constants.O_NONBLOCK);
    return new FileLink(`file ${options.path}`, handle, options.path, options.watchMs ?? 1000, options.retryMs ?? 10);
  };
}
