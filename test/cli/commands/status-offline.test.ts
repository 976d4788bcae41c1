// `till-agent status`: the offline exposure line (status.offline) and the unreadable answers (status.outbox.unreadable).
import t from 'tap';
import type { StatusResult } from '../../../protocol/local.ts';
import { formatStatus } from '../../../cli/commands/status.ts';

const limits = { spend_floor_limit: 500, total_spend_limit: 1000, total_spend_count: 3, max_age_s: 86_400 };
const status = (offline: StatusResult['offline']): StatusResult => ({
  version: '1.2.3', terminal: 'T1',
  uplink: { connected: false, since: '2026-11-30T08:00:00.000Z', state: 'offline', last_error: null },
  outbox: { pending: 2, oldest_age_s: 60, dead: 0, unreadable: 0 },
  storage: { state: 'ok', since: null, free_bytes: null, last_error: null, exclusive: false },
  devices: [],
  ...(offline ? { offline } : {}),
});

t.test('the offline line', async (t) => {
  t.match(formatStatus(status({ count: 0, amounts: [], since: null, link_confirmed_at: null, offline_age_s: 0, limits })),
    /\noffline  no spends awaiting the host\n$/);
  t.match(formatStatus(status({ count: 2, amounts: [{ amount: 700, currency: 'EUR' }], since: '2026-11-30T08:01:00.000Z', link_confirmed_at: null, offline_age_s: 125, limits })),
    /\noffline  2 of 3 spends awaiting the host: 7\.00 EUR of 10\.00 EUR \(since 2026-11-30T08:01:00\.000Z\); no link for 2 min 5 s of 1 d( 0 h)?\n$/);
  t.match(formatStatus(status({ count: 3, amounts: [{ amount: 900, currency: 'EUR' }], since: 'x', link_confirmed_at: null, offline_age_s: 10, limits })),
    /→ offline spend is declined until the link is back\n$/, 'at the count limit');
  t.match(formatStatus(status({ count: 2, amounts: [{ amount: 500, currency: 'JPY' }, { amount: 345, currency: 'KWD' }], since: 'x', link_confirmed_at: null, offline_age_s: 0, limits })),
    /awaiting the host: 500 JPY of 1000 JPY, 0\.345 KWD of 1\.000 KWD \(since x\)\n$/, 'each currency in its own decimals, against the limit in that currency');
  t.match(formatStatus(status({ count: 1, amounts: [{ amount: 1000, currency: 'EUR' }], since: 'x', link_confirmed_at: null, offline_age_s: 0, limits })),
    /1 of 3 spends awaiting the host: 10\.00 EUR of 10\.00 EUR \(since x\) {2}→ offline spend is declined until the link is back\n$/, 'at the amount limit');
  t.notMatch(formatStatus(status(undefined)), /offline  /, 'an older agent without status.offline');
});

t.test('answers the till could not read get a line of their own, only when there are any', async (t) => {
  t.notMatch(formatStatus(status(undefined)), /unreadable/);
  const s = status(undefined);
  t.match(formatStatus({ ...s, outbox: { ...s.outbox, unreadable: 2 } }),
    /\noutbox   2 pending \(oldest 60 s\), 0 dead\n {9}2 host answer\(s\) unreadable \(applied, not resent\) {2}→ till-agent outbox list --state done\n/);
});

t.test('devices: an offline one says why, escaped as every field is', async (t) => {
  const s = status(undefined);
  t.match(formatStatus(s), /\ndevices  none configured\n/);
  const devices = [
    { name: 'scanner0', kind: 'barcode-scanner', transport: 'serial', target: '/dev/till/scanner0', state: 'ready' },
    { name: 'printer0', kind: 'printer', transport: 'serial', target: '/dev/ttyUSB0', state: 'offline', reason: 'EACCES: Permission denied, cannot open /dev/ttyUSB0' },
    { name: 'printer1', kind: 'printer', transport: 'tcp', target: '10.0.0.5:9100', state: 'offline', reason: 'printer not responding\u001b[2J' },
    { name: 'scale0', kind: 'scale', transport: 'serial', target: '/dev/ttyS0', state: 'connecting' },
  ];
  t.match(formatStatus({ ...s, devices } as StatusResult),
    /\ndevices  scanner0: ready, printer0: offline \(EACCES: Permission denied, cannot open \/dev\/ttyUSB0\), printer1: offline \(printer not responding\\u001b\[2J\), scale0: connecting\n/);
});
