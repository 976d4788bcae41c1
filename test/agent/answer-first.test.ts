// The POS's answer before the settle (agent/upstream/forwarder.ts answerFirst, UPSTREAM.md "The POS's
// answer before the settle"): an online award, void or refund answered ok is handed to its waiter
// (commitAndAwait) first; the settle's write transaction follows in a nextTick, after every promise
// continuation of the answer and before any other I/O callback. A refusal and a batch are settled first.
import t from 'tap';
import { join } from 'node:path';
import { EventBus } from '../../agent/events.ts';
import type { OpsContext } from '../../agent/ops/context.ts';
import { commitAndAwait } from '../../agent/ops/outcome.ts';
import { openDb } from '../../agent/storage/db.ts';
import { Forwarder } from '../../agent/upstream/forwarder.ts';
import { Outbox, type OutboxRow } from '../../agent/upstream/outbox.ts';
import type { Uplink } from '../../agent/upstream/uplink.ts';
import type { UpstreamMessage, UpstreamResponse, UpstreamResult } from '../../protocol/upstream.ts';
import { silentLogger } from '../../runtime/log.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { message } from './outbox-contract.ts';

type Test = { teardown(fn: () => unknown): void };

const AWARD_RESULT = {
  currency: 'EUR', award_amount: 150, instant_spend_amount: 50, automatic_spend_amount: 0, total_spend_amount: 50,
  balance: { amount: 1100, currency: 'EUR' }, reduction: 'front_end', offers: [],
};

/** A real outbox and forwarder; a host whose answers the test sends by hand (`answer`); `log` records the order of things. */
async function harness(t: Test, result: (m: UpstreamMessage) => UpstreamResult = (m) => ({ id: m.id, ok: true, result: AWARD_RESULT })) {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  const outbox = new Outbox(db);
  t.teardown(() => { outbox.close(); db.close(); });
  const log: string[] = [];
  const settle = outbox.settle.bind(outbox);
  outbox.settle = (outcomes) => {
    log.push(`settle: stored ${outcomes.map((o) => outbox.get(o.id)?.state).join(',')}`);
    return settle(outcomes);
  };
  const sent: string[][] = [];
  const answers: Array<() => void> = [];
  const uplink = {
    connected: true,
    onLateResponse: () => () => undefined,
    onState: () => () => undefined,
    request(messages: UpstreamMessage[]): Promise<UpstreamResponse> {
      sent.push(messages.map((m) => m.id));
      return new Promise((resolve) => {
        answers.push(() => resolve({ v: 1, request_id: `r${sent.length}`, results: messages.map(result) } as UpstreamResponse));
      });
    },
  } as unknown as Uplink;
  const events = new EventBus();
  // What a POS subscribed to outbox events hears, in order with the rest.
  events.on('outbox', (_topic, e) => { log.push(`event: ${String(e.type)}`); });
  const forwarder = new Forwarder({
    outbox, uplink, events, log: silentLogger(),
    batchSize: 10, backlogBatchSize: 25, window: 4, timeoutMs: 5000, maxBackoffMs: 100,
  });
  forwarder.start();
  t.teardown(() => forwarder.stop());
  const ctx = { outbox, forwarder, uplink, faults: new Set<string>(), config: { uplink: { request_timeout_ms: 5000 } } } as unknown as OpsContext;
  return { ctx, outbox, forwarder, log, sent, answers };
}

/** As the award op and the POS connection do: a few more awaits between the answered row and the socket write. */
async function answerThePos(ctx: OpsContext, input: ReturnType<typeof message>, log: string[]): Promise<OutboxRow> {
  const row = await commitAndAwait(ctx, input);
  const result = await Promise.resolve({ status: row.state });
  await null;
  log.push(`answer written: ${result.status}, stored ${ctx.outbox.get(input.id)?.state}`);
  return row;
}

t.test('an online award: the POS is answered before the settle\'s write transaction, which follows before any other I/O; sent once', async (t) => {
  const h = await harness(t);
  const input = message({ op: 'award' });
  const answered = answerThePos(h.ctx, input, h.log);
  await waitFor(() => h.answers.length === 1, { what: 'the award sent' });
  await h.outbox.drainWrites(); // the row's fsync is done: the answer waits for nothing else
  let ioBetween = false;
  h.answers.shift()!();
  // An I/O callback (as another POS request or the next MQTT packet would be) queued now runs only after the settle.
  setImmediate(() => { ioBetween = !h.log.some((l) => l.startsWith('settle')); });
  const row = await answered;
  t.match(row, { id: input.id, state: 'done', result: { award_amount: 150, instant_spend_amount: 50 } }, 'the answer is the host\'s, checked');
  await waitFor(() => h.outbox.get(input.id)?.state === 'done', { what: 'the row settled' });
  t.same(h.log, ['answer written: done, stored pending', 'settle: stored pending', 'event: delivered'], 'answered, then settled, then the event');
  t.equal(ioBetween, false, 'no I/O callback ran between the answer and the settle');
  t.match(h.outbox.get(input.id), { state: 'done', result: { award_amount: 150 } }, 'stored as answered');
  // The flight ended after the settle: the forwarder's next look at the outbox finds nothing to send again.
  await new Promise((r) => setTimeout(r, 50));
  t.same(h.sent, [[input.id]], 'sent once');
});

t.test('between the answer and the settle a second waiter of the same row hears the answered row at once', async (t) => {
  const input = message({ op: 'void', txn_id: 'V-1' });
  const voidResult = { reversed_award_amount: 100, reversed_spend_amount: 0 };
  const h2 = await harness(t, (m) => ({ id: m.id, ok: true, result: voidResult }));
  let second: Promise<OutboxRow | null> | undefined;
  const first = commitAndAwait(h2.ctx, input).then((row) => {
    // A repeat of the request (another POS connection) in the same turn: waitFor reads the row (pending on disk).
    second = h2.forwarder.waitFor(input.id, 5000);
    return row;
  });
  await waitFor(() => h2.answers.length === 1, { what: 'the void sent' });
  h2.answers.shift()!();
  t.match(await first, { state: 'done', result: voidResult });
  // Heard before the next turn of the event loop (a waiter left for its timeout or the settle is not), however busy the machine.
  const heard = await Promise.race([second!.then(() => 'at once'), new Promise((resolve) => setImmediate(() => resolve('waiting')))]);
  t.match(await second, { id: input.id, state: 'done', result: voidResult }, 'the answered row, not a wait for the timeout');
  t.equal(heard, 'at once', 'at once');
  await waitFor(() => h2.outbox.get(input.id)?.state === 'done', { what: 'the row settled' });
});

t.test('a refusal and a batch of several rows are settled before their waiters hear them (as before)', async (t) => {
  const refused = await harness(t, (m) => ({ id: m.id, ok: false, error: { code: 'NOT_FOUND', message: 'no', permanent: true } }));
  const a = message({ op: 'award' });
  const deadAnswer = answerThePos(refused.ctx, a, refused.log);
  await waitFor(() => refused.answers.length === 1, { what: 'the award sent' });
  refused.answers.shift()!();
  t.match(await deadAnswer, { state: 'dead' });
  // No 'delivered' event: the answer delivered nothing (LOCAL.md Events).
  t.same(refused.log, ['settle: stored pending', 'event: dead', 'answer written: dead, stored dead'], 'a refusal is committed (and synced) first');

  const batch = await harness(t);
  const b = message({ op: 'award' });
  const c = message({ op: 'award' });
  await batch.outbox.append(b);
  await batch.outbox.append(c);
  const heard = (id: string) => batch.forwarder.waitFor(id, 5000).then((row) => {
    batch.log.push(`answer written: ${row?.state}, stored ${batch.outbox.get(id)?.state}`);
  });
  const answersOf = [heard(b.id), heard(c.id)];
  batch.forwarder.wake();
  await waitFor(() => batch.answers.length === 1, { what: 'the batch sent' });
  t.same(batch.sent, [[b.id, c.id]], 'one request of two rows');
  batch.answers.shift()!();
  await Promise.all(answersOf);
  t.same(batch.log, ['settle: stored pending,pending', 'event: delivered', 'answer written: done, stored done', 'answer written: done, stored done'], 'settled first');
});
