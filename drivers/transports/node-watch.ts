// Unplug detection by the device node itself, shared by the serial and evdev links: the node
// behind a stable name (/dev/serial/by-id/…, /dev/input/by-id/…) as it was when opened; when it
// is gone or replaced by another device (a replug gets a new inode), the link is disconnected.
import { realpath, stat } from 'node:fs/promises';

export interface NodeIdentity { path: string; ino: number; rdev: number }

/** The node a path resolves to now, or undefined when it cannot be resolved. */
export function identifyNode(path: string): Promise<NodeIdentity | undefined> {
  return realpath(path)
    .then(async (real) => { const st = await stat(real); return { path: real, ino: st.ino, rdev: st.rdev }; })
    .catch(() => undefined);
}

/** Checks every `ms`; calls `gone` with a reason when the node vanished or changed. Unref'd. */
export function watchNode(node: NodeIdentity, ms: number, gone: (reason: string) => void): NodeJS.Timeout {
  const timer = setInterval(() => {
    stat(node.path).then(
      (now) => { if (now.ino !== node.ino || now.rdev !== node.rdev) gone('device node replaced'); },
      () => gone('device node gone'),
    );
  }, ms);
  timer.unref();
  return timer;
}
