// What the forwarder does around one send: the request goes out first, and the attempt count and
// the outbox's checkpoint come after it, while the host has the request (not on the POS's wait).
import t from 'tap';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { openDb } from '../../agent/storage/db.ts';
import { EventBus } from '../../agent/events.ts';
import { Forwarder } from '../../agent/upstream/forwarder.ts';
import { Outbox } from '../../agent/upstream/outbox.ts';
import type { Uplink } from '../../agent/upstream/uplink.ts';
import type { UpstreamMessage, UpstreamResponse } from '../../protocol/upstream.ts';
import { silentLogger } from '../../runtime/log.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { message } from './outbox-contract.ts';

/** An uplink that is online and sends through `request`. */
function fakeUplink(request: (messages: UpstreamMessage[]) => Promise<UpstreamResponse>): Uplink {
  return { connected: true, onLateResponse: () => () => undefined, onState: () => () => undefined, request } as unknown as Uplink;
}

/** Every message answered ok. */
function allOk(messages: UpstreamMessage[], request_id: string): UpstreamResponse {
  return { v: 1, request_id, results: messages.map((m) => ({ id: m.id, ok: true as const, result: {} })) };
}

function newForwarder(outbox: Outbox, uplink: Uplink, events = new EventBus()): Forwarder {
  return new Forwarder({
    outbox, uplink, events, log: silentLogger(),
    batchSize: 10, backlogBatchSize: 25, window: 4, timeoutMs: 1000, maxBackoffMs: 100,
  });
}

/** Notes each checkpoint the outbox is asked for in `events`. */
function recordCheckpoints(outbox: Outbox, events: string[]): void {
  const checkpointIfDue = outbox.checkpointIfDue.bind(outbox);
  outbox.checkpointIfDue = () => {
    events.push('checkpoint');
    checkpointIfDue();
  };
}

t.test('the request is sent before its attempt is counted; the count and a checkpoint follow before the answer', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  const events: string[] = [];
  recordCheckpoints(outbox, events);
  let answer: ((r: UpstreamResponse) => void) | undefined;
  const uplink = fakeUplink((messages) => {
    events.push(`request: attempts ${outbox.get(messages[0]!.id)?.attempts}`);
    return new Promise((resolve) => {
      answer = () => resolve(allOk(messages, 'r1'));
    });
  });
  const forwarder = newForwarder(outbox, uplink);
  const m = message();
  await outbox.append(m);
  forwarder.start();
  t.teardown(() => forwarder.stop());
  await waitFor(() => events.includes('checkpoint'), { what: 'the upkeep after the send' });
  t.same(events, ['request: attempts 0', 'checkpoint'], 'sent first, then the upkeep');
  t.equal(outbox.get(m.id)?.attempts, 1, 'the attempt is counted meanwhile');
  answer!({} as UpstreamResponse);
  await waitFor(() => outbox.get(m.id)?.state === 'done', { what: 'the row settled' });
  t.equal(outbox.get(m.id)?.attempts, 1);
});

t.test('a forwarder stopped right after sending counts nothing more (the database may be closing)', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  let sent = false;
  const uplink = fakeUplink(() => {
    sent = true;
    return new Promise(() => undefined);
  });
  const forwarder = newForwarder(outbox, uplink);
  const m = message();
  await outbox.append(m);
  forwarder.start(); // sends at once: the loop's first fill runs before start returns
  t.ok(sent, 'sent');
  void forwarder.stop();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(outbox.get(m.id)?.attempts, 0, 'not counted after the stop');
});

t.test('a row sent the moment it is committed has that send counted by its commit: on disk before the request leaves, once', async (t) => {
  const file = join(await tempDir(t), 'agent.db');
  const db = openDb(file);
  t.teardown(() => db.close());
  // What a restarted agent would find: another connection to the file.
  const disk = new Database(file, { readonly: true });
  t.teardown(() => disk.close());
  const onDisk = (id: string) => (disk.prepare('SELECT attempts FROM outbox WHERE id = ?').get(id) as { attempts: number }).attempts;
  const outbox = new Outbox(db);
  const events: string[] = [];
  recordCheckpoints(outbox, events);
  const answers: Array<() => void> = [];
  const uplink = fakeUplink((messages) => {
    events.push(`request: attempts on disk ${onDisk(messages[0]!.id)}`);
    return new Promise((resolve) => {
      answers.push(() => resolve(allOk(messages, 'r')));
    });
  });
  const forwarder = newForwarder(outbox, uplink);
  // The first row: the forwarder learns that nothing else is pending (a read), counted after its send.
  const first = message();
  await outbox.append(first);
  forwarder.start();
  t.teardown(() => forwarder.stop());
  await waitFor(() => events.includes('checkpoint'), { what: 'the upkeep after the first send' });
  t.same(events.splice(0), ['request: attempts on disk 0', 'checkpoint'], 'a row committed before: counted after its send');
  answers.shift()!();
  await waitFor(() => outbox.get(first.id)?.state === 'done', { what: 'the first row settled' });

  // The online path: an early commit, then the forwarder woken (agent/ops/outcome.ts commitAndAwait).
  const m = message();
  const { outcome } = await outbox.appendEarly(m);
  forwarder.wake();
  t.equal(outcome.row.attempts, 1, 'the committed row says so');
  await waitFor(() => events.includes('checkpoint'), { what: 'the upkeep after the send' });
  t.same(events, ['request: attempts on disk 1', 'checkpoint'], 'counted on disk before the send: a send that kills the agent is counted');
  t.equal(outbox.get(m.id)?.attempts, 1, 'once: not again after the send');
  answers.shift()!();
  await waitFor(() => outbox.get(m.id)?.state === 'done', { what: 'the row settled' });
  t.equal(outbox.get(m.id)?.attempts, 1);
});

t.test("a delivery's 'outbox' event says pending 0 without a read when the outbox knows that nothing is pending", async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  let statsReads = 0;
  const stats = outbox.stats.bind(outbox);
  outbox.stats = () => {
    statsReads += 1;
    return stats();
  };
  const answers: Array<() => void> = [];
  const uplink = fakeUplink((messages) => new Promise((resolve) => {
    answers.push(() => resolve(allOk(messages, 'r')));
  }));
  const bus = new EventBus();
  const seen: Array<{ pending: unknown; reads: number }> = [];
  // As the daemon's backlog memory release does: the pending count of every delivery.
  bus.on('outbox', (_topic, e) => { if (e.type === 'delivered') seen.push({ pending: e.pending, reads: statsReads }); });
  const forwarder = newForwarder(outbox, uplink, bus);
  const a = message();
  await outbox.append(a);
  forwarder.start();
  t.teardown(() => forwarder.stop());
  await waitFor(() => answers.length === 1, { what: 'the first send' });
  answers.shift()!();
  await waitFor(() => seen.length === 1, { what: 'the first delivery' });
  t.same(seen[0], { pending: 0, reads: 0 }, 'nothing pending, known: no read');
  const b = message();
  await outbox.append(b);
  forwarder.wake(); // as agent/ops/outcome.ts does after a commit
  await waitFor(() => answers.length === 1, { what: 'the second send' });
  const c = message();
  await outbox.append(c); // pending while b is answered
  answers.shift()!();
  await waitFor(() => seen.length === 2, { what: 'the second delivery' });
  t.same(seen[1], { pending: 1, reads: 1 }, 'a row pending: read');
});
