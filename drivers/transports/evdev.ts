// Keyboard-wedge (USB HID keyboard) scanners and card readers through Linux evdev:
// /dev/input/by-id/usb-…-event-kbd. The link opens the node, grabs it (EVIOCGRAB, so scans never
// type into the POS window), decodes `struct input_event` records into the text the keys type in
// the configured layout (evdev-keymap.ts), and hands that text to the line reader as UTF-8 bytes:
// Enter is CR, Tab is TAB, exactly as a serial scanner's terminator.
//
// Reading: libuv treats a character device as a file, so a blocking read() would pin one of the
// four threadpool threads per scanner for ever (and starve fs and DNS); net.Socket refuses char
// devices. The node is therefore opened O_NONBLOCK and read until EAGAIN, on a short timer (8 ms;
// the kernel queues a scanner's burst meanwhile; an overflow is SYN_DROPPED, reported as a
// partial read). Unplug: read() fails with ENODEV, and the node (or its by-id link) is watched.
// SYN_DROPPED and a grab that cannot be taken are reported, never silently worked around.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { grabDevice } from '../evdev-grab.ts';
import { InputEventDecoder } from '../evdev-events.ts';
import { KeyboardDecoder, type Layout } from '../evdev-keymap.ts';
import type { Transport } from '../types.ts';
import { LinkBase } from './link-base.ts';
import { identifyNode, watchNode, type NodeIdentity } from './node-watch.ts';

export interface EvdevOptions {
  path: string;
  layout: Layout;
  /** Take the device exclusively (EVIOCGRAB). Without it, scans also type into the focused window. */
  grab: boolean;
  /** Read interval while idle, ms. */
  pollMs?: number;
  /** How often to check that the node is still the one opened; 0 disables. */
  watchMs?: number;
  /** Called with the open fd instead of the EVIOCGRAB addon (tests of the grab's error path). */
  grabber?: (fd: number, on: boolean) => void;
}

/** Sent to the line reader when the kernel dropped events: the line being typed is unreliable. */
export const DROPPED_MARK = '\x18'; // CAN

const CHUNK = 24 * 64;

class EvdevLink extends LinkBase {
  readonly canRead = true;
  private timer: NodeJS.Timeout | undefined;
  private readonly watch: NodeJS.Timeout | undefined;
  private readonly events = new InputEventDecoder();
  private readonly keyboard: KeyboardDecoder;
  private readonly buffer = Buffer.alloc(CHUNK);
  private reading = false;

  constructor(
    readonly label: string,
    private readonly handle: FileHandle,
    private readonly options: EvdevOptions,
    private readonly grabbed: boolean,
    node: NodeIdentity | undefined,
  ) {
    super();
    this.keyboard = new KeyboardDecoder(options.layout);
    this.schedule(0);
    const watchMs = options.watchMs ?? 500;
    if (node && watchMs > 0) this.watch = watchNode(node, watchMs, (reason) => this.disconnected(reason));
  }

  write(): Promise<void> {
    return Promise.reject(new Error(`${this.label} is an input device: it cannot be written to`));
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.drain(), ms);
  }

  /** Reads until the kernel has nothing more (EAGAIN), then waits a poll interval. */
  private async drain(): Promise<void> {
    if (this.reading || this.closed) return;
    this.reading = true;
    try {
      for (;;) {
        const { bytesRead } = await this.handle.read(this.buffer, 0, CHUNK, null);
        if (this.closed) return;
        // 0 bytes: a FIFO without a writer (tests); an evdev node never returns 0.
        if (bytesRead === 0) break;
        const { text, dropped } = this.keyboard.feed(this.events.push(this.buffer.subarray(0, bytesRead)));
        const out = (dropped ? DROPPED_MARK : '') + text;
        if (out) this.emitData(Buffer.from(out, 'utf8'));
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
        this.disconnected(code === 'ENODEV' ? 'device unplugged (ENODEV)' : (error as Error).message);
        return;
      }
    } finally {
      this.reading = false;
    }
    this.schedule(this.options.pollMs ?? 8);
  }

  protected async release(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.watch) clearInterval(this.watch);
    if (this.grabbed) {
      try { (this.options.grabber ?? grabDevice)(this.handle.fd, false); } catch { /* closing releases it anyway */ }
    }
    await this.handle.close().catch(() => undefined);
  }
}

export function evdevTransport(options: EvdevOptions): Transport {
  return async () => {
    // O_NONBLOCK: reads return EAGAIN instead of blocking a libuv thread (and a FIFO opens at once).
    const handle = await open(options.path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const st = await handle.stat();
      if (st.isFile() || st.isDirectory()) throw Object.assign(new Error(`${options.path} is not a device`), { code: 'ENOTTY' });
      if (options.grab) {
        try {
          (options.grabber ?? grabDevice)(handle.fd, true);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          const why = code === 'ENOTTY' || code === 'EINVAL' ? 'not an evdev input device'
            : code === 'EBUSY' ? 'another program has grabbed it' : undefined;
          throw Object.assign(new Error(`cannot grab ${options.path}: ${(error as Error).message}${why ? ` (${why})` : ''}`), { code });
        }
      }
      const node = await identifyNode(options.path);
      return new EvdevLink(`evdev ${options.path}`, handle, options, options.grab, node);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  };
}
