// systemd notifications from real agent and host processes to a Unix datagram socket opened here,
// as systemd would: READY=1, periodic WATCHDOG=1 from the event loop, STOPPING=1.
import t from 'tap';
import { startSystem } from '../helpers/system.ts';
import { startProcess } from '../helpers/processes.ts';
import { notifySocket } from '../helpers/notify-socket.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('agent: READY, WATCHDOG pings and STOPPING reach NOTIFY_SOCKET', async (t) => {
  const { path, messages } = await notifySocket(t);
  const sys = await startSystem(t, { startHost: false, agentEnv: { NOTIFY_SOCKET: path, WATCHDOG_USEC: '200000' } });
  await waitFor(() => messages.some((m) => m.startsWith('READY=1')), { what: 'READY=1' });
  await waitFor(() => messages.filter((m) => m === 'WATCHDOG=1').length >= 3, { what: 'three watchdog pings' });
  sys.agent.child.kill('SIGTERM');
  t.equal((await sys.agent.exited).code, 0);
  t.ok(messages.includes('STOPPING=1'), 'STOPPING=1 sent on shutdown');
});

// till-agent-host.service is Type=notify with WatchdogSec=30: without these the start would time
// out and a hung host would never be restarted.
t.test('host: READY once started, STATUS once consuming, WATCHDOG pings, STOPPING', async (t) => {
  const { path, messages } = await notifySocket(t);
  const sys = await startSystem(t, { startAgent: false, hostEnv: { NOTIFY_SOCKET: path, WATCHDOG_USEC: '200000' } });
  await waitFor(() => messages.includes('STATUS=consuming till requests'), { what: 'STATUS consuming' });
  const ready = messages.findIndex((m) => m.startsWith('READY=1'));
  t.ok(ready >= 0, 'READY=1 sent');
  t.ok(ready < messages.indexOf('STATUS=consuming till requests'), 'READY=1 first');
  await waitFor(() => messages.filter((m) => m === 'WATCHDOG=1').length >= 3, { what: 'three watchdog pings' });
  sys.host!.child.kill('SIGTERM');
  t.equal((await sys.host!.exited).code, 0);
  t.ok(messages.includes('STOPPING=1'), 'STOPPING=1 sent on shutdown');
});

t.test('host: a broker down at boot does not hold READY back; STATUS follows the broker', async (t) => {
  const { path, messages } = await notifySocket(t);
  const sys = await startSystem(t, { startAgent: false, startHost: false });
  await sys.broker.kill();
  const host = startProcess(t, ['host', '--config', sys.hostConfig], { NOTIFY_SOCKET: path, WATCHDOG_USEC: '200000' });
  await waitFor(() => messages.includes('READY=1\nSTATUS=waiting for the broker'), { what: 'READY=1 waiting for the broker' });
  await waitFor(() => messages.filter((m) => m === 'WATCHDOG=1').length >= 2, { what: 'watchdog pings while the broker is down' });
  t.notOk(messages.includes('STATUS=consuming till requests'), 'not consuming without a broker');
  await sys.broker.restart();
  await waitFor(() => messages.includes('STATUS=consuming till requests'), { what: 'STATUS consuming once the broker is back', timeout: 15_000 });
  host.child.kill('SIGTERM');
  t.equal((await host.exited).code, 0);
});

t.test('without NOTIFY_SOCKET nothing is sent and nothing breaks', async (t) => {
  const { createNotifier } = await import('../../runtime/sd-notify.ts');
  const { silentLogger } = await import('../../runtime/log.ts');
  const n = createNotifier({}, silentLogger());
  t.equal(n.enabled, false);
  n.ready();
  n.startWatchdog();
  n.stopping();
  n.close();
});
