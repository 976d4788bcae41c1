// EVIOCGRAB for keyboard-wedge scanners: Node has no ioctl(), so drivers/native/evdev_grab.c (a
// Node-API addon of one function, built by node-gyp at `npm ci`) issues it. Loaded on first use:
// a till without evdev devices never loads it, and a missing build is a device error, not a crash.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

interface GrabAddon {
  grab(fd: number, on: boolean): void;
}

// From drivers/ (tsx) or build/drivers/ (compiled): the addon is built in the source tree.
const CANDIDATES = ['./native/build/Release/evdev_grab.node', '../../drivers/native/build/Release/evdev_grab.node'];

let loaded: GrabAddon | Error | undefined;

function addon(): GrabAddon {
  if (!loaded) {
    try {
      const require = createRequire(import.meta.url);
      const path = CANDIDATES.map((c) => new URL(c, import.meta.url).pathname).find((p) => existsSync(p)) ?? CANDIDATES[0]!;
      loaded = require(path) as GrabAddon;
    } catch (error) {
      loaded = Object.assign(new Error(`the EVIOCGRAB addon is not built (${(error as Error).message.split('\n')[0]}): ` +
        'run "npm rebuild" or "npx node-gyp rebuild -C drivers/native" (needs make, g++ and python3)'), { code: 'ENOADDON' });
    }
  }
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

/** Whether the addon can be loaded here (for doctor). */
export function grabAvailable(): { ok: true } | { ok: false; reason: string } {
  try {
    addon();
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/**
 * Grab (or release) an open input device exclusively. Throws an Error with `code`: ENOTTY for a
 * node that is not an evdev device (a FIFO, a file), EBUSY when another program holds the grab,
 * ENODEV when it was unplugged, ENOADDON when the addon is missing.
 */
export function grabDevice(fd: number, on: boolean): void {
  addon().grab(fd, on);
}
