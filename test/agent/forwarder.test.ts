// The forwarder against a scripted host (a real SQLite outbox; the uplink replaced by a model of
// the host's chain rule, host/chain.ts): pipelining only with a host that chains, a window of
// requests in flight, and with requests lost, answers lost and answers reordered every message
// is applied once, in outbox order.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { openDb } from '../../agent/storage/db.ts';
import { EventBus } from '../../agent/events.ts';
import { Forwarder } from '../../agent/upstream/forwarder.ts';
import { silentLogger } from '../../runtime/log.ts';
import { Outbox } from '../../agent/upstream/outbox.ts';
import type { Uplink } from '../../agent/upstream/uplink.ts';
import { AgentError } from '../../protocol/errors.ts';
import type { Chain, UpstreamMessage, UpstreamResponse } from '../../protocol/upstream.ts';
import { seeded } from '../helpers/random.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { message } from './outbox-contract.ts';

interface HostModel {
  chains: boolean;
  /** Chance that a request never reaches the host / that its answer is lost. */
  loseRequest: number;
  loseAnswer: number;
  maxDelayMs: number;
}

function modelHost(model: HostModel, seed: number) {
  const rand = seeded(seed);
  const applied: string[] = [];
  const seen = new Set<string>();
  let last: number | null = null;
  let inFlight = 0;
  let maxInFlight = 0;
  const sizes: number[] = [];
  const process = (messages: UpstreamMessage[], chain: Chain | undefined, requestId: string): UpstreamResponse => {
    if (model.chains && chain && 'after' in chain && chain.after !== last) {
      return { v: 1, request_id: requestId, results: [], chain: { accepted: false, last } };
    }
    for (const m of messages) {
      if (!seen.has(m.id)) {
        seen.add(m.id);
        applied.push(m.id);
      }
      last = m.seq ?? last;
    }
    return {
      v: 1, request_id: requestId, results: messages.map((m) => ({ id: m.id, ok: true as const, result: {} })),
      ...(model.chains ? { chain: { accepted: true, last } } : {}),
    };
  };
  let n = 0;
  const uplink = {
    connected: true,
    onLateResponse: () => () => undefined,
    onState: () => () => undefined,
    request(messages: UpstreamMessage[], timeoutMs: number, chain?: Chain): Promise<UpstreamResponse> {
      sizes.push(messages.length);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      const requestId = `r${++n}`;
      return new Promise<UpstreamResponse>((resolve, reject) => {
        const timer = setTimeout(() => reject(new AgentError('UPSTREAM_TIMEOUT', 'no answer')), timeoutMs);
        if (rand() < model.loseRequest) return;
        setTimeout(() => {
          const response = process(messages, chain, requestId);
          if (rand() < model.loseAnswer) return;
          clearTimeout(timer);
          resolve(response);
        }, Math.floor(rand() * model.maxDelayMs));
      }).finally(() => { inFlight--; });
    },
  };
  return { uplink: uplink as unknown as Uplink, applied, stats: () => ({ maxInFlight, sizes }) };
}

async function drain(t: Test, model: HostModel, count: number, seed = 1) {
  const db = openDb(join(await tempDir(t), 'agent.db'));
  t.teardown(() => db.close());
  const outbox = new Outbox(db);
  const rows = await outbox.appendAll(Array.from({ length: count }, () => message()));
  const ids = rows.map((r) => r.row.id);
  const host = modelHost(model, seed);
  const forwarder = new Forwarder({
    outbox, uplink: host.uplink, events: new EventBus(), log: silentLogger(),
    batchSize: 10, backlogBatchSize: 25, window: 4, timeoutMs: 40, maxBackoffMs: 100,
  });
  forwarder.start();
  t.teardown(() => forwarder.stop());
  await waitFor(() => outbox.stats().pending === 0, { what: 'outbox drained', timeout: 60_000, interval: 10 });
  await forwarder.stop();
  return { ids, applied: host.applied, ...host.stats() };
}

t.test('a host that does not chain: one request at a time, at most batch_size messages', async (t) => {
  const r = await drain(t, { chains: false, loseRequest: 0, loseAnswer: 0, maxDelayMs: 3 }, 200);
  t.equal(r.maxInFlight, 1, 'stop-and-wait');
  t.ok(r.sizes.every((s) => s <= 10), 'batch_size');
  t.same(r.applied, r.ids, 'all applied in order');
});

t.test('a host that chains: a window of requests, larger batches, in order', async (t) => {
  const r = await drain(t, { chains: true, loseRequest: 0, loseAnswer: 0, maxDelayMs: 3 }, 500);
  t.equal(r.maxInFlight, 4, 'the window is used');
  t.equal(r.sizes[0], 10, 'the start request before the host said it chains: batch_size');
  t.ok(r.sizes.slice(1).some((s) => s === 25), 'then backlog_batch_size');
  t.same(r.applied, r.ids, 'all applied once, in order');
});

t.test('requests and answers lost, answers reordered: every message once, in order', async (t) => {
  for (const seed of [1, 2, 3]) {
    const r = await drain(t, { chains: true, loseRequest: 0.1, loseAnswer: 0.1, maxDelayMs: 15 }, 300, seed);
    t.same(r.applied, r.ids, `seed ${seed}: all applied once, in order`);
  }
});
