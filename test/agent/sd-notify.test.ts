// systemd notifications from a real agent process to a Unix datagram socket opened here,
// as systemd would: READY=1, periodic WATCHDOG=1 from the event loop, STOPPING=1.
import t from 'tap';
import { join } from 'node:path';
import { createSocket } from 'unix-dgram';
import { startSystem } from '../helpers/system.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('READY, WATCHDOG pings and STOPPING reach NOTIFY_SOCKET', async (t) => {
  const dir = await tempDir(t, 'till-notify-');
  const path = join(dir, 'notify.sock');
  const messages: string[] = [];
  const socket = createSocket('unix_dgram', (msg) => messages.push(msg.toString()));
  socket.bind(path);
  t.teardown(() => socket.close());

  const sys = await startSystem(t, { startHost: false, agentEnv: { NOTIFY_SOCKET: path, WATCHDOG_USEC: '200000' } });
  await waitFor(() => messages.some((m) => m.startsWith('READY=1')), { what: 'READY=1' });
  await waitFor(() => messages.filter((m) => m === 'WATCHDOG=1').length >= 3, { what: 'three watchdog pings' });
  t.ok(messages.findIndex((m) => m.startsWith('READY=1')) >= 0);
  sys.agent.child.kill('SIGTERM');
  t.equal((await sys.agent.exited).code, 0);
  t.ok(messages.includes('STOPPING=1'), 'STOPPING=1 sent on shutdown');
});

t.test('without NOTIFY_SOCKET nothing is sent and nothing breaks', async (t) => {
  const { createNotifier } = await import('../../agent/sd-notify.ts');
  const { silentLogger } = await import('../../runtime/log.ts');
  const n = createNotifier({}, silentLogger());
  t.equal(n.enabled, false);
  n.ready();
  n.startWatchdog();
  n.stopping();
  n.close();
});
