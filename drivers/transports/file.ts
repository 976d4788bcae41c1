// A device file such as /dev/usb/lp0 (the kernel usblp driver). Write-only: no status.
// Opened without O_CREAT, so an unplugged printer never turns into a regular file in /dev.
// The path is watched so an unplug is noticed before the next job.
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Transport } from '../types.ts';
import { LinkBase } from './link-base.ts';

export interface FileOptions {
  path: string;
  /** How often to check that the device node still exists; 0 disables. */
  watchMs?: number;
}

class FileLink extends LinkBase {
  readonly canRead = false;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(readonly label: string, private readonly handle: FileHandle, path: string, watchMs: number) {
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
    try {
      let offset = 0;
      while (offset < data.length) {
        const { bytesWritten } = await this.handle.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
    } catch (error) {
      this.disconnected((error as Error).message);
      throw error;
    }
  }

  protected async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.handle.close().catch(() => undefined);
  }
}

export function fileTransport(options: FileOptions): Transport {
  return async () => {
    const handle = await open(options.path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOCTTY);
    return new FileLink(`file ${options.path}`, handle, options.path, options.watchMs ?? 1000);
  };
}
