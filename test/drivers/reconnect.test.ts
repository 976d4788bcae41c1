import t from 'tap';
import { DriverEvents } from '../../drivers/emitter.ts';
import { DeviceRunner, backoffDelay, nextState, type RunnerInput } from '../../drivers/reconnect.ts';
import { virtualDevice } from '../../drivers/transports/virtual.ts';
import type { DeviceEvent, DeviceState, Transport } from '../../drivers/types.ts';
import { silentDriverLogger } from '../../drivers/types.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('transition table', async (t) => {
  const table: Array<[DeviceState, RunnerInput, DeviceState]> = [
    ['stopped', 'start', 'connecting'],
    ['connecting', 'opened', 'ready'],
    ['connecting', 'failed', 'offline'],
    ['ready', 'lost', 'offline'],
    ['offline', 'opened', 'ready'],
    ['offline', 'failed', 'offline'], // silent retries
    ['ready', 'start', 'ready'],
    ['ready', 'failed', 'ready'],
    ['connecting', 'lost', 'connecting'],
    ['ready', 'stop', 'stopped'],
    ['offline', 'stop', 'stopped'],
    ['stopped', 'opened', 'stopped'],
  ];
  for (const [from, input, to] of table) t.equal(nextState(from, input), to, `${from} --${input}--> ${to}`);
});

t.test('backoff doubles from 250 ms and stops at 10 s', async (t) => {
  t.same([0, 1, 2, 3, 4, 5, 6, 7, 100].map((n) => backoffDelay(n)), [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  t.equal(backoffDelay(3, { initialMs: 10, maxMs: 50, factor: 3 }), 50);
});

function runner(transport: Transport, extra: Partial<ConstructorParameters<typeof DeviceRunner>[0]> = {}) {
  const events = new DriverEvents();
  const seen: DeviceEvent[] = [];
  events.on('device', (e) => seen.push(e));
  const r = new DeviceRunner({
    name: 'dev1', kind: 'barcode-scanner', transport, emit: events.emit, log: silentDriverLogger,
    backoff: { initialMs: 10, maxMs: 40 }, ...extra,
  });
  return { r, seen, states: () => seen.map((e) => e.state) };
}

t.test('unplug → offline with a reason → silent retries → replug → ready', async (t) => {
  const dev = virtualDevice({ name: 'dev1' });
  let opens = 0;
  const { r, seen, states } = runner(async () => { opens++; return dev.transport(); });
  t.teardown(() => r.stop());
  r.start();
  await waitFor(() => r.state() === 'ready');
  dev.setPresent(false);
  await waitFor(() => r.state() === 'offline');
  const opensWhileOffline = opens;
  await waitFor(() => opens >= opensWhileOffline + 3, { what: 'retries' });
  t.same(states(), ['connecting', 'ready', 'offline'], 'failed retries emit nothing');
  t.equal(seen[2]?.reason, 'virtual device unplugged');
  t.equal(r.reason(), 'virtual device dev1 is unplugged', 'the latest failure is kept');
  dev.setPresent(true);
  await waitFor(() => r.state() === 'ready');
  t.same(states(), ['connecting', 'ready', 'offline', 'ready']);
  await r.stop();
  t.same(states(), ['connecting', 'ready', 'offline', 'ready', 'stopped']);
  t.match(seen[0], { device: 'dev1', kind: 'barcode-scanner', state: 'connecting', at: /^\d{4}-/ });
});

t.test('a device missing at start goes offline, then ready when it appears', async (t) => {
  const dev = virtualDevice({ name: 'dev1' });
  dev.setPresent(false);
  const { r, seen, states } = runner(dev.transport);
  t.teardown(() => r.stop());
  r.start();
  await waitFor(() => r.state() === 'offline');
  t.equal(seen[1]?.reason, 'virtual device dev1 is unplugged');
  dev.setPresent(true);
  await waitFor(() => r.state() === 'ready');
  t.same(states(), ['connecting', 'offline', 'ready']);
});

t.test('a transport that never opens times out and is retried; a late link is closed', async (t) => {
  const late: Array<{ closed: boolean }> = [];
  let calls = 0;
  const dev = virtualDevice({ name: 'dev1' });
  const transport: Transport = () => {
    calls++;
    if (calls === 1) {
      // opens long after the runner gave up
      return new Promise((resolve) => setTimeout(() => dev.transport().then((l) => { late.push(l); resolve(l); }), 80));
    }
    return dev.transport();
  };
  const { r, states } = runner(transport, { connectTimeoutMs: 20 });
  t.teardown(() => r.stop());
  r.start();
  await waitFor(() => r.state() === 'ready');
  t.same(states(), ['connecting', 'offline', 'ready']);
  await waitFor(() => late.length === 1 && late[0]?.closed, { what: 'late link closed' });
});

t.test('a transport that throws never escapes', async (t) => {
  const { r } = runner(() => { throw new Error('boom'); });
  t.teardown(() => r.stop());
  r.start();
  await waitFor(() => r.state() === 'offline');
  t.equal(r.reason(), 'boom');
});

t.test('stop during a retry wait and start again', async (t) => {
  const dev = virtualDevice({ name: 'dev1' });
  dev.setPresent(false);
  const { r, states } = runner(dev.transport, { backoff: { initialMs: 5000 } });
  r.start();
  await waitFor(() => r.state() === 'offline');
  await r.stop();
  dev.setPresent(true);
  r.start();
  await waitFor(() => r.state() === 'ready');
  await r.stop();
  t.same(states(), ['connecting', 'offline', 'stopped', 'connecting', 'ready', 'stopped']);
});

t.test('stop() during the first status probe (onLink) closes the link and keeps the device stopped', async (t) => {
  const dev = virtualDevice({ name: 'dev1' });
  const links: Array<{ closed: boolean }> = [];
  let probed!: () => void;
  const probing = new Promise<void>((resolve) => { probed = resolve; });
  let inProbe = false;
  const { r, states } = runner(async () => { const link = await dev.transport(); links.push(link); return link; }, {
    onLink: async () => { inProbe = true; await probing; },
  });
  t.teardown(() => r.stop());
  r.start();
  await waitFor(() => inProbe, { what: 'the status probe' });
  await r.stop();
  probed();
  await waitFor(() => links[0]?.closed === true, { what: 'the probed link closed' });
  t.equal(r.state(), 'stopped');
  t.equal(r.currentLink(), undefined);
  t.same(states(), ['connecting', 'stopped'], 'never ready after the stop');
  t.equal(links.length, 1, 'no reconnect after the stop');
});
