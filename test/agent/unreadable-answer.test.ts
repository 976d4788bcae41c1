// A host answer that is ok but does not match its op's schema (agent/upstream/host-results.ts,
// UPSTREAM.md "An answer the till cannot read"): the host has applied it, so the till records it
// as delivered and never sends it again, answers the POS UPSTREAM_BAD_ANSWER (now and on a
// repeat), and says so: an `outbox` event, status outbox.unreadable, the row in outbox.list (and
// `till-agent outbox list`).
// The agent runs in this process against a real mosquitto; the "host" is a plain MQTT client.
import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { configSchema } from '../../agent/config.ts';
import { startDaemon } from '../../agent/daemon.ts';
import type { UpstreamRequest } from '../../protocol/upstream.ts';
import { silentLogger } from '../../runtime/log.ts';
import { startBroker } from '../helpers/broker.ts';
import { cli } from '../helpers/cli.ts';
import { awardAnswer } from '../helpers/host-answers.ts';
import { freePort } from '../helpers/ports.ts';
import { connectPos } from '../helpers/pos-client.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };

t.test('an ok answer that fails its schema: delivered once, a structured error for the POS, counted and announced', async (t) => {
  const broker = await startBroker(t);
  // The host: answers every award; the one for txn bad-1 with a balance in fractions of a cent.
  const host = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'fake-host', clean: true });
  t.teardown(() => host.endAsync());
  const received: Array<{ id: string; txn_id: string | null }> = [];
  host.on('message', (_topic, payload) => {
    const request = JSON.parse(payload.toString('utf8')) as UpstreamRequest;
    const results = request.messages.map((m) => {
      received.push({ id: m.id, txn_id: m.txn_id });
      const answer = awardAnswer({ award_amount: 100, balance: { amount: 1100, currency: 'EUR' } });
      return { id: m.id, ok: true, result: m.txn_id === 'bad-1' ? { ...answer, balance: { amount: 1100.5, currency: 'EUR' } } : answer };
    });
    void host.publishAsync(request.reply_to, JSON.stringify({ v: 1, request_id: request.request_id, results }), { qos: 1 });
  });
  await host.subscribeAsync('till/v1/M1/S1/T1/req', { qos: 1 });

  const dir = await tempDir(t, 'till-unreadable-');
  const port = await freePort();
  const daemon = await startDaemon(configSchema.parse({
    terminal: 'T1', store: 'S1', merchant: 'M1', data_dir: join(dir, 'agent'), log_level: 'silent',
    socket: { tcp: `127.0.0.1:${port}`, unix: false },
    uplink: { url: broker.url },
  }), { log: silentLogger(), version: 'test' });
  t.teardown(() => daemon.stop());
  await waitFor(() => daemon.ctx.uplink.connected, { what: 'uplink online' });
  const watcher = await connectPos({ port });
  t.teardown(() => watcher.close());
  t.match(await watcher.request('events.subscribe', { topics: ['outbox'] }), { ok: true });
  const pos = await connectPos({ port });
  t.teardown(() => pos.close());

  const award = await pos.request('award', { txn_id: 'bad-1', customer_id: 'alice', basket });
  t.match(award, { ok: false, error: { code: 'UPSTREAM_BAD_ANSWER', retryable: false, message: /applied this award but its answer could not be read \(result\.balance\.amount: / } });
  const event = await watcher.waitForEvent('outbox', (d) => (d as { type: string }).type === 'unreadable');
  t.match(event.data, { type: 'unreadable', op: 'award', txn_id: 'bad-1', error: /result\.balance\.amount/, pending: 0, dead: 0, unreadable: 1 });
  t.match(await pos.request('status'), { ok: true, result: { outbox: { pending: 0, dead: 0, unreadable: 1 } } });
  t.match(await pos.request('outbox.list', { state: 'done' }), {
    ok: true, result: { messages: [{ txn_id: 'bad-1', state: 'done', result_error: /result\.balance\.amount/ }] },
  });

  // The operator's view: `till-agent outbox list --state done` names the fields.
  const listed = await cli('outbox', 'list', '--state', 'done', '--tcp', `127.0.0.1:${port}`);
  t.equal(listed.code, 0, listed.out);
  t.match(listed.out, /bad-1 .* answer unreadable: result\.balance\.amount: /);

  // The forwarder goes on: the next award is answered; the bad one was never sent again.
  t.match(await pos.request('award', { txn_id: 'good-1', customer_id: 'alice', basket }),
    { ok: true, result: { status: 'awarded', award_amount: 100, balance: { amount: 1100, currency: 'EUR' } } });
  t.match(await pos.request('award', { txn_id: 'bad-1', customer_id: 'alice', basket }),
    { ok: false, error: { code: 'UPSTREAM_BAD_ANSWER' } }, 'a repeat reads the same stored answer');
  t.same(received.map((m) => m.txn_id), ['bad-1', 'good-1'], 'each award reached the host once');
  t.same(daemon.ctx.outbox.nextPending(10), [], 'nothing waits to be resent');
});
