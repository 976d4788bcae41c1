// `till-agent outbox list --state done` answers the support engineer's "did the customer get their
// points?": each delivered message with what the host answered (award, points, spend, reversal,
// balance), and the newest rows, not the oldest of the 30 days a till keeps (thousands on a busy till).
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
import { awardAnswer, spendAnswer, voidAnswer } from '../helpers/host-answers.ts';
import { freePort } from '../helpers/ports.ts';
import { connectPos } from '../helpers/pos-client.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const basket = { currency: 'EUR', total: 1000, items: [{ sku: 'COFFEE', qty: 1, unit_price: 1000, amount: 1000 }] };
const eur = (amount: number) => ({ amount, currency: 'EUR' });
const pts = (amount: number) => ({ amount, currency: 'PTS' });

t.test('outbox list --state done: the host\'s answer of each delivered message, newest rows first chosen', async (t) => {
  const broker = await startBroker(t);
  const host = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'fake-host', clean: true });
  t.teardown(() => host.endAsync());
  host.on('message', (_topic, payload) => {
    const request = JSON.parse(payload.toString('utf8')) as UpstreamRequest;
    const results = request.messages.map((m) => {
      const result = m.op === 'spend' ? spendAnswer({ spent_amount: 200, balance: eur(2366) })
        : m.op === 'void' ? voidAnswer({ currency: 'EUR', reversed_award_amount: 116, reversed_spend_amount: 50, reversed_points: [pts(37)], balance: eur(1500), wallets: [eur(1500), pts(250)] })
        : awardAnswer({ award_amount: 116, total_spend_amount: 50, balance: eur(2566), points: [pts(37)], wallets: [eur(2566), pts(287)] });
      return { id: m.id, ok: true, result };
    });
    void host.publishAsync(request.reply_to, JSON.stringify({ v: 1, request_id: request.request_id, results }), { qos: 1 });
  });
  await host.subscribeAsync('till/v1/M1/S1/T1/req', { qos: 1 });

  const dir = await tempDir(t, 'till-list-done-');
  const port = await freePort();
  const daemon = await startDaemon(configSchema.parse({
    terminal: 'T1', store: 'S1', merchant: 'M1', data_dir: join(dir, 'agent'), log_level: 'silent',
    socket: { tcp: `127.0.0.1:${port}`, unix: false },
    uplink: { url: broker.url },
  }), { log: silentLogger(), version: 'test' });
  t.teardown(() => daemon.stop());
  await waitFor(() => daemon.ctx.uplink.connected, { what: 'uplink online' });
  const pos = await connectPos({ port });
  t.teardown(() => pos.close());

  for (let i = 1; i <= 3; i++) {
    t.match(await pos.request('award', { txn_id: `sale-${i}`, customer_id: 'dara', basket }), { ok: true, result: { status: 'awarded' } });
  }
  t.match(await pos.request('spend', { txn_id: 'sale-3', customer_id: 'dara', amount: 200, currency: 'EUR' }), { ok: true, result: { status: 'spent' } });
  t.match(await pos.request('void', { txn_id: 'sale-2' }), { ok: true, result: { status: 'voided' } });

  const listed = await cli('outbox', 'list', '--state', 'done', '--tcp', `127.0.0.1:${port}`);
  t.equal(listed.code, 0, listed.out);
  const lines = listed.out.trim().split('\n');
  t.match(lines[0], /^0 pending, 0 dead; showing the newest 5 done:$/);
  t.match(lines[1], /award\s+sale-1 .* award 1\.16 EUR \+ 37 PTS, spent 0\.50 EUR, balance 25\.66 EUR, 287 PTS$/, 'the award, its points and the balance after');
  t.match(lines[4], /spend\s+sale-3 .* spent 2\.00 EUR, balance 23\.66 EUR$/);
  t.match(lines[5], /void\s+sale-2 .* reversed award 1\.16 EUR \+ 37 PTS, spend 0\.50 EUR, balance 15\.00 EUR, 250 PTS$/);

  // --json keeps the whole answer and when the host gave it.
  const json = JSON.parse((await cli('outbox', 'list', '--state', 'done', '--json', '--tcp', `127.0.0.1:${port}`)).out) as
    { messages: Array<{ txn_id: string; result: unknown; settled_at: string | null }> };
  t.match(json.messages[0], { txn_id: 'sale-1', result: { award_amount: 116, balance: eur(2566), points: [pts(37)] }, settled_at: /^\d{4}-/ });

  // With a limit: the newest done rows (what a support engineer asks about), still oldest first.
  const newest = await cli('outbox', 'list', '--state', 'done', '--limit', '2', '--tcp', `127.0.0.1:${port}`);
  t.equal(newest.code, 0, newest.out);
  t.match(newest.out, /showing the newest 2 done:\n.*spend\s+sale-3 .*\n.*void\s+sale-2 .*\n$/);
  t.notMatch(newest.out, /sale-1/, 'not the oldest');
});
