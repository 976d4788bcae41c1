// A small tmpfs mounted on a test's own temp dir, to run out of disk for real. Needs root
// (the suite runs as root in CI: .ci/run); unmounted at teardown.
import { execFile } from 'node:child_process';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function mountTmpfs(t: { teardown(fn: () => unknown): void }, dir: string, size: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  // lazy: a process killed a moment ago may still hold a file open on it.
  t.teardown(() => run('umount', ['-l', dir]).catch(() => undefined));
  return dir;
}

/** Fills the filesystem of `dir` to the last byte with a file named `fill`; returns its path. */
export async function fillDisk(dir: string): Promise<string> {
  const file = join(dir, 'fill');
  const handle = await open(file, 'a');
  try {
    for (const size of [1 << 20, 64 << 10, 4 << 10, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x55);
      for (;;) {
        try {
          await handle.write(chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
  return file;
}

/** Gives the space back. */
export async function freeDisk(fill: string): Promise<void> {
  await rm(fill, { force: true });
}
