// The customer display on a real pty pair: the test end reads what a VFD would receive and
// replays it on a 2×20 screen (DisplayScreen); unplug/replug, a display that stops taking data,
// and garbage bytes.
import t from 'tap';
import { DisplayScreen, displayPage, fitRow, frameBytes, initBytes } from '../../drivers/display-encoder.ts';
import { DriverEvents } from '../../drivers/emitter.ts';
import { LineDisplay } from '../../drivers/line-display.ts';
import { serialTransport } from '../../drivers/transports/serial.ts';
import { virtualDevice } from '../../drivers/transports/virtual.ts';
import { silentDriverLogger, type ByteLink } from '../../drivers/types.ts';
import { startPty } from '../helpers/pty.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('encoder and screen: rows at fixed positions, code page, truncation, garbage', async (t) => {
  const p = displayPage('cp858', 20);
  t.equal(fitRow('Grüße aus Zürich, Straße 1', p), 'Grüße aus Zürich, St', 'cut to 20 columns');
  t.equal(fitRow('Total 5 €\n', displayPage('cp437', 20)), 'Total 5 EUR ', 'CP437 has no €; newlines are spaces');
  const screen = new DisplayScreen(20, 'cp437');
  screen.feed(Buffer.concat([initBytes(p), frameBytes(['Café', 'TOTAL 3,50 €'], p)]));
  t.same(screen.lines(), ['Café', 'TOTAL 3,50 €']);
  screen.feed(Buffer.from([0x1b, 0xff, 0x1f, 0x99, 0x00, 0x0c, 0x1f, 0x24, 99, 99, 0x41, 0x1f]));
  t.same(screen.lines(), ['', '                   A'], 'unknown commands skipped, out-of-range cursor clamped, clear honoured');
});

t.test('serial display: shows, truncates, survives unplug and shows the last frame again', async (t) => {
  const pty = await startPty(t);
  let end = await pty.openPeer();
  const events = new DriverEvents();
  const states: string[] = [];
  events.on('device', (e) => states.push(e.state));
  // Records what each opened link was sent (a tty opened after the replug may flush what came before).
  const sent: Buffer[][] = [];
  const serial = serialTransport({ path: pty.device, baudRate: 9600 });
  const transport = async (): Promise<ByteLink> => {
    const link = await serial();
    const mine: Buffer[] = [];
    sent.push(mine);
    return Object.assign(Object.create(link) as ByteLink, { write: (b: Uint8Array) => { mine.push(Buffer.from(b)); return link.write(b); } });
  };
  const display = new LineDisplay({
    name: 'vfd', transport, emit: events.emit, log: silentDriverLogger,
    codePage: 'cp858', backoff: { initialMs: 20, maxMs: 200 },
  });
  t.teardown(() => display.stop());
  display.start();
  await waitFor(() => display.state() === 'ready');
  const screen = () => { const s = new DisplayScreen(20, 'cp437'); s.feed(end.received()); return s.lines(); };
  t.same(await display.show(['Kaffee           3,50 €', 'TOTAL            3,50 €']), ['Kaffee           3,5', 'TOTAL            3,5']);
  await waitFor(() => screen()[1] === 'TOTAL            3,5', { what: `the frame on the wire: ${JSON.stringify(screen())}` });
  t.same(screen(), ['Kaffee           3,5', 'TOTAL            3,5']);

  await pty.kill();
  await waitFor(() => display.state() === 'offline');
  await t.rejects(display.show(['x', 'y']), { code: 'DEVICE_UNAVAILABLE', reason: 'not_ready' });
  await pty.restart();
  end = await pty.openPeer();
  await waitFor(() => display.state() === 'ready');
  const replayed = new DisplayScreen(20, 'cp437');
  replayed.feed(Buffer.concat(sent.at(-1) ?? []));
  t.same(replayed.lines(), ['Kaffee           3,5', 'TOTAL            3,5'], 'the new link got init and the last frame');
  t.same(display.lines(), ['Kaffee           3,5', 'TOTAL            3,5']);
  t.same(states, ['connecting', 'ready', 'offline', 'ready']);
});

t.test('a display that stops taking data: write_failed, offline, back by itself', async (t) => {
  let hang = false;
  const dev = virtualDevice({ name: 'vfd', onWrite: () => (hang ? new Promise(() => undefined) : undefined) });
  const display = new LineDisplay({
    name: 'vfd', transport: dev.transport, emit: new DriverEvents().emit, log: silentDriverLogger, writeTimeoutMs: 100, backoff: { initialMs: 20, maxMs: 50 },
  });
  t.teardown(() => display.stop());
  display.start();
  await waitFor(() => display.state() === 'ready');
  hang = true;
  await t.rejects(display.show(['a', 'b']), { code: 'DEVICE_UNAVAILABLE', reason: 'write_failed', message: /timed out/ });
  hang = false;
  await waitFor(() => display.state() === 'ready', { what: 'reconnected' });
  t.same(await display.show(['a', 'b']), ['a', 'b']);
});
