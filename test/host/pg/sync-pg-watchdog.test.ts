// SyncPg blocks the host's event loop while PostgreSQL answers (up to a minute: a row lock held by
// another host, a failover). systemd's watchdog (WatchdogSec=30 in till-agent-host.service) must
// still get its WATCHDOG=1 pings meanwhile: they came from a timer on the blocked loop, so a wait
// past the watchdog's period got the host SIGABRTed mid-transaction. Here the pings are due every
// 200 ms and a statement sleeps 2 s at the server: the pings go on from inside the wait.
import t from 'tap';
import { SyncPg } from '../../../host/pg/sync-pg.ts';
import { silentLogger } from '../../../runtime/log.ts';
import { createNotifier } from '../../../runtime/sd-notify.ts';
import { notifySocket } from '../../helpers/notify-socket.ts';
import { TEST_PG_URL, pgTestSchema } from '../../helpers/pg.ts';
import { waitFor } from '../../helpers/wait.ts';

t.test('WATCHDOG=1 pings go on while a statement blocks the event loop', async (t) => {
  const { path, messages } = await notifySocket(t);
  const conn = new SyncPg({ url: TEST_PG_URL, schema: pgTestSchema(t) });
  conn.connect();
  t.teardown(() => conn.close());
  const notifier = createNotifier({ NOTIFY_SOCKET: path, WATCHDOG_USEC: '400000' }, silentLogger());
  t.teardown(() => notifier.close());
  notifier.startWatchdog();
  await waitFor(() => messages.length === 1, { what: 'the first ping' });

  const started = performance.now();
  conn.query('SELECT pg_sleep(2)');
  const blocked = performance.now() - started;
  t.ok(blocked >= 1900, `the statement held the event loop (${Math.round(blocked)} ms)`);
  // Closed before the loop runs again, so that the timer's own pings after the wait are not counted;
  // the datagrams sent during the wait are read from the socket once it runs.
  notifier.close();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const pings = messages.filter((m) => m === 'WATCHDOG=1').length;
  // 2 s at one ping per 200 ms, in 250 ms slices: ~8; without them only the first.
  t.ok(pings >= 6, `${pings} pings, at least 6 (the first and ~8 during the 2 s wait)`);
  t.ok(conn.connected, 'the connection stays');

  conn.query('SELECT pg_sleep(0.6)');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(messages.filter((m) => m === 'WATCHDOG=1').length, pings, 'no ping once the notifier is closed');
});
