// A NOTIFY_SOCKET as systemd opens one, for real agent and host processes to notify.
import type { Test } from 'tap';
import { join } from 'node:path';
import { createSocket } from 'unix-dgram';
import { tempDir } from './tmp.ts';

/** Every datagram received, in order. */
export async function notifySocket(t: Test): Promise<{ path: string; messages: string[] }> {
  const dir = await tempDir(t, 'till-notify-');
  const path = join(dir, 'notify.sock');
  const messages: string[] = [];
  const socket = createSocket('unix_dgram', (msg) => messages.push(msg.toString()));
  socket.bind(path);
  t.teardown(() => socket.close());
  return { path, messages };
}
