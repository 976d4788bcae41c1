// Online award, void and refund: the request goes to the host while the outbox's fsync runs, and
// the POS's answer waits for both (agent/ops/outcome.ts commitAndAwait, UPSTREAM.md "Online
// requests: the local fsync overlaps the round trip"). The WAL's fdatasync is held by the test.
import t from 'tap';
import { join } from 'node:path';
import { EventBus } from '../../agent/events.ts';
import type { OpsContext } from '../../agent/ops/context.ts';
import { commitAndAwait } from '../../agent/ops/outcome.ts';
import { openDb } from '../../agent/storage/db.ts';
import { Forwarder } from '../../agent/upstream/forwarder.ts';
import { Outbox } from '../../agent/upstream/outbox.ts';
import type { SyncFn } from '../../runtime/wal-sync.ts';
import type { Uplink } from '../../agent/upstream/uplink.ts';
import type { UpstreamMessage, UpstreamResponse } from '../../protocol/upstream.ts';
import { silentLogger } from '../../runtime/log.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { message } from './outbox-contract.ts';

/** An fdatasync the test completes (or fails) by hand (the WAL is never really synced: a test database). */
function heldSync() {
  const held: Array<(error: NodeJS.ErrnoException | null) => void> = [];
  const sync: SyncFn = (_fd, done) => { held.push(done); };
  return {
    sync,
    get count() { return held.length; },
    release(error: NodeJS.ErrnoException | null = null) {
      const done = held.shift();
      if (!done) throw new Error('no fsync is held');
      done(error);
    },
  };
}

async function openOutbox(t: Test, sync: SyncFn) {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  const outbox = new Outbox(db, () => new Date(), undefined, () => new Date(), sync);
  t.teardown(() => { outbox.close(); db.close(); });
  return outbox;
}

type Test = { teardown(fn: () => unknown): void };
const turn = () => new Promise((r) => setImmediate(r));

t.test('appendEarly: the row reaches the forwarder once committed; an ordinary row before it holds it back (FIFO)', async (t) => {
  const fsync = heldSync();
  const outbox = await openOutbox(t, fsync.sync);
  const early = message({ op: 'award' });
  const committed = await outbox.appendEarly(early);
  t.equal(committed.outcome.kind, 'created');
  t.equal(fsync.count, 1, 'its fsync has not completed');
  t.same(outbox.nextPending(10).map((r) => r.id), [early.id], 'handed out before the fsync');
  let durable = false;
  void committed.durable.then(() => { durable = true; });
  await turn();
  t.equal(durable, false, 'not durable before the fsync');
  fsync.release();
  await committed.durable;

  // One group commit: an ordinary append first, an early one after it. Neither may leave before the
  // fsync: the early row would overtake the ordinary one.
  const plain = message({ op: 'spend' });
  const second = message({ op: 'award' });
  const appended = outbox.append(plain);
  const secondCommitted = await outbox.appendEarly(second);
  t.equal(fsync.count, 1);
  t.same(outbox.nextPending(10).map((r) => r.id), [early.id], 'the ordinary row and the early row after it wait');
  fsync.release();
  await appended;
  await secondCommitted.durable;
  t.same(outbox.nextPending(10).map((r) => r.id), [early.id, plain.id, second.id]);
});

/** A context for commitAndAwait: a real outbox and forwarder, a host that answers every message at once. */
async function harness(t: Test, fsync: SyncFn) {
  const outbox = await openOutbox(t, fsync);
  const sent: string[] = [];
  const uplink = {
    connected: true,
    onLateResponse: () => () => undefined,
    onState: () => () => undefined,
    request(messages: UpstreamMessage[]): Promise<UpstreamResponse> {
      sent.push(...messages.map((m) => m.id));
      return Promise.resolve({
        v: 1, request_id: 'r',
        results: messages.map((m) => ({ id: m.id, ok: true as const, result: { reversed_award_amount: 100, reversed_spend_amount: 0 } })),
      } as UpstreamResponse);
    },
  } as unknown as Uplink;
  const forwarder = new Forwarder({
    outbox, uplink, events: new EventBus(), log: silentLogger(),
    batchSize: 10, backlogBatchSize: 25, window: 4, timeoutMs: 1000, maxBackoffMs: 100,
  });
  forwarder.start();
  t.teardown(() => forwarder.stop());
  const ctx = { outbox, forwarder, uplink, faults: new Set<string>(), config: { uplink: { request_timeout_ms: 5000 } } } as unknown as OpsContext;
  return { ctx, outbox, sent };
}

t.test('an online void is at the host before its fsync completes; the answer waits for the fsync', async (t) => {
  const fsync = heldSync();
  const { ctx, outbox, sent } = await harness(t, fsync.sync);
  const input = message({ op: 'void', txn_id: 'V-1' });
  let answered = false;
  const answer = commitAndAwait(ctx, input).then((row) => { answered = true; return row; });
  await waitFor(() => outbox.get(input.id)?.state === 'done', { what: 'the host answer settled' });
  t.same(sent, [input.id], 'sent while the fsync is held');
  t.equal(fsync.count, 1);
  await turn();
  t.equal(answered, false, 'no answer before the fsync');
  fsync.release();
  t.match(await answer, { id: input.id, state: 'done', result: { reversed_award_amount: 100 } });
});

t.test('a failed fsync fails the request even though the host answered; the answer is kept for a repeat', async (t) => {
  const fsync = heldSync();
  const { ctx, outbox } = await harness(t, fsync.sync);
  const input = message({ op: 'void', txn_id: 'V-2' });
  const answer = commitAndAwait(ctx, input);
  await waitFor(() => outbox.get(input.id)?.state === 'done', { what: 'the host answer settled' });
  fsync.release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  await t.rejects(answer, { code: 'EIO' }, 'the POS hears the storage error, not "voided"');
  t.match(outbox.findByTxn('void', 'V-2'), { state: 'done', result: { reversed_award_amount: 100 } }, 'a repeat finds the host answer');
});

t.test('spend and offline requests keep the serial path: nothing is sent before the fsync', async (t) => {
  const fsync = heldSync();
  const { ctx, outbox, sent } = await harness(t, fsync.sync);
  const spend = message({ op: 'spend', txn_id: 'S-1', amount: 100 });
  const answer = commitAndAwait(ctx, spend);
  await waitFor(() => fsync.count === 1, { what: 'the commit' });
  for (let i = 0; i < 5; i++) await turn();
  t.same(sent, [], 'a spend waits for its fsync');
  fsync.release();
  t.match(await answer, { state: 'done' });
  t.same(sent, [spend.id]);

  (ctx.uplink as { connected: boolean }).connected = false;
  let offlineAnswered = false;
  const offline = commitAndAwait(ctx, message({ op: 'award', txn_id: 'A-off' })).then((row) => { offlineAnswered = true; return row; });
  await waitFor(() => fsync.count === 1, { what: 'the commit' });
  t.same(outbox.nextPending(10), [], 'an award committed offline is not handed out before its fsync');
  for (let i = 0; i < 5; i++) await turn();
  t.equal(offlineAnswered, false, 'an offline award is answered only after its fsync');
  fsync.release();
  t.match(await offline, { state: 'pending' });
  // Answered with the committed row at once, without waiting for the host (nor asking the forwarder).
  const waitFor0 = ctx.forwarder.waitFor;
  ctx.forwarder.waitFor = () => { throw new Error('an offline award must not wait for the host'); };
  t.teardown(() => { ctx.forwarder.waitFor = waitFor0; });
  const second = commitAndAwait(ctx, message({ op: 'award', txn_id: 'A-off-2' }));
  await waitFor(() => fsync.count === 1, { what: 'the commit' });
  fsync.release();
  t.match(await second, { txn_id: 'A-off-2', state: 'pending' });
});
