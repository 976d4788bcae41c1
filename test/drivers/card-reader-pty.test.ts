// A magnetic-stripe reader on a real pty pair. Payment-card track data must never come out:
// not in events, not in the (most verbose) log.
import t from 'tap';
import { createLogger } from '../../runtime/log.ts';
import { createCardReader } from '../../drivers/card-reader.ts';
import { DriverEvents } from '../../drivers/emitter.ts';
import { serialTransport } from '../../drivers/transports/serial.ts';
import { startPty } from '../helpers/pty.ts';
import { waitFor } from '../helpers/wait.ts';

const PAN = '4111111111111111';
const PAYMENT = `%B${PAN}^DOE/JOHN^2512101000000000000000123?;${PAN}=25121010000000000123?`;
const LOYALTY = '6006491234567890';

t.test('loyalty, payment, garbage, partial, unplug', async (t) => {
  const pty = await startPty(t);
  const log: string[] = [];
  const logger = createLogger({ level: 'trace', name: 'test' }, { write: (line: string) => { log.push(line); } });
  const events = new DriverEvents(logger);
  const emitted: Array<{ topic: string; event: unknown }> = [];
  events.on('scan', (event) => emitted.push({ topic: 'scan', event }));
  events.on('scan_error', (event) => emitted.push({ topic: 'scan_error', event }));
  events.on('device', (event) => emitted.push({ topic: 'device', event }));
  const reader = createCardReader({
    name: 'msr', transport: serialTransport({ path: pty.device, baudRate: 9600, parity: 'none' }),
    emit: events.emit, log: logger, terminator: 'cr', idleFlushMs: 200, backoff: { initialMs: 20, maxMs: 200 },
  });
  t.teardown(() => reader.stop());
  reader.start();
  await waitFor(() => reader.state() === 'ready');
  const scans = () => emitted.filter((e) => e.topic !== 'device').map((e) => e.event);

  let end = await pty.openPeer();
  await end.write(`%E?;${LOYALTY}?\r`);
  await end.write(`${PAYMENT}\r`);
  await end.write('%B4111111111111112^DOE/JOHN^2512101?\r'); // misread payment card
  await end.write('hello\r');
  await end.write(`;${LOYALTY.slice(0, 8)}`);                // partial swipe, no terminator
  await waitFor(() => scans().length === 5, { what: 'five results' });
  t.match(scans(), [
    { device: 'msr', kind: 'card', data: LOYALTY },
    { device: 'msr', kind: 'payment_card', masked: '411111******1111' },
    { device: 'msr', reason: 'invalid_card' },
    { device: 'msr', reason: 'no_track' },
    { device: 'msr', reason: 'incomplete_read' },
  ]);
  t.notOk('data' in (scans()[1] as object), 'a payment card event has no data field');

  await pty.kill();
  await waitFor(() => reader.state() === 'offline');
  await pty.restart();
  await waitFor(() => reader.state() === 'ready');
  end = await pty.openPeer();
  await end.write(`${PAYMENT}\r`);
  await waitFor(() => scans().length === 6);

  const everything = JSON.stringify(emitted) + log.join('');
  t.ok(log.length > 0, 'the reader did log');
  for (const secret of [PAN, '4111111111111112', 'DOE/JOHN', '2512101', LOYALTY.slice(0, 8) + '?']) {
    t.notOk(everything.includes(secret), `never in events or logs: ${secret.slice(0, 4)}…`);
  }
  t.notOk(log.join('').includes(LOYALTY), 'loyalty numbers are not logged either (only emitted)');
});
