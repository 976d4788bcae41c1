// Two real host processes on one real mosquitto and one store (a SQLite file; one PostgreSQL
// schema in test/host/postgres/service-behaviour.test.ts), sharing the load via the shared subscription:
// every request is answered, every purchase applied exactly once.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { parseUpstreamResponse, type UpstreamRequest, type UpstreamResponse } from '../../protocol/upstream.ts';
import { startBroker } from '../helpers/broker.ts';
import { TEST_STORE, award, basket, request, writeSeed } from '../helpers/host-fixtures.ts';
import { TEST_PG_URL, pgQuery, pgTestSchema } from '../helpers/pg.ts';
import { spawnHost } from '../helpers/host-process.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const PURCHASES = 200;

t.test('two hosts share one fleet and one ledger', async (t) => {
  const broker = await startBroker(t);
  const dir = await tempDir(t, 'till-two-hosts-');
  const seed = await writeSeed(dir);
  const schema = TEST_STORE === 'postgres' ? pgTestSchema(t) : '';
  const store = TEST_STORE === 'postgres' ? { store: 'postgres', postgres: { url: TEST_PG_URL, schema } } : {};
  const configs = await Promise.all(['a', 'b'].map(async (name) => {
    const file = join(dir, `host-${name}.yaml`);
    await writeFile(file, stringify({
      data_dir: join(dir, 'data'), seed, log_level: 'info', ...store, uplink: { url: broker.url, client_id: `two-hosts-${name}` },
    }));
    return file;
  }));
  const hosts = configs.map((file) => spawnHost(t, ['--config', file]));
  await Promise.all(hosts.map((h) => h.waitForLog('consumer subscribed')));

  const till = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `two-hosts-till-${process.pid}`, clean: true });
  t.teardown(() => till.endAsync(true));
  const responses: UpstreamResponse[] = [];
  till.on('message', (_topic, payload) => {
    const parsed = parseUpstreamResponse(JSON.parse(payload.toString()));
    if (parsed.ok) responses.push(parsed.value);
  });
  await till.subscribeAsync('till/v1/M1/+/+/res', { qos: 1 });

  // 200 purchases from 4 tills; then 20 resent as is (same message id) and 10 resent under a
  // new message id with the same txn id, as a till does after a lost response.
  const sent: UpstreamRequest[] = [];
  const expected: Record<string, number> = { P1: 1000, P3: 0 };
  for (let i = 0; i < PURCHASES; i++) {
    const terminal = `T${i % 4}`;
    const customer = i % 2 === 0 ? 'P1' : 'P3';
    const amount = 1000 + 10 * i;
    expected[customer] = (expected[customer] ?? 0) + amount / 10; // ALL10 offer: 10%
    sent.push(request([award(customer, basket([['COFFEE', amount]]), `txn-${i}`)], { merchant: 'M1', store: 'S1', terminal }, `till/v1/M1/S1/${terminal}/res`));
  }
  const resent = sent.slice(0, 20);
  const renamed = sent.slice(20, 30).map((r) => {
    const m = r.messages[0];
    if (!m || m.op !== 'award' || !m.txn_id) throw new Error('fixture');
    return request([award(m.payload.customer_id, m.payload.basket, m.txn_id)], r.source, r.reply_to);
  });
  const all = [...sent, ...resent, ...renamed];
  const publish = (r: UpstreamRequest) =>
    till.publishAsync(`till/v1/M1/S1/${r.source.terminal}/req`, JSON.stringify(r), {
      qos: 1, properties: { responseTopic: r.reply_to, correlationData: Buffer.from(r.request_id) },
    });
  await Promise.all(all.map(publish));
  await waitFor(() => responses.length >= all.length, { what: `${all.length} responses (got ${responses.length})`, timeout: 30_000 });

  const byRequest = new Map<string, UpstreamResponse[]>();
  for (const r of responses) byRequest.set(r.request_id, [...(byRequest.get(r.request_id) ?? []), r]);
  t.equal(byRequest.size, sent.length + renamed.length, 'every request answered');
  t.ok(responses.every((r) => r.results.length === 1 && r.results[0]?.ok), 'every message ok');
  for (const r of renamed) {
    const original = sent.find((s) => s.messages[0]?.txn_id === r.messages[0]?.txn_id);
    const first = byRequest.get(original?.request_id ?? '')?.[0]?.results[0];
    const again = byRequest.get(r.request_id)?.[0]?.results[0];
    if (!first?.ok || !again?.ok) throw new Error('missing results');
    t.same(again.result, first.result, `txn ${r.messages[0]?.txn_id}: the stored result under a new message id`);
  }

  const query = async <R>(sql: string): Promise<R[]> => {
    if (TEST_STORE === 'postgres') return pgQuery<R>(schema, sql);
    const db = new Database(join(dir, 'data', 'host.db'), { readonly: true });
    try {
      return db.prepare(sql).all() as R[];
    } finally {
      db.close();
    }
  };
  const balances = Object.fromEntries(
    (await query<{ id: string; balance: number }>('SELECT participant_id AS id, balance FROM wallets')).map((w) => [w.id, Number(w.balance)]),
  );
  t.equal(balances.P1, expected.P1, 'P1: every purchase applied exactly once');
  t.equal(balances.P3, expected.P3, 'P3: every purchase applied exactly once');
  const [awards] = await query<{ n: number; txns: number }>("SELECT COUNT(*) AS n, COUNT(DISTINCT terminal || txn_id) AS txns FROM entries WHERE kind = 'award'");
  t.same({ n: Number(awards?.n), txns: Number(awards?.txns) }, { n: PURCHASES, txns: PURCHASES }, 'one award entry per purchase');

  // A host writes its 'request handled' line just after the answer, which may reach this process first.
  const handledCount = () => hosts.reduce((n, h) => n + h.logs().filter((l) => l.msg === 'request handled').length, 0);
  await waitFor(() => handledCount() >= all.length, { what: () => `${all.length} 'request handled' lines (got ${handledCount()})`, timeout: 30_000 }).catch(() => {});
  const handled = hosts.map((h) => h.logs().filter((l) => l.msg === 'request handled'));
  const counts = handled.map((h) => h.length);
  t.equal(counts[0]! + counts[1]!, all.length, `every delivery handled by one host (${counts.join(' + ')})`);
  t.ok(counts.every((c) => c > 0), 'both hosts took a share');
  const applied = handled.flat().reduce((s, l) => s + Number(l.applied), 0);
  t.equal(applied, PURCHASES, 'duplicates were answered, not applied');
  for (const h of hosts) {
    t.notMatch(h.stdout(), /6006\s?4912/, 'no card number in the logs');
  }

  const exits = await Promise.all(hosts.map((h) => h.stop('SIGTERM')));
  t.same(exits, [{ code: 0, signal: null }, { code: 0, signal: null }], 'SIGTERM stops both cleanly');
  t.ok(hosts.every((h) => h.logs().some((l) => l.msg === 'host stopped')));
});
