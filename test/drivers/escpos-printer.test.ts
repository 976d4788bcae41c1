// Queue and status semantics of the printer driver over the in-memory virtual transport.
import t from 'tap';
import { DriverEvents } from '../../drivers/emitter.ts';
import { isDriverError, type DriverError } from '../../drivers/errors.ts';
import { EscPosPrinter, type EscPosPrinterOptions } from '../../drivers/escpos-printer.ts';
import { interpret } from '../../drivers/escpos-interpreter.ts';
import { statusBytesFor } from '../../drivers/escpos-status.ts';
import { virtualDevice } from '../../drivers/transports/virtual.ts';
import { silentDriverLogger } from '../../drivers/types.ts';
import { waitFor } from '../helpers/wait.ts';

type Condition = Parameters<typeof statusBytesFor>[0] | 'silent';

function setup(t: { teardown(fn: () => unknown): void }, options: Partial<EscPosPrinterOptions> = {}, processed?: () => number | undefined) {
  const jobs: Buffer[] = [];
  const state = { condition: 'ok' as Condition };
  const dev = virtualDevice({
    name: 'p1',
    onWrite: (bytes) => { jobs.push(bytes); },
    status: (n) => (state.condition === 'silent' ? undefined : statusBytesFor(state.condition)[n as 1 | 2 | 3 | 4]),
    ...(processed ? { processed } : {}),
  });
  const events = new DriverEvents();
  const states: string[] = [];
  events.on('device', (e) => states.push(e.state));
  const printer = new EscPosPrinter({
    name: 'p1', transport: dev.transport, emit: events.emit, log: silentDriverLogger, codePage: 'cp858', width: 32,
    statusTimeoutMs: 100, backoff: { initialMs: 10, maxMs: 50 }, ...options,
  });
  t.teardown(() => printer.stop());
  printer.start();
  return { printer, dev, jobs, state, states };
}

const failure = async (p: Promise<unknown>): Promise<DriverError> => {
  try {
    await p;
  } catch (error) {
    if (isDriverError(error)) return error;
    throw error;
  }
  throw new Error('expected a DriverError');
};

t.test('prints with status before and after; warnings are reported', async (t) => {
  const { printer, jobs, state } = setup(t);
  await waitFor(() => printer.state() === 'ready');
  const result = await printer.print(printer.job().line('Grüße 5 €').cut().build());
  t.same(interpret(jobs[0] ?? Buffer.alloc(0)).lines, ['Grüße 5 €']);
  t.match(result, { job_id: 'p1-1', outcome: 'printed', warnings: [], status: { online: true, paper_out: false } });
  state.condition = 'paper_near_end';
  t.same((await printer.print(printer.job().line('x').build())).warnings, ['paper_near_end']);
});

t.test('paper out, cover open and offline fail visibly with PRINTER_ERROR', async (t) => {
  const { printer, jobs, state } = setup(t);
  await waitFor(() => printer.state() === 'ready');
  for (const [condition, reason] of [['paper_out', 'paper_out'], ['cover_open', 'cover_open'], ['offline', 'offline']] as const) {
    state.condition = condition;
    const error = await failure(printer.print(Buffer.from('x\n')));
    t.match(error, { code: 'PRINTER_ERROR', reason, device: 'p1', retryable: true }, condition);
  }
  t.equal(jobs.length, 0, 'nothing was sent to a printer that could not print');
  state.condition = 'ok';
  await printer.print(Buffer.from('ok\n'));
  t.equal(jobs.length, 1);
});

t.test('a printer that stops answering is offline: jobs wait, and it comes back by itself', async (t) => {
  const { printer, jobs, state, states } = setup(t, { maxWaitMs: 300 });
  await waitFor(() => printer.state() === 'ready');
  state.condition = 'silent';
  t.match(await failure(printer.print(Buffer.from('x\n'))), { code: 'PRINT_TIMEOUT', reason: 'waited_too_long' });
  t.equal(printer.state(), 'offline');
  t.equal(printer.reason(), 'printer not responding to status requests');
  t.equal(jobs.length, 0);
  state.condition = 'ok';
  await waitFor(() => printer.state() === 'ready', { what: 'ready once it answers again' });
  t.same(states, ['connecting', 'ready', 'offline', 'ready']);
});

t.test('a printer that never answers does not become ready; status: false skips the checks', async (t) => {
  const silent = setup(t);
  silent.state.condition = 'silent';
  await waitFor(() => silent.printer.state() === 'offline');
  t.equal(silent.printer.reason(), 'printer not responding to status requests');
  const blind = setup(t, { checkStatus: false });
  blind.state.condition = 'silent';
  t.match(await blind.printer.print(Buffer.from('y\n')), { outcome: 'sent' });
  t.same(blind.jobs.map(String), ['y\n']);
});

t.test('openDrawer sends ESC p; status() reports', async (t) => {
  const { printer, jobs } = setup(t);
  await waitFor(() => printer.state() === 'ready');
  await printer.openDrawer(1);
  t.same([...(jobs[0] ?? [])], [0x1b, 0x70, 1, 50, 250, 0x1d, 0x72, 1]);
  t.match(await printer.status(), { state: 'ready', checked: true, queued: 0, status: { online: true, cover_open: false } });
});

t.test('a drawer kick is never kept for later: DEVICE_UNAVAILABLE at once while offline, nothing sent on return', async (t) => {
  const { printer, dev, jobs, state } = setup(t);
  await waitFor(() => printer.state() === 'ready');
  dev.setPresent(false);
  await waitFor(() => printer.state() === 'offline');
  t.match(await failure(printer.openDrawer()), { code: 'DEVICE_UNAVAILABLE', reason: 'not_ready', message: /offline: the drawer is not kicked later/ });
  t.equal(printer.queued(), 0, 'not queued');
  dev.setPresent(true);
  await waitFor(() => printer.state() === 'ready');
  // Ready but found silent when the kick starts: it fails too, instead of waiting for the printer.
  state.condition = 'silent';
  t.match(await failure(printer.openDrawer()), { code: 'DEVICE_UNAVAILABLE', reason: 'not_ready' });
  state.condition = 'ok';
  await waitFor(() => printer.state() === 'ready');
  t.same(jobs, [], 'no ESC p ever reached the printer');
  await printer.openDrawer();
  t.equal(jobs.length, 1, 'a kick on a ready printer goes out');
});

t.test('jobs wait while offline, in order, and print when the printer is back', async (t) => {
  const { printer, dev, jobs, states } = setup(t);
  await waitFor(() => printer.state() === 'ready');
  dev.setPresent(false);
  await waitFor(() => printer.state() === 'offline');
  const a = printer.submit(Buffer.from('A\n'));
  const b = printer.submit(Buffer.from('B\n'));
  t.equal(a.queued, true);
  t.equal(printer.queued(), 2);
  t.match(await printer.status(), { state: 'offline', checked: false, queued: 2 });
  dev.setPresent(true);
  await Promise.all([a.done, b.done]);
  t.same(jobs.map((j) => interpret(j).lines), [['A'], ['B']]);
  t.same(states, ['connecting', 'ready', 'offline', 'ready']);
});

t.test('bounded queue and bounded wait', async (t) => {
  const { printer, dev } = setup(t, { maxJobs: 2, maxWaitMs: 150 });
  await waitFor(() => printer.state() === 'ready');
  dev.setPresent(false);
  await waitFor(() => printer.state() === 'offline');
  const a = printer.submit(Buffer.from('A\n'));
  const b = printer.submit(Buffer.from('B\n'));
  t.match(await failure(printer.submit(Buffer.from('C\n')).done), { code: 'DEVICE_UNAVAILABLE', reason: 'queue_full' });
  t.match(await failure(a.done), { code: 'PRINT_TIMEOUT', reason: 'waited_too_long' });
  t.match(await failure(b.done), { code: 'PRINT_TIMEOUT', reason: 'waited_too_long' });
  t.equal(printer.queued(), 0);
});

t.test('a link lost during the write is uncertain, and never printed again by itself', async (t) => {
  let failWrites = 1;
  const jobs: Buffer[] = [];
  const events = new DriverEvents();
  const dev = virtualDevice({
    name: 'p1',
    onWrite: (bytes) => {
      jobs.push(bytes);
      if (failWrites-- > 0) {
        dev.setPresent(false);
        setTimeout(() => dev.setPresent(true), 30);
        throw new Error('EIO');
      }
    },
  });
  const printer = new EscPosPrinter({
    name: 'p1', transport: dev.transport, emit: events.emit, log: silentDriverLogger, statusTimeoutMs: 100,
    backoff: { initialMs: 10, maxMs: 20 },
  });
  t.teardown(() => printer.stop());
  printer.start();
  let sending = 0;
  const result = await printer.submit(Buffer.from('R\n'), { onSending: () => sending++ }).done;
  t.match(result, { outcome: 'uncertain', reason: 'link_lost' });
  t.equal(sending, 1, 'the caller was told before the first byte');
  await waitFor(() => printer.state() === 'ready', { what: 'reconnected' });
  t.match(await printer.print(Buffer.from('S\n')), { outcome: 'printed' });
  t.same(jobs.map((j) => interpret(j).lines), [['R'], [], ['S']], 'R was written once (then a lone GS r resync): no silent reprint');
});

t.test('printed only once the printer confirms the job; a printer that never does gives uncertain', async (t) => {
  let confirm = false;
  const { printer, jobs } = setup(t, { confirmTimeoutMs: 300, pollMs: 50 }, () => (confirm ? 0x00 : undefined));
  await waitFor(() => printer.state() === 'ready');
  t.match(await printer.print(Buffer.from('A\n')), { outcome: 'uncertain', reason: 'not_confirmed' });
  confirm = true;
  t.match(await printer.print(Buffer.from('B\n')), { outcome: 'printed', warnings: [] });
  const gsr = Buffer.from([0x1d, 0x72, 1]);
  t.same(jobs, [Buffer.concat([Buffer.from('A\n'), gsr]), gsr, Buffer.concat([Buffer.from('B\n'), gsr])],
    'each job ends with GS r 1; after an unconfirmed job a lone GS r swallows any stale answer first');
});

t.test('paper out while the job prints: uncertain paper_out at once, not a false printed', async (t) => {
  const { printer, state } = setup(t, { confirmTimeoutMs: 5000, pollMs: 30 }, () => {
    state.condition = 'paper_out'; // the roll ends half-way: GS r is held, DLE EOT says why
    return undefined;
  });
  await waitFor(() => printer.state() === 'ready');
  t.match(await printer.print(Buffer.from('long receipt\n')), { outcome: 'uncertain', reason: 'paper_out', status: { paper_out: true } });
});

t.test('write-only links and confirm: false give sent, never printed', async (t) => {
  const blind = setup(t, { checkStatus: false });
  await waitFor(() => blind.printer.state() === 'ready');
  t.match(await blind.printer.print(Buffer.from('x\n')), { outcome: 'sent', warnings: [] });
  const noConfirm = setup(t, { confirm: false });
  await waitFor(() => noConfirm.printer.state() === 'ready');
  t.match(await noConfirm.printer.print(Buffer.from('y\n')), { outcome: 'sent', status: { online: true } });
  t.same(noConfirm.jobs.map(String), ['y\n'], 'no GS r appended');
});

t.test('a dropped handle whose job fails does not become an unhandled rejection', async (t) => {
  const { printer, state } = setup(t);
  await waitFor(() => printer.state() === 'ready');
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => { process.off('unhandledRejection', onUnhandled); });
  state.condition = 'paper_out';
  const handle = printer.submit(Buffer.from('ignored\n'));
  await waitFor(() => printer.queued() === 0, { what: 'the job settled' });
  await new Promise((resolve) => setImmediate(resolve));
  t.same(unhandled, []);
  await t.rejects(handle.done, { code: 'PRINTER_ERROR', reason: 'paper_out' }, 'still observable');
});

t.test('stop rejects waiting jobs; submit after stop rejects', async (t) => {
  const { printer, dev } = setup(t);
  await waitFor(() => printer.state() === 'ready');
  dev.setPresent(false);
  await waitFor(() => printer.state() === 'offline');
  const a = printer.submit(Buffer.from('A\n'));
  await printer.stop();
  t.match(await failure(a.done), { code: 'DEVICE_UNAVAILABLE', reason: 'stopped' });
  t.match(await failure(printer.print(Buffer.from('B\n'))), { code: 'DEVICE_UNAVAILABLE', reason: 'stopped' });
  t.equal(printer.state(), 'stopped');
});
