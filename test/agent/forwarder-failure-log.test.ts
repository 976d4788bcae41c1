// A host that stays away (no subscriber, timeouts) is an expected state: the forwarder's
// "outbox delivery failed" warns on failures 1, 2, 4, 8, … of the same error (the rest at debug),
// names the first message's sale, and starts over once a send is answered, which one info line says.
import t from 'tap';
import { join } from 'node:path';
import { openDb } from '../../agent/storage/db.ts';
import { EventBus } from '../../agent/events.ts';
import { Forwarder } from '../../agent/upstream/forwarder.ts';
import { Outbox } from '../../agent/upstream/outbox.ts';
import type { Uplink } from '../../agent/upstream/uplink.ts';
import { AgentError } from '../../protocol/errors.ts';
import type { UpstreamMessage, UpstreamResponse } from '../../protocol/upstream.ts';
import { capturingLogger } from '../helpers/log-capture.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { message } from './outbox-contract.ts';

t.test('a host down: a warning on failures 1, 2, 4, 8 of the same error, not on each resend', async (t) => {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  const [first] = await outbox.appendAll([message()]);
  let answer: 'none' | 'other' | 'ok' = 'none';
  let sends = 0;
  const uplink = {
    connected: true,
    onLateResponse: () => () => undefined,
    onState: () => () => undefined,
    async request(messages: UpstreamMessage[]): Promise<UpstreamResponse> {
      sends++;
      if (answer === 'none') throw new AgentError('UPSTREAM_UNAVAILABLE', 'no loyalty host is subscribed to the request topic');
      if (answer === 'other') throw new AgentError('UPSTREAM_TIMEOUT', 'no answer from the host');
      return { v: 1, request_id: 'r', results: messages.map((m) => ({ id: m.id, ok: true as const, result: {} })) };
    },
  } as unknown as Uplink;
  const { log, lines } = capturingLogger();
  const forwarder = new Forwarder({
    outbox, uplink, events: new EventBus(), log, batchSize: 10, backlogBatchSize: 10, window: 1, timeoutMs: 50, maxBackoffMs: 100,
  });
  forwarder.start();
  t.teardown(() => forwarder.stop());
  const failures = () => lines.filter((l) => l.msg === 'outbox delivery failed; will resend');
  await waitFor(() => failures().length >= 9, { what: 'nine failed sends', timeout: 20_000, interval: 10 });
  answer = 'other'; // a new error: a warning at once
  await waitFor(() => failures().some((l) => /no answer/.test(String((l.err as { message: string }).message))), { what: 'the other error', timeout: 10_000, interval: 10 });
  answer = 'ok';
  await waitFor(() => outbox.stats().pending === 0, { what: 'delivered', timeout: 10_000, interval: 10 });
  await forwarder.stop();
  const seen = failures();
  const warned = seen.slice(0, 9).map((l) => l.level);
  t.same(warned, ['warn', 'warn', 'debug', 'warn', 'debug', 'debug', 'debug', 'warn', 'debug'], 'attempts 1, 2, 4, 8 warn');
  t.match(seen[0], { attempt: 1, first: first!.row.id, txn_id: first!.row.txn_id, count: 1 });
  const other = seen.find((l) => /no answer/.test(String((l.err as { message: string }).message)));
  t.equal(other?.level, 'warn', 'a new error warns whatever its attempt');
  t.ok(sends > 9);
  const back = lines.filter((l) => l.msg === 'outbox delivery answered again after failed sends');
  t.equal(back.length, 1, 'one line when the host answers again');
  t.match(back[0], { level: 'info', failed_sends: seen.length, first: first!.row.id, txn_id: first!.row.txn_id, count: 1 });
});
