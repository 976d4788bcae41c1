// Receipts a POS can trust, end to end through the agent process and a network printer behind a
// real TCP listener: confirmed prints, job ids that print once (also across an agent restart),
// COPY reprints, uncertain jobs that are never reprinted silently, and the drawer's state.
import t from 'tap';
import { interpret } from '../../drivers/escpos-interpreter.ts';
import { freePort } from '../helpers/ports.ts';
import { printerServer, type PrinterServer } from '../helpers/printer-server.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const jobBytes = (s: PrinterServer) => Buffer.concat(s.peers.map((p) => p.jobBytes()));
const cuts = (s: PrinterServer) => interpret(jobBytes(s)).blocks.filter((b) => b.type === 'cut').length;
const lines = (s: PrinterServer) => interpret(jobBytes(s), { columns: 42 }).lines;

t.test('job ids, confirmation, reprints and the drawer through the agent', async (t) => {
  const printer = await printerServer(t, await freePort());
  const sys = await startSystem(t, {
    startHost: false,
    agent: {
      devices: [{
        name: 'printer0', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: printer.port, code_page: 'cp858',
        confirm_timeout_ms: 1000, poll_ms: 100, drawer_sensor: 'high',
      }],
    },
  });
  let pos = await sys.pos();
  const ready = async () => waitFor(async () => {
    const r = await pos.request('devices.list');
    return r.ok && (r.result as { devices: Array<{ state: string }> }).devices.every((d) => d.state === 'ready');
  }, { what: 'printer ready' });
  await ready();
  const document = { currency: 'EUR', sale_number: 'S-1001', items: [{ name: 'Kaffee', amount: 350 }], total: 350, date: '2026-03-14T09:41:00Z' };

  t.match(await pos.request('receipt.print', { job_id: 'J1', document }), { ok: true, result: { status: 'printed', job_id: 'J1', printer: 'printer0' } });
  const first = lines(printer);
  t.ok(first.includes('M1'), 'the store header when the document has none');
  t.ok(first.some((l) => /^2026-03-14 \d\d:41 +Till T1$/.test(l)), `date, time and till: ${first.join(' | ')}`);
  t.ok(first.includes('Sale S-1001'), 'the sale number');

  t.match(await pos.request('receipt.print', { job_id: 'J1', document }), { ok: true, result: { status: 'printed', duplicate: true, copies: 0 } });
  t.equal(cuts(printer), 1, 'a repeated job id prints nothing');
  t.match(await pos.request('receipt.print', { job_id: 'J1', document: { ...document, total: 1, items: [{ name: 'x', amount: 1 }] } }),
    { ok: false, error: { code: 'CONFLICT' } });

  await t.test('an agent restart remembers the job id', async (t) => {
    await sys.agent.kill('SIGKILL');
    await sys.startAgent();
    pos = await sys.pos();
    await ready();
    t.match(await pos.request('receipt.print', { job_id: 'J1', document }), { ok: true, result: { status: 'printed', duplicate: true } });
    t.equal(cuts(printer), 1);
  });

  await t.test('reprint: true prints a copy marked COPY', async (t) => {
    t.match(await pos.request('receipt.print', { job_id: 'J1', document, reprint: true }), { ok: true, result: { status: 'printed', copy: true } });
    t.equal(cuts(printer), 2);
    t.equal(lines(printer).filter((l) => l === '*** COPY ***').length, 2, 'marked at the top and the bottom');
  });

  await t.test('a printer that never confirms: uncertain, and a repeat does not print again', async (t) => {
    for (const peer of printer.peers) peer.confirms = false;
    t.match(await pos.request('receipt.print', { job_id: 'J2', document }), { ok: true, result: { status: 'uncertain', reason: 'not_confirmed' } });
    t.match(await pos.request('receipt.print', { job_id: 'J2', document }), { ok: true, result: { status: 'uncertain', duplicate: true, reason: 'not_confirmed' } });
    t.equal(cuts(printer), 3);
    for (const peer of printer.peers) peer.confirms = true;
  });

  await t.test('drawer events, and drawer.open waits until the drawer is closed again', async (t) => {
    t.match(await pos.request('events.subscribe', { topics: ['drawer'] }), { ok: true });
    const peer = printer.peers.at(-1)!;
    const answer = pos.request('drawer.open', { wait_closed: true, timeout_ms: 20_000 });
    await waitFor(() => interpret(peer.jobBytes()).blocks.some((b) => b.type === 'drawer'), { what: 'the kick' });
    peer.drawerOpen = true;
    t.match((await pos.waitForEvent('drawer', (d) => (d as { state: string }).state === 'open')).data, { device: 'printer0', state: 'open' });
    peer.drawerOpen = false;
    t.match((await pos.waitForEvent('drawer', (d) => (d as { state: string }).state === 'closed')).data, { device: 'printer0', state: 'closed' });
    t.match(await answer, { ok: true, result: { printer: 'printer0', opened: true, closed: true, seen_open: true, drawer: 'closed' } });
    peer.drawerOpen = true;
    t.match(await pos.request('drawer.open', { wait_closed: true, timeout_ms: 1000 }), { ok: true, result: { closed: false, drawer: 'open' } });
  });
});

t.test('a printer ready when the receipt arrives but found not answering: queued at once, printed when it answers again', async (t) => {
  const printer = await printerServer(t, await freePort());
  // No drawer sensor: nothing polls an idle printer, so it is still `ready` when it went silent.
  const sys = await startSystem(t, {
    startHost: false,
    agent: {
      devices: [{ name: 'printer0', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: printer.port, queue_timeout_ms: 30_000 }],
    },
  });
  const pos = await sys.pos();
  await waitFor(async () => {
    const r = await pos.request('devices.list');
    return r.ok && (r.result as { devices: Array<{ state: string }> }).devices[0]?.state === 'ready';
  }, { what: 'printer ready' });
  t.match(await pos.request('events.subscribe', { topics: ['print'] }), { ok: true });
  printer.condition = 'silent';
  for (const peer of printer.peers) peer.condition = 'silent';
  const document = { currency: 'EUR', items: [{ name: 'Found silent', amount: 100 }], total: 100 };
  // Well before the 30 s queue timeout (the request waits 5 s at most).
  t.match(await pos.request('receipt.print', { job_id: 'S1', document }), { ok: true, result: { status: 'queued', job_id: 'S1', printer: 'printer0' } });
  t.match(await pos.request('receipt.print', { job_id: 'S1', document }), { ok: true, result: { status: 'queued', duplicate: true } }, 'a repeat: still queued');
  t.notOk(lines(printer).some((l) => l.startsWith('Found silent')), 'nothing printed yet');
  printer.condition = 'ok';
  for (const peer of printer.peers) peer.condition = 'ok';
  t.match((await pos.waitForEvent('print', (d) => (d as { job_id: string }).job_id === 'S1', 20_000)).data, { status: 'printed', job_id: 'S1' });
  t.equal(lines(printer).filter((l) => l.startsWith('Found silent')).length, 1, 'printed once');
});
