// A serial receipt printer on a real pty pair: the test end plays the printer (answers DLE EOT),
// the bytes it receives are decoded by the interpreter and asserted line by line.
import t from 'tap';
import { DriverEvents } from '../../drivers/emitter.ts';
import { EscPosPrinter } from '../../drivers/escpos-printer.ts';
import { interpret } from '../../drivers/escpos-interpreter.ts';
import { serialTransport } from '../../drivers/transports/serial.ts';
import { silentDriverLogger } from '../../drivers/types.ts';
import { PrinterPeer } from '../helpers/printer-peer.ts';
import { startPty, type PtyPair } from '../helpers/pty.ts';
import { waitFor } from '../helpers/wait.ts';

async function playPrinter(pty: PtyPair): Promise<PrinterPeer> {
  const end = await pty.openPeer();
  const peer = new PrinterPeer((reply) => { void end.write(reply).catch(() => undefined); });
  end.onData((chunk) => peer.feed(chunk));
  return peer;
}

function printerOn(t: { teardown(fn: () => unknown): void }, pty: PtyPair, codePage: string) {
  const events = new DriverEvents();
  const states: string[] = [];
  events.on('device', (e) => states.push(e.state));
  const printer = new EscPosPrinter({
    name: 'front', transport: serialTransport({ path: pty.device, baudRate: 38400 }), emit: events.emit, log: silentDriverLogger,
    codePage, width: 42, statusTimeoutMs: 500, backoff: { initialMs: 20, maxMs: 200 },
  });
  t.teardown(() => printer.stop());
  printer.start();
  return { printer, states };
}

t.test('a CP858 receipt with €, ü, ñ decodes back line by line', async (t) => {
  const pty = await startPty(t);
  const peer = await playPrinter(pty);
  const { printer } = printerOn(t, pty, 'cp858');
  await waitFor(() => printer.state() === 'ready');
  const job = printer.job()
    .align('center').doubleSize().line('Café Ñandú').doubleSize(false)
    .align('left').line('Müsli              2 x 3,50 €')
    .line('Jalapeño           1 x 0,99 €')
    .bold().line('Total                   7,99 €').bold(false)
    .line('Ça coûte 7,99 € – merci «à bientôt»')
    .qr('T1-2026-000123').cut().build();
  await printer.print(job);
  const doc = interpret(peer.bytes(), { columns: 42 });
  t.same(doc.lines, [
    'Café Ñandú',
    'Müsli              2 x 3,50 €',
    'Jalapeño           1 x 0,99 €',
    'Total                   7,99 €',
    'Ça coûte 7,99 € - merci «à bientôt»',
    '[QR T1-2026-000123]',
  ]);
  t.same(doc.blocks.at(-1), { type: 'cut', partial: false });
});

t.test('the same receipt on a CP437 printer: € becomes EUR, the rest survives', async (t) => {
  const pty = await startPty(t);
  const peer = await playPrinter(pty);
  const { printer } = printerOn(t, pty, 'cp437');
  await printer.print(printer.job().line('Müsli 3,50 € Ñ ß').build());
  t.same(interpret(peer.bytes()).lines, ['Müsli 3,50 EUR Ñ ß']);
});

t.test('paper out over serial fails with PRINTER_ERROR; unplug and replug keeps the next job', async (t) => {
  const pty = await startPty(t);
  let peer = await playPrinter(pty);
  const { printer, states } = printerOn(t, pty, 'cp858');
  await waitFor(() => printer.state() === 'ready', { what: 'ready' });
  peer.condition = 'paper_out';
  await t.rejects(printer.print(Buffer.from('x\n')), { code: 'PRINTER_ERROR', reason: 'paper_out' });
  peer.condition = 'ok';
  await pty.kill();
  await waitFor(() => printer.state() === 'offline', { what: 'offline' });
  const job = printer.submit(printer.job().line('after replug').build());
  t.equal(job.queued, true);
  await pty.restart();
  peer = await playPrinter(pty);
  await job.done;
  t.same(interpret(peer.bytes()).lines, ['after replug']);
  t.same(states, ['connecting', 'ready', 'offline', 'ready']);
});
