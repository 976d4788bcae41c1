// Requests of one connection that name the same sale (award, spend, void, refund, receipt.print by
// txn_id), pipelined in one write: each starts once the one before it was answered; other sales and
// other requests run beside them as before.
import t from 'tap';
import type { Handler } from '../../agent/socket/socket-server.ts';
import { Gates, startServer } from '../helpers/socket-harness.ts';
import { waitFor } from '../helpers/wait.ts';

const basket = { currency: 'EUR', total: 100, items: [{ sku: 'A', qty: 1, unit_price: 100, amount: 100 }] };
const line = (id: number, op: string, params: unknown) => JSON.stringify({ id, op, params }) + '\n';

t.test('a spend and a void sent with their award start once the award is answered', async (t) => {
  const gates = new Gates();
  const log: string[] = [];
  const handle: Handler = async (op, params) => {
    const sale = (params as { txn_id?: string }).txn_id ?? '-';
    log.push(`start ${op} ${sale}`);
    if (op === 'award') await gates.wait(sale);
    log.push(`end ${op} ${sale}`);
    return { op, sale };
  };
  const h = await startServer(t, { handle });
  const pos = await h.connect();
  const award = (txn: string) => ({ txn_id: txn, customer_id: 'c1', basket });
  const spend = (txn: string) => ({ txn_id: txn, customer_id: 'c1', amount: 10, currency: 'EUR' });
  pos.send(line(1, 'award', award('S1')) + line(2, 'spend', spend('S1')) + line(3, 'void', { txn_id: 'S1' })
    + line(4, 'award', award('S2')) + line(5, 'spend', spend('S2')) + line(6, 'status', {}));

  // status is the write's last line: once it is answered, every line of the write was handled.
  t.match(await pos.nextFrame(), { id: 6, ok: true, result: { op: 'status' } }, 'a request naming no sale does not wait');
  t.same(log, ['start award S1', 'start award S2', 'start status -', 'end status -'], 'S1\'s spend and void and S2\'s spend wait; S2\'s award runs beside S1\'s');

  gates.open('S1');
  t.match(await pos.nextFrame(), { id: 1, ok: true });
  t.match(await pos.nextFrame(), { id: 2, ok: true });
  t.match(await pos.nextFrame(), { id: 3, ok: true });
  t.same(log.slice(4), ['end award S1', 'start spend S1', 'end spend S1', 'start void S1', 'end void S1'], 'in the order sent, each after the one before was answered');
  t.notOk(log.includes('start spend S2'), 'S2\'s spend still waits for S2\'s award');

  gates.open('S2');
  t.match(await pos.nextFrame(), { id: 4, ok: true });
  t.match(await pos.nextFrame(), { id: 5, ok: true });
  t.same(log.slice(9), ['end award S2', 'start spend S2', 'end spend S2']);

  // Nothing in flight for the sale any more: a spend runs at once (its entry was removed).
  log.length = 0;
  t.match(await pos.request('spend', spend('S1')), { ok: true });
  t.same(log, ['start spend S1', 'end spend S1']);
});

t.test('another connection\'s requests for the sale are not held back', async (t) => {
  const gates = new Gates();
  const started: string[] = [];
  const handle: Handler = async (op, params) => {
    started.push(op);
    if (op === 'award') await gates.wait('award');
    return { op, txn_id: (params as { txn_id: string }).txn_id };
  };
  const h = await startServer(t, { handle });
  const a = await h.connect();
  const b = await h.connect();
  a.send(line(1, 'award', { txn_id: 'S1', customer_id: 'c1', basket }));
  await waitFor(() => started.includes('award'), { what: 'the award started' });
  t.match(await b.request('void', { txn_id: 'S1' }), { ok: true, result: { op: 'void' } }, 'the order holds per connection only');
  gates.open('award');
  t.match(await a.nextFrame(), { id: 1, ok: true });
});

t.test("a return's receipt (txn_id: the refund_id) sent with the return starts once the return is answered", async (t) => {
  const gates = new Gates();
  const log: string[] = [];
  const handle: Handler = async (op, params) => {
    const p = params as { txn_id?: string; refund_id?: string };
    const name = op === 'refund' ? `${p.refund_id} of ${p.txn_id}` : p.txn_id ?? '-';
    log.push(`start ${op} ${name}`);
    if (op === 'award' || op === 'refund') await gates.wait(name);
    log.push(`end ${op} ${name}`);
    return { op };
  };
  const h = await startServer(t, { handle });
  const pos = await h.connect();
  const doc = { currency: 'EUR', total: -100 };
  pos.send(line(1, 'award', { txn_id: 'S1', customer_id: 'c1', basket })
    + line(2, 'refund', { refund_id: 'R1', txn_id: 'S1', currency: 'EUR', items: [{ sku: 'A', qty: 1, amount: 100 }] })
    + line(3, 'receipt.print', { txn_id: 'R1', document: doc })
    + line(4, 'status', {}));
  t.match(await pos.nextFrame(), { id: 4, ok: true });
  t.same(log, ['start award S1', 'start status -', 'end status -'], 'the return waits for its award, the receipt for the return');
  gates.open('S1');
  t.match(await pos.nextFrame(), { id: 1, ok: true });
  await waitFor(() => log.includes('start refund R1 of S1'), { what: 'the return started' });
  t.notOk(log.includes('start receipt.print R1'), 'the receipt still waits');
  gates.open('R1 of S1');
  t.match(await pos.nextFrame(), { id: 2, ok: true });
  t.match(await pos.nextFrame(), { id: 3, ok: true });
  t.same(log.slice(3), ['end award S1', 'start refund R1 of S1', 'end refund R1 of S1', 'start receipt.print R1', 'end receipt.print R1']);

  // The return answered: a later receipt of it runs at once, as any request of a free sale.
  log.length = 0;
  t.match(await pos.request('receipt.print', { txn_id: 'R1', document: doc }), { ok: true });
  t.same(log, ['start receipt.print R1', 'end receipt.print R1']);
});

t.test('the request queued behind an award starts after what the award left for a nextTick (its outbox settle)', async (t) => {
  // The forwarder answers an online award before it settles the award's row, in a nextTick queued
  // as the answer is given: a receipt or spend sent with the award must start after that settle.
  const settled = new Set<string>();
  const seen: Array<[string, boolean]> = [];
  const gates = new Gates();
  const handle: Handler = async (op, params) => {
    const sale = (params as { txn_id: string }).txn_id;
    if (op === 'award') {
      await gates.wait(sale);
      process.nextTick(() => settled.add(sale));
      return { op };
    }
    seen.push([op, settled.has(sale)]);
    return { op };
  };
  const h = await startServer(t, { handle });
  const pos = await h.connect();
  pos.send(line(1, 'award', { txn_id: 'S1', customer_id: 'c1', basket }) + line(2, 'receipt.print', { txn_id: 'S1', document: { currency: 'EUR', total: 100 } })
    + line(3, 'spend', { txn_id: 'S1', customer_id: 'c1', amount: 10, currency: 'EUR' }));
  await waitFor(() => gates.waiting('S1') > 0, { what: 'the award started' });
  gates.open('S1');
  for (const id of [1, 2, 3]) t.match(await pos.nextFrame(), { id, ok: true });
  t.same(seen, [['receipt.print', true], ['spend', true]], 'each found the award settled');
});
