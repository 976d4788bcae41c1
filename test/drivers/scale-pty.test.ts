// Scales on a real pseudo-terminal pair (socat): the test plays a toledo-8217 scale (answers
// each "W" from a script) or a CAS scale streaming lines, and the driver must give a stable
// weight in grams or the right error code — never a live weight, never a hang.
import t from 'tap';
import { DriverEvents } from '../../drivers/emitter.ts';
import { isDriverError } from '../../drivers/errors.ts';
import { SerialScale, type ScaleProtocol } from '../../drivers/scale.ts';
import { serialTransport } from '../../drivers/transports/serial.ts';
import type { DeviceEvent, StableWeight } from '../../drivers/types.ts';
import { silentDriverLogger } from '../../drivers/types.ts';
import { startPty, type PtyEnd, type PtyPair } from '../helpers/pty.ts';
import { CR, STX, ecrScale, statusFrame, weightFrame } from '../helpers/scale-peer.ts';
import { waitFor } from '../helpers/wait.ts';

const weight = weightFrame;
const status = statusFrame;

function scale(t: { teardown(fn: () => unknown): void }, pty: PtyPair, protocol: ScaleProtocol) {
  const events = new DriverEvents();
  const device: DeviceEvent[] = [];
  events.on('device', (e) => device.push(e));
  const s = new SerialScale({
    name: 'scale0', transport: serialTransport({ path: pty.device, baudRate: 9600, dataBits: 7, parity: 'even' }),
    emit: events.emit, log: silentDriverLogger, protocol, answerTimeoutMs: 300, requestIntervalMs: 30,
    settleTimeoutMs: 800, backoff: { initialMs: 50, maxMs: 200 },
  });
  t.teardown(() => s.stop());
  return { s, device };
}

const code = (p: Promise<StableWeight>) => p.then((w) => `ok ${w.grams}`, (e: unknown) => (isDriverError(e) ? `${e.code} ${e.reason}` : String(e)));

/** Reads (300 ms each) until one gives `expected` or 20 s pass; returns the last outcome, so a failure shows it. */
async function outcome(s: SerialScale, expected: string): Promise<string> {
  let last = '';
  await waitFor(async () => (last = await code(s.read(300))) === expected, { timeout: 20_000, interval: 0, what: expected }).catch(() => undefined);
  return last;
}

t.test('toledo-8217: motion then a stable weight; overload, under zero, empty, always moving', async (t) => {
  const pty = await startPty(t);
  const { s } = scale(t, pty, 'toledo-8217');
  const ecr = await ecrScale(pty, [status(0x10)]); // empty scale: centre of zero
  s.start();
  await waitFor(() => s.state() === 'ready', { what: 'ready after the scale answered' });

  ecr.set([status(0x01), status(0x01), weight('01.234')]);
  t.same(await s.read(), { grams: 1234, value: '01.234', unit: 'kg', net: false });
  ecr.set([weight('00.500N')]);
  t.match(await s.read(), { grams: 500, net: true });
  ecr.set([weight('02.50')]);
  t.match(await s.read(), { grams: 1134, value: '02.50', unit: 'lb' }, 'two decimals: pounds');

  ecr.set([status(0x02)]);
  t.equal(await code(s.read()), 'SCALE_OVERLOAD over_capacity');
  ecr.set([status(0x04)]);
  t.equal(await code(s.read()), 'SCALE_NEGATIVE under_zero');
  ecr.set([status(0x10)]);
  t.equal(await code(s.read()), 'SCALE_ZERO zero_weight');
  ecr.set([status(0x08)]);
  t.equal(await code(s.read()), 'SCALE_ZERO zero_error');
  ecr.set([status(0x01)]);
  const before = ecr.asked();
  t.equal(await code(s.read(400)), 'SCALE_UNSTABLE in_motion', 'still moving when the time is up');
  t.ok(ecr.asked() - before >= 2, 'it kept asking while the scale moved');
  t.equal(s.state(), 'ready');
});

t.test('toledo-8217: garbage and partial frames are skipped; concurrent reads share one answer', async (t) => {
  const pty = await startPty(t);
  const { s } = scale(t, pty, 'toledo-8217');
  const ecr = await ecrScale(pty, [status(0x10)]);
  s.start();
  await waitFor(() => s.state() === 'ready');
  await ecr.end.write('\xff\xfe garbage 12.345\r');          // noise outside any frame
  ecr.set([`${STX}12.3x4${CR}`, `${STX}01.`, `000${CR}`]);  // an unreadable frame, then one split in two writes
  const [a, b] = await Promise.all([s.read(), s.read()]);
  t.same(a, b);
  t.match(a, { grams: 1000 });
});

t.test('toledo-8217: a scale that never answers stays offline; one that stops answering goes offline', async (t) => {
  const pty = await startPty(t);
  const { s, device } = scale(t, pty, 'toledo-8217');
  const ecr = await ecrScale(pty, [null]);
  s.start();
  await waitFor(() => s.state() === 'offline', { what: 'offline: no answer' });
  t.match(s.reason(), /no answer to "W".*7 data bits, even parity/);
  t.equal(await code(s.read()), 'DEVICE_UNAVAILABLE not_ready');
  ecr.set([weight('00.100')]);
  await waitFor(() => s.state() === 'ready', { what: 'ready once it answers' });
  t.match(await s.read(), { grams: 100 });
  ecr.set([null]);
  t.equal(await code(s.read(400)), 'SCALE_NO_ANSWER no_answer');
  await waitFor(() => s.state() === 'offline', { what: 'dropped after not answering' });
  t.same(device.map((e) => e.state), ['connecting', 'offline', 'ready', 'offline']);
});

t.test('toledo-8217: unplug → offline → replug → ready', async (t) => {
  const pty = await startPty(t);
  const { s } = scale(t, pty, 'toledo-8217');
  await ecrScale(pty, [weight('00.250')]);
  s.start();
  await waitFor(() => s.state() === 'ready');
  await pty.kill();
  await waitFor(() => s.state() === 'offline', { what: 'offline after unplug' });
  await pty.restart();
  await ecrScale(pty, [weight('00.750')]);
  await waitFor(() => s.state() === 'ready', { what: 'ready after replug' });
  t.match(await s.read(), { grams: 750 });
});

async function casScale(pty: PtyPair): Promise<{ end: PtyEnd; send(line: string): void; stop(): void }> {
  const end = await pty.openPeer();
  let line = 'ST,GS,+000.000kg';
  // A CAS scale streams its state about ten times a second.
  const timer = setInterval(() => { void end.write(`${line}\r\n`).catch(() => undefined); }, 30);
  return {
    end,
    send(next) { line = next; },
    stop() { clearInterval(timer); },
  };
}

t.test('cas: only a stable line sent after the request counts; overload, negative, zero, garbage', async (t) => {
  const pty = await startPty(t);
  const { s } = scale(t, pty, 'cas');
  const cas = await casScale(pty);
  t.teardown(() => cas.stop());
  s.start();
  await waitFor(() => s.state() === 'ready', { what: 'ready on the first line' });

  cas.send('ST,GS,01\xc3,00001.234 kg');
  t.equal(await outcome(s, 'ok 1234'), 'ok 1234', 'a stable line is heard');
  cas.send('US,GS,01\xc3,00001.300 kg');
  // On a loaded machine the driver may still be reading lines written before a change: each step waits
  // until a read gives the new line's outcome, so the checks test the driver, not the machine's load.
  t.equal(await outcome(s, 'SCALE_UNSTABLE in_motion'), 'SCALE_UNSTABLE in_motion');
  const reading = s.read(2000); // the stable lines heard before this call do not count: the next stable one does
  cas.send('ST,NT,+001.310kg');
  t.same(await reading, { grams: 1310, value: '001.310', unit: 'kg', net: true });

  cas.send('OL,GS,--------kg');
  t.equal(await outcome(s, 'SCALE_OVERLOAD over_capacity'), 'SCALE_OVERLOAD over_capacity');
  cas.send('ST,GS,-000.120kg');
  t.equal(await outcome(s, 'SCALE_NEGATIVE under_zero'), 'SCALE_NEGATIVE under_zero');
  cas.send('ST,GS,+000.000kg');
  t.equal(await outcome(s, 'SCALE_ZERO zero_weight'), 'SCALE_ZERO zero_weight');
  cas.send('US,GS,+000.420kg');
  t.equal(await outcome(s, 'SCALE_UNSTABLE in_motion'), 'SCALE_UNSTABLE in_motion');
  cas.send('\x00\x01garbage line');
  t.equal(await outcome(s, 'SCALE_NO_ANSWER no_answer'), 'SCALE_NO_ANSWER no_answer', 'only unreadable lines: nothing heard');
  cas.send('ST,GS,   250.0 g');
  t.match(await s.read(), { grams: 250, unit: 'g' });

  cas.stop();
  await waitFor(() => s.state() === 'offline', { what: 'offline when the stream stops' });
  t.match(s.reason(), /stopped sending/);
});

t.test('unplugged during a read: DEVICE_UNAVAILABLE saying so, not "still moving" at the end of the wait', async (t) => {
  for (const protocol of ['toledo-8217', 'cas'] as const) {
    const pty = await startPty(t);
    const { s } = scale(t, pty, protocol);
    let cas: Awaited<ReturnType<typeof casScale>> | undefined;
    if (protocol === 'cas') {
      cas = await casScale(pty);
      t.teardown(() => cas?.stop());
    } else {
      await ecrScale(pty, [status(0x01)]); // in motion for ever: only the unplug can end the read early
    }
    s.start();
    await waitFor(() => s.state() === 'ready', { what: `${protocol} ready` });
    cas?.send('US,GS,+001.300kg');
    const read = code(s.read(10_000));
    cas?.stop();
    await pty.kill();
    t.equal(await read, 'DEVICE_UNAVAILABLE not_ready', protocol);
  }
});
