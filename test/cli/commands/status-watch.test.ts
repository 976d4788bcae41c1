// The arithmetic and wording of `status --watch`, without an agent.
import t from 'tap';
import type { StatusResult } from '../../../protocol/local.ts';
import { DrainMeter, drainOf, duration, watchLine, watchScreen } from '../../../cli/commands/status-watch.ts';

const status = (pending: number, connected = true): StatusResult => ({
  version: '1.2.3', terminal: 'T1',
  uplink: { connected, since: '2026-11-30T08:00:00.000Z', state: connected ? 'online' : 'offline', last_error: connected ? null : 'ECONNREFUSED' },
  outbox: { pending, oldest_age_s: pending ? 125 : null, dead: 1, unreadable: 0 },
  storage: { state: 'ok', since: null, free_bytes: 1e9, last_error: null, exclusive: true },
  devices: [{ name: 'printer0', state: 'ready' }],
});

t.test('the rate is what was delivered over the last 10 s', async (t) => {
  const meter = new DrainMeter(0);
  t.equal(meter.rate(0), 0);
  meter.add(50, 1000);
  meter.add(50, 2000);
  t.equal(meter.rate(2000), 50, '100 in the first 2 s');
  meter.add(100, 11_000);
  t.equal(meter.rate(11_500), 15, 'the first is out of the 10 s window');
  t.equal(meter.rate(12_500), 10, 'and then the second');
  t.equal(meter.rate(30_000), 0, 'nothing delivered lately');
});

t.test('drain state and ETA', async (t) => {
  t.same(drainOf(status(0), 40), { pending: 0, rate: 40, eta: null, state: 'empty' });
  t.same(drainOf(status(1000, false), 0), { pending: 1000, rate: 0, eta: null, state: 'stalled' });
  t.same(drainOf(status(1000), 250), { pending: 1000, rate: 250, eta: 4, state: 'draining' });
  t.equal(duration(4), '4 s');
  t.equal(duration(125), '2 min 5 s');
  t.equal(duration(3 * 3600 + 120), '3 h 2 min');
  t.equal(duration(2 * 86_400 + 3600), '2 d 1 h');
});

t.test('what a technician reads', async (t) => {
  const at = Date.parse('2026-11-30T08:15:00.000Z');
  t.equal(watchLine(status(1000), drainOf(status(1000), 250), at),
    '08:15:00  uplink online  outbox 1000 pending (oldest 2 min 5 s), 1 dead  drain 250 msg/s, ETA 4 s\n');
  t.match(watchLine(status(1000, false), drainOf(status(1000, false), 0), at), /drain stalled: uplink offline\n$/);
  t.match(watchLine(status(5), drainOf(status(5), 0), at), /drain stalled: waiting for the host\n$/);
  const screen = watchScreen(status(1000), drainOf(status(1000), 2.5), at, 1);
  t.match(screen, /^till-agent 1\.2\.3, terminal T1 .*every 1 s/);
  t.match(screen, /\noutbox   1000 pending, oldest 2 min 5 s, 1 dead\n/);
  t.match(screen, /\ndrain    2\.5 msg\/s, ETA 6 min 40 s\n/);
  t.match(screen, /\ndevices  printer0: ready\n/);
});
