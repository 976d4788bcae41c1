// A pipelined drain (window > 1, chained requests) into two host processes sharing one
// subscription on a real mosquitto and one ledger (a SQLite file; a PostgreSQL schema in
// drain-hosts-postgres.test.ts), one of them SIGKILLed mid-drain: the till's awards are applied
// exactly once and in the till's order.
//
// The till's link goes through a TCP relay the test cuts and restores (the shop's line going
// down), so both hosts stay subscribed while the backlog builds and share the drain from its
// first request.
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import type { PosClient } from '../helpers/pos-client.ts';
import { startProcess, type Proc } from '../helpers/processes.ts';
import { TEST_STORE } from '../helpers/host-fixtures.ts';
import { TEST_PG_URL, pgQuery, pgTestSchema } from '../helpers/pg.ts';
import { freePort } from '../helpers/ports.ts';
import { startSystem, TEST_SEED } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

// Fewer on PostgreSQL: each message is a dozen round trips there, on a machine shared with the suite.
const N = TEST_STORE === 'postgres' ? 1000 : 3000;
const basket = { currency: 'EUR', total: 100, items: [{ sku: 'COFFEE', qty: 1, unit_price: 100, amount: 100 }] };

async function pending(pos: PosClient): Promise<number> {
  const r = await pos.request('status');
  return r.ok ? (r.result as { outbox: { pending: number } }).outbox.pending : -1;
}

/** A TCP relay to the broker whose link can be cut (connections closed, new ones refused). */
async function relay(t: { teardown(fn: () => unknown): void }, target: number) {
  const port = await freePort();
  const open = new Set<Socket>();
  let up = true;
  const server = createServer((inbound) => {
    if (!up) return void inbound.destroy();
    const outbound = connect(target, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      open.add(s);
      s.on('error', () => undefined);
      s.on('close', () => { open.delete(s); inbound.destroy(); outbound.destroy(); });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => { for (const s of open) s.destroy(); server.close(); });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    cut() { up = false; for (const s of open) s.destroy(); },
    restore() { up = true; },
  };
}

t.test('pipelined drain into two hosts, one SIGKILLed: in order, exactly once', async (t) => {
  // Small batches and a window of 4: many chained requests, spread over both hosts.
  const sys = await startSystem(t, {
    startHost: false,
    startAgent: false, // started below, over the relay
    agent: { log_level: 'info', outbox: { batch_size: 20, backlog_batch_size: 40, window: 4, max_backoff_ms: 500 } },
  });
  const link = await relay(t, Number(new URL(sys.broker.url).port));
  const hosts: Proc[] = [];
  const schema = TEST_STORE === 'postgres' ? pgTestSchema(t) : '';
  const store = TEST_STORE === 'postgres' ? { store: 'postgres', postgres: { url: TEST_PG_URL, schema } } : {};
  for (const name of ['a', 'b']) {
    const file = join(sys.dir, `host-${name}.yaml`);
    await writeFile(file, stringify({
      data_dir: join(sys.dir, 'host-data'), seed: TEST_SEED, log_level: 'info', ...store,
      // No client_id: clean sessions, so the broker stops routing to a host once it is gone
      // (a dead host's persistent session would keep taking its share until it came back).
      uplink: { url: sys.broker.url },
    }));
    const host = startProcess(t, ['host', '--config', file]);
    await host.waitForLog((l) => l.msg === 'consumer subscribed', `host ${name} subscribed`);
    hosts.push(host);
  }
  // The agent, over the relay, its link cut.
  link.cut();
  await writeFile(sys.agentConfig, (await readFile(sys.agentConfig, 'utf8')).replace(sys.broker.url, link.url));
  await sys.startAgent();
  const pos = await sys.pos();
  for (let start = 0; start < N; start += 500) {
    const wave = [];
    for (let i = start; i < start + 500; i++) wave.push(pos.request('award', { txn_id: `p-${i}`, customer_id: 'alice', basket }, i));
    const answers = await Promise.all(wave);
    if (!answers.every((a) => a.ok && (a.result as { status: string }).status === 'queued')) {
      t.fail(`award wave at ${start} was not all queued`);
      return;
    }
  }
  t.equal(await pending(pos), N, 'all queued on disk');

  link.restore();
  const handled = (h: Proc) => h.lines().filter((l) => l.msg === 'request handled');

  // SIGKILL host a once both hosts are applying, in the middle of the drain.
  const applying = (h: Proc) => handled(h).filter((l) => Number(l.applied) > 0).length;
  await waitFor(() => applying(hosts[0]!) >= 5 && applying(hosts[1]!) >= 1, { what: 'both hosts applying', timeout: 60_000, interval: 5 });
  hosts[0]!.child.kill('SIGKILL');
  const left = await pending(pos);
  t.ok(left > 0, `host a killed mid-drain (${left} still pending)`);

  await waitFor(async () => (await pending(pos)) === 0, { what: 'backlog drained', timeout: 120_000, interval: 200 });

  const appliedSql = "SELECT txn_id FROM entries WHERE kind = 'award' AND terminal = 'M1/S1/T1' ORDER BY seq";
  let rows: Array<{ txn_id: string }>;
  if (TEST_STORE === 'postgres') rows = await pgQuery(schema, appliedSql);
  else {
    const db = new Database(sys.hostDb, { readonly: true });
    t.teardown(() => db.close());
    rows = db.prepare(appliedSql).all() as Array<{ txn_id: string }>;
  }
  const applied = rows.map((r) => r.txn_id);
  t.equal(applied.length, N, 'every award applied once');
  t.equal(new Set(applied).size, N, 'none twice');
  const outOfOrder = applied.findIndex((txn, i) => txn !== `p-${i}`);
  t.equal(outOfOrder, -1, outOfOrder === -1 ? 'in the order the till took them' : `first out of order at ${outOfOrder}: ${applied.slice(outOfOrder - 2, outOfOrder + 3).join(', ')}`);
  const r = await pos.request('identify', { by: 'card', value: '6006490000000001' });
  t.match(r, { ok: true, result: { customer: { balance: { amount: 1000 + N * 10 } } } }, 'the balance the till expects');

  const lines = hosts.flatMap(handled);
  t.ok(lines.some((l) => l.chain === 'after' && Number(l.applied) > 0), 'requests were pipelined (chained after one in flight)');
  t.ok(handled(hosts[1]!).some((l) => Number(l.applied) > 0), 'host b applied a share');
  const agentLines = sys.agent.lines();
  t.comment(`agent: ${agentLines.filter((l) => l.msg === 'outbox delivery failed; will resend').length} timed-out or failed requests`);
  t.comment(`requests handled: a ${handled(hosts[0]!).length}, b ${handled(hosts[1]!).length}; refused: ${hosts.flatMap((h) => h.lines()).filter((l) => l.refused === true).length}`);
});
