// A network printer (raw TCP, "port 9100") against a real TCP listener in the test that records
// what it receives and answers DLE EOT status requests like a printer would.
import net from 'node:net';
import t from 'tap';
import { DriverEvents } from '../../drivers/emitter.ts';
import { isDriverError } from '../../drivers/errors.ts';
import { EscPosPrinter } from '../../drivers/escpos-printer.ts';
import { interpret } from '../../drivers/escpos-interpreter.ts';
import { tcpTransport } from '../../drivers/transports/tcp.ts';
import { silentDriverLogger } from '../../drivers/types.ts';
import { PrinterPeer, type PeerCondition } from '../helpers/printer-peer.ts';
import { waitFor } from '../helpers/wait.ts';

interface FakeNetworkPrinter {
  port: number;
  condition: PeerCondition;
  /** Per connection, what it received. */
  connections: PrinterPeer[];
  /** Reset the connection as soon as job bytes (not status requests) arrive, once, unprocessed. */
  resetOnNextJob: boolean;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

async function networkPrinter(t: { teardown(fn: () => unknown): void }): Promise<FakeNetworkPrinter> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const fake: FakeNetworkPrinter = {
    port: 0, condition: 'ok', connections: [], resetOnNextJob: false,
    async kill() {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (s) await new Promise((resolve) => s.close(resolve));
    },
    async restart() {
      const s = net.createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
        const peer = new PrinterPeer((reply) => { if (!socket.destroyed) socket.write(reply); });
        fake.connections.push(peer);
        socket.on('data', (chunk: Buffer) => {
          peer.condition = fake.condition;
          if (fake.resetOnNextJob && !(chunk.length === 3 && chunk[0] === 0x10)) {
            fake.resetOnNextJob = false;
            socket.resetAndDestroy(); // TCP RST mid-job, before the printer got to the end of it
            void fake.kill();          // and the printer is gone for a while
            return;
          }
          peer.feed(chunk);
        });
      });
      await new Promise<void>((resolve) => s.listen(fake.port, '127.0.0.1', resolve));
      fake.port = (s.address() as net.AddressInfo).port;
      server = s;
    },
  };
  await fake.restart();
  t.teardown(() => fake.kill());
  return fake;
}

function printerFor(t: { teardown(fn: () => unknown): void }, port: number, extra: { maxWaitMs?: number } = {}) {
  const events = new DriverEvents();
  const states: string[] = [];
  events.on('device', (e) => states.push(e.state));
  const printer = new EscPosPrinter({
    name: 'net', transport: tcpTransport({ host: '127.0.0.1', port, connectTimeoutMs: 1000 }), emit: events.emit,
    log: silentDriverLogger, codePage: 'cp858', width: 42, statusTimeoutMs: 300, backoff: { initialMs: 20, maxMs: 200 }, ...extra,
  });
  t.teardown(() => printer.stop());
  printer.start();
  return { printer, states };
}

const receipt = (printer: EscPosPrinter) => printer.job()
  .align('center').bold().line('Bäckerei Müller').bold(false)
  .align('left').line('2 Croissants          3,00 €').line('Total                 3,00 €')
  .barcode128('T1-2026-000123').cut().build();

const RECEIPT_LINES = ['Bäckerei Müller', '2 Croissants          3,00 €', 'Total                 3,00 €', '[CODE128 T1-2026-000123]'];

t.test('prints; the listener decodes the receipt line by line', async (t) => {
  const fake = await networkPrinter(t);
  const { printer } = printerFor(t, fake.port);
  await waitFor(() => printer.state() === 'ready');
  const result = await printer.print(receipt(printer));
  t.match(result, { outcome: 'printed', warnings: [] });
  const peer = fake.connections[0];
  t.same(interpret(peer?.bytes() ?? Buffer.alloc(0)).lines, RECEIPT_LINES);
  t.same(interpret(peer?.bytes() ?? Buffer.alloc(0)).statusRequests, [1, 1, 2, 4, 1, 2, 4], 'probe, status before and after');
  t.match(await printer.status(), { state: 'ready', checked: true, status: { online: true } });
});

for (const [condition, reason] of [['paper_out', 'paper_out'], ['cover_open', 'cover_open']] as const) {
  t.test(`${condition}: PRINTER_ERROR ${reason}, and nothing printed`, async (t) => {
    const fake = await networkPrinter(t);
    fake.condition = condition;
    const { printer } = printerFor(t, fake.port);
    await waitFor(() => printer.state() === 'ready');
    const error = await printer.print(receipt(printer)).then(() => undefined, (e: unknown) => e);
    t.ok(isDriverError(error));
    t.match(error, { code: 'PRINTER_ERROR', reason });
    t.equal(fake.connections[0]?.jobBytes().length, 0);
  });
}

t.test('a listener that never answers DLE EOT: offline "not responding", jobs time out', async (t) => {
  const fake = await networkPrinter(t);
  fake.condition = 'silent';
  const { printer } = printerFor(t, fake.port, { maxWaitMs: 300 });
  await waitFor(() => printer.state() === 'offline');
  t.equal(printer.reason(), 'printer not responding to status requests');
  await t.rejects(printer.print(Buffer.from('x\n')), { code: 'PRINT_TIMEOUT' });
  t.equal(fake.connections.reduce((n, c) => n + c.jobBytes().length, 0), 0);
});

t.test('paper near end prints with a warning', async (t) => {
  const fake = await networkPrinter(t);
  fake.condition = 'paper_near_end';
  const { printer } = printerFor(t, fake.port);
  t.same((await printer.print(receipt(printer))).warnings, ['paper_near_end']);
});

t.test('TCP reset mid-job: uncertain link_lost, and not printed again after the reconnect', async (t) => {
  const fake = await networkPrinter(t);
  const { printer, states } = printerFor(t, fake.port, { maxWaitMs: 10_000 });
  await waitFor(() => printer.state() === 'ready');
  fake.resetOnNextJob = true;
  t.match(await printer.print(receipt(printer)), { outcome: 'uncertain', reason: 'link_lost' });
  await waitFor(() => printer.state() === 'offline', { what: 'offline after the reset' });
  await fake.restart();
  await waitFor(() => printer.state() === 'ready', { what: 'ready after the restart' });
  t.match(await printer.print(Buffer.from('next\n')), { outcome: 'printed' });
  t.same(states, ['connecting', 'ready', 'offline', 'ready']);
  t.same(interpret(fake.connections.at(-1)?.jobBytes() ?? Buffer.alloc(0)).lines, ['next'], 'only the next job on the new connection');
});

t.test('a printer that answers DLE EOT but never GS r: uncertain not_confirmed, never printed', async (t) => {
  const fake = await networkPrinter(t);
  const events = new DriverEvents();
  const printer = new EscPosPrinter({
    name: 'clone', transport: tcpTransport({ host: '127.0.0.1', port: fake.port, connectTimeoutMs: 1000 }), emit: events.emit,
    log: silentDriverLogger, statusTimeoutMs: 300, confirmTimeoutMs: 400, pollMs: 100, backoff: { initialMs: 20, maxMs: 200 },
  });
  t.teardown(() => printer.stop());
  printer.start();
  await waitFor(() => printer.state() === 'ready');
  for (const peer of fake.connections) peer.confirms = false;
  t.match(await printer.print(receipt(printer)), { outcome: 'uncertain', reason: 'not_confirmed' });
});

t.test('printer down when jobs come in: queued, printed when it is back; or PRINT_TIMEOUT', async (t) => {
  const fake = await networkPrinter(t);
  await fake.kill();
  const { printer } = printerFor(t, fake.port, { maxWaitMs: 5000 });
  await waitFor(() => printer.state() === 'offline');
  const a = printer.submit(Buffer.from('first\n'));
  const b = printer.submit(Buffer.from('second\n'));
  t.equal(a.queued, true);
  await fake.restart();
  await Promise.all([a.done, b.done]);
  t.same(interpret(fake.connections.at(-1)?.bytes() ?? Buffer.alloc(0)).lines, ['first', 'second']);

  await fake.kill();
  await waitFor(() => printer.state() === 'offline');
  const { printer: impatient } = printerFor(t, fake.port, { maxWaitMs: 200 });
  const error = await impatient.print(Buffer.from('late\n')).then(() => undefined, (e: unknown) => e);
  t.match(error, { code: 'PRINT_TIMEOUT', reason: 'waited_too_long' });
});
