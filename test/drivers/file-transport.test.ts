// Device-file printers (/dev/usb/lp0): write-only. A temp file stands in for the device node.
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { DriverEvents } from '../../drivers/emitter.ts';
import { EscPosPrinter } from '../../drivers/escpos-printer.ts';
import { interpret } from '../../drivers/escpos-interpreter.ts';
import { fileTransport } from '../../drivers/transports/file.ts';
import { silentDriverLogger } from '../../drivers/types.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('prints without status; unplug (node gone) → offline; the node back → ready and queued jobs print', async (t) => {
  const dir = await tempDir(t, 'till-lp-');
  const lp = join(dir, 'lp0');
  await writeFile(lp, '');
  const events = new DriverEvents();
  const states: string[] = [];
  events.on('device', (e) => states.push(e.state));
  const open = fileTransport({ path: lp, watchMs: 30 });
  let opens = 0;
  const printer = new EscPosPrinter({
    name: 'lp', transport: () => { opens++; return open(); }, emit: events.emit, log: silentDriverLogger,
    codePage: 'cp858', backoff: { initialMs: 20, maxMs: 100 },
  });
  t.teardown(() => printer.stop());
  printer.start();
  await printer.print(printer.job().line('Crème brûlée 6,00 €').build());
  t.same(interpret(await readFile(lp)).lines, ['Crème brûlée 6,00 €']);
  t.same(interpret(await readFile(lp)).statusRequests, [], 'a device file cannot answer: no DLE EOT');
  t.match(await printer.status(), { state: 'ready', checked: false });

  await rm(lp);
  await waitFor(() => printer.state() === 'offline');
  t.match(printer.reason(), /ENOENT/);
  const job = printer.submit(printer.job().line('after').build());
  const opensWhenGone = opens;
  await waitFor(() => opens >= opensWhenGone + 2, { what: 'two more open attempts' });
  t.notOk(await stat(lp).catch(() => undefined), 'no regular file is created in place of the device');
  await writeFile(lp, '');
  await job.done;
  t.same(interpret(await readFile(lp)).lines, ['after']);
  t.same(states, ['connecting', 'ready', 'offline', 'ready']);
});
