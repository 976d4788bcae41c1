// scan-test's lines, one per event: what a technician sees. Payment cards only masked.
import t from 'tap';
import { formatEvent } from '../../../cli/commands/scan-test.ts';

const at = new Date(2026, 10, 24, 9, 5, 7, 42).toISOString(); // local 09:05:07.042

t.test('one readable line per event', async (t) => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['scan', { device: 'scanner0', kind: 'barcode', symbology: 'EAN13', data: '4006381333931', at }, /^09:05:07\.042  scan +scanner0 +barcode EAN13  4006381333931$/],
    ['scan', { device: 'msr0', kind: 'card', data: '6006490000000001', at }, /msr0 +card  6006490000000001$/],
    ['scan', { device: 'msr0', kind: 'payment_card', masked: '411111******1111', at }, /msr0 +payment card 411111\*{6}1111 \(masked; never used for loyalty\)$/],
    ['scan_error', { device: 'msr0', reason: 'incomplete_track', at }, /scan_error +msr0 +unreadable: incomplete_track$/],
    ['scan_error', { device: 'scanner0', reason: 'garbled', at }, /scan_error +scanner0 +unreadable: garbled \(not UTF-8: check baud, parity and data_bits against the reader's settings\)$/],
    ['identified', { device: 'scanner0', customer: { id: 'alice', name: 'Alice', balance: { amount: 1250, currency: 'EUR' } }, stale: false, as_of: at },
      /identified +scanner0 +Alice \(alice\), balance 12\.50 EUR$/],
    ['identified', { device: 'scanner0', customer: { id: 'alice', name: 'Alice', balance: { amount: 0, currency: 'EUR' } }, stale: true, as_of: '2026-11-01T00:00:00Z' },
      /\[offline: as of 2026-11-01T00:00:00Z\]$/],
    ['identified', { device: 'scanner0', error: { code: 'NOT_FOUND', message: 'unknown card' } }, /not identified: NOT_FOUND: unknown card$/],
    ['device', { device: 'scanner0', kind: 'barcode-scanner', state: 'offline', reason: 'ENOENT', at }, /device +scanner0 +barcode-scanner offline: ENOENT$/],
  ];
  for (const [topic, data, expected] of cases) t.match(formatEvent(topic, data), expected, `${topic} ${String(data.kind ?? data.reason ?? '')}`);
});
