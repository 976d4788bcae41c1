// The host's group commit (host/ledger.ts deferCommitSync, runtime/wal-sync.ts) behind the consumer,
// against a real mosquitto and a SQLite ledger whose WAL fdatasync is injected: an answer leaves
// only after an fdatasync that began after its request's commit has completed, the next request
// is applied meanwhile, and a failed sync withholds every answer it covered, for good. A request that
// finds the host idle is synced on the host's own thread (durableNow) and answered right after.
import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { Consumer } from '../../host/consumer.ts';
import { Ledger } from '../../host/ledger.ts';
import { LedgerBackend } from '../../host/ledger-backend/ledger-backend.ts';
import { applySeed, loadSeedFile } from '../../host/seed.ts';
import { silentLogger } from '../../runtime/log.ts';
import type { SyncFn, SyncNowFn } from '../../runtime/wal-sync.ts';
import { uplinkConfigSchema } from '../../protocol/uplink-config.ts';
import { startBroker } from '../helpers/broker.ts';
import { award, basket, request, writeSeed } from '../helpers/host-fixtures.ts';
import { capturingLogger } from '../helpers/log-capture.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const SETTINGS = { timezone: 'UTC', reduction: 'front_end' as const, default_product: { sku: 'UNKNOWN', name: 'Unknown product' } };

/** fdatasync calls held until the test completes them (with an error, or none). */
function heldSync() {
  const calls: Array<(error: NodeJS.ErrnoException | null) => void> = [];
  const sync: SyncFn = (_fd, callback) => { calls.push(callback); };
  return { sync, calls };
}

async function setup(t: Test, { sync, calls }: ReturnType<typeof heldSync>, syncNow?: SyncNowFn, idleMs?: number) {
  const dir = await tempDir(t, 'till-host-group-');
  const file = join(dir, 'host.db');
  const ledger = Ledger.open(file);
  applySeed(ledger, loadSeedFile(await writeSeed(dir)), silentLogger());
  ledger.deferCommitSync(sync, syncNow);
  const broker = await startBroker(t);
  const { log, lines } = capturingLogger();
  const failures: unknown[] = [];
  const backend = new LedgerBackend(ledger, SETTINGS, log);
  const consumer = new Consumer({
    uplink: uplinkConfigSchema.parse({ url: broker.url }),
    clientId: 'host-group-commit',
    persistentSession: false,
    handle: (batch) => backend.handle(batch),
    durable: () => ledger.durable(),
    ...(syncNow ? { durableNow: () => ledger.durableNow() } : {}),
    ...(idleMs !== undefined ? { idleMs } : {}),
    onStorageFailure: (error) => failures.push(error),
    log,
  });
  await consumer.start();
  await consumer.ready;
  const till = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'till-group-commit', clean: true });
  const answered: string[] = [];
  till.on('message', (_topic, payload) => answered.push((JSON.parse(payload.toString()) as { request_id: string }).request_id));
  await till.subscribeAsync('till/v1/M1/S1/T1/res', { qos: 1 });
  // What another process reading the file sees: committed rows, synced or not.
  const reader = new Database(file, { readonly: true });
  t.teardown(async () => {
    // Syncs still held would hold the consumer's stop (it lets waiting answers go first).
    for (const complete of calls) complete(null);
    reader.close();
    await till.endAsync(true);
    await consumer.stop();
    ledger.close();
  });
  const committed = (txnId: string) => reader.prepare("SELECT 1 FROM entries WHERE txn_id = ? AND kind = 'award'").get(txnId) !== undefined;
  const send = async (txnId: string) => {
    const req = request([award('P1', basket([['COFFEE', 1000]]), txnId)]);
    await till.publishAsync('till/v1/M1/S1/T1/req', JSON.stringify(req), { qos: 1 });
    return req.request_id;
  };
  const handledLine = (requestId: string) => lines.find((l) => l.msg === 'request handled' && l.request_id === requestId);
  return { ledger, lines, failures, answered, committed, send, handledLine, consumer };
}

/** MQTT control packet types (fixed header: type in the high nibble, then the remaining length). */
function packetTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    types.push(bytes[i]! >> 4);
    let length = 0;
    let shift = 0;
    let b: number;
    do {
      b = bytes[++i]!;
      length += (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    i += 1 + length;
  }
  return types;
}

/** Each write the host's MQTT socket makes, as the packet types it carries. */
function recordWrites(consumer: Consumer): number[][] {
  const stream = (consumer as unknown as { client: { stream: Socket } }).client.stream as Socket & {
    _write(chunk: Buffer, encoding: string, cb: () => void): void;
    _writev(chunks: Array<{ chunk: Buffer }>, cb: () => void): void;
  };
  const writes: number[][] = [];
  const write = stream._write.bind(stream);
  const writev = stream._writev.bind(stream);
  stream._write = (chunk, encoding, cb) => { writes.push(packetTypes(Buffer.from(chunk))); write(chunk, encoding, cb); };
  stream._writev = (chunks, cb) => { writes.push(packetTypes(Buffer.concat(chunks.map((c) => Buffer.from(c.chunk))))); writev(chunks, cb); };
  return writes;
}
const PUBLISH = 3;
const PUBACK = 4;

t.test('an answer waits for the fdatasync that covers its commit; the next request is applied meanwhile', async (t) => {
  const held = heldSync();
  const { calls } = held;
  const { answered, committed, send, handledLine } = await setup(t, held);

  const a = await send('txn-a');
  await waitFor(() => (committed('txn-a') && calls.length === 1) || undefined, { what: 'request a committed, its sync begun' });
  const b = await send('txn-b');
  await waitFor(() => committed('txn-b') || undefined, { what: 'request b applied while a waits for the disk' });
  t.equal(handledLine(a), undefined, 'a is not answered before its sync completes');
  t.same(answered, [], 'the till has no answer yet');
  t.equal(calls.length, 1, 'b waits for a sync of its own: the one in flight began before b committed');

  calls[0]!(null);
  await waitFor(() => answered.includes(a) || undefined, { what: 'a answered once its sync completed' });
  await waitFor(() => calls.length === 2 || undefined, { what: "b's sync begun" });
  t.equal(handledLine(b), undefined, "b is not answered by a's sync");
  t.notOk(answered.includes(b), 'the till has no answer to b yet');

  calls[1]!(null);
  await waitFor(() => answered.includes(b) || undefined, { what: 'b answered once its own sync completed' });
  t.same(answered, [a, b], 'in commit order');
  t.match(handledLine(a), { applied: 1, sync_ms: Number }, 'the log line says how long the answer waited for the disk');
});

t.test('a failed fdatasync: nothing it covers is answered, nor anything after; said loudly', async (t) => {
  const held = heldSync();
  const { calls } = held;
  const { ledger, lines, failures, answered, committed, send, handledLine } = await setup(t, held);

  const a = await send('txn-a');
  await waitFor(() => (committed('txn-a') && calls.length === 1) || undefined, { what: 'request a committed, its sync begun' });
  const b = await send('txn-b');
  await waitFor(() => committed('txn-b') || undefined, { what: 'request b applied' });

  const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  calls[0]!(eio);
  const withheld = (id: string) => lines.find((l) => l.msg === 'answer withheld: the ledger could not be synced to disk' && l.request_id === id);
  await waitFor(() => (withheld(a) && withheld(b)) || undefined, { what: 'both answers withheld' });
  t.equal(calls.length, 1, "no later sync is trusted to cover a's pages: none is even tried");
  t.ok(lines.some((l) => (l.level === 60 || l.level === 'fatal') && String(l.msg).startsWith('ledger fsync failed')), 'a fatal log line');
  t.same(failures, [eio], 'the host is told once (it stops and exits; cli/commands/host.ts)');
  await t.rejects(ledger.durable(), eio, 'durable() fails from now on');
  t.equal(handledLine(a), undefined);
  t.equal(handledLine(b), undefined);
  t.same(answered, [], 'the till got no answer: it resends, and dedup answers once a sound host has it on disk');
});

/** Blocks this thread for ms (a slow fdatasync on the host's own thread). */
function block(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

t.test('an idle host syncs on its own thread, then answers; a request buffered behind it shares the group commit', async (t) => {
  const held = heldSync();
  const { calls } = held;
  const seen: Array<{ committed: boolean; answered: number }> = [];
  let check = (): { committed: boolean; answered: number } => ({ committed: false, answered: -1 });
  const syncNow: SyncNowFn = () => {
    seen.push(check());
    // Slow enough that b arrives while a's sync runs: b is then buffered, not awaited by an idle host.
    if (seen.length === 1) block(300);
  };
  // In this process the till and the test share the host's event loop: "idle" is a longer pause here.
  const { answered, committed, send, handledLine } = await setup(t, held, syncNow, 100);
  check = () => ({ committed: committed('txn-a'), answered: answered.length });

  const a = await send('txn-a');
  const b = await send('txn-b');
  await waitFor(() => answered.includes(a) || undefined, { what: 'a answered' });
  t.same(seen, [{ committed: true, answered: 0 }], "a's sync ran on the host's thread, after its commit, before any answer");
  t.match(handledLine(a), { applied: 1, sync_ms: Number });

  await waitFor(() => (committed('txn-b') && calls.length === 1) || undefined, { what: 'b applied, its sync on the thread pool' });
  t.equal(seen.length, 1, 'b, buffered behind a, did not find the host idle: group commit');
  t.notOk(answered.includes(b), 'b waits for its sync');
  calls[0]!(null);
  await waitFor(() => answered.includes(b) || undefined, { what: 'b answered once its sync completed' });
  t.same(answered, [a, b]);

  // Idle again, with no sync in flight: the next request is synced here.
  await new Promise((resolve) => setTimeout(resolve, 150));
  const c = await send('txn-c');
  await waitFor(() => answered.includes(c) || undefined, { what: 'c answered' });
  t.equal(seen.length, 2, "c's sync ran on the host's thread");
  t.equal(calls.length, 1, 'none more on the thread pool');
});

t.test("an idle host's answer and its request's PUBACK leave in one write, the answer first", async (t) => {
  const held = heldSync();
  const { answered, send, consumer } = await setup(t, held, () => {}, 100);
  const writes = recordWrites(consumer);
  const a = await send('txn-a');
  await waitFor(() => answered.includes(a) || undefined, { what: 'a answered' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(writes.filter((w) => w.includes(PUBLISH) || w.includes(PUBACK)), [[PUBLISH, PUBACK]], 'one write: the answer, then the PUBACK');
  t.equal(held.calls.length, 0, 'synced on the host\'s thread');
});

t.test('a failed sync on the host\'s thread: the answer is withheld, and every later one', async (t) => {
  const held = heldSync();
  const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  const { ledger, lines, failures, answered, committed, send, handledLine } = await setup(t, held, () => { throw eio; });

  const a = await send('txn-a');
  const withheld = (id: string) => lines.find((l) => l.msg === 'answer withheld: the ledger could not be synced to disk' && l.request_id === id);
  await waitFor(() => withheld(a) || undefined, { what: "a's answer withheld" });
  t.ok(committed('txn-a'), 'committed, but not known to be on disk');
  t.same(failures, [eio], 'the host is told once');
  t.ok(lines.some((l) => (l.level === 60 || l.level === 'fatal') && String(l.msg).startsWith('ledger fsync failed')), 'a fatal log line');
  await t.rejects(ledger.durable(), eio, 'durable() fails from now on');
  t.throws(() => ledger.durableNow(), eio, 'and durableNow()');
  const b = await send('txn-b');
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.notOk(committed('txn-b'), 'a host whose storage failed applies nothing more');
  t.equal(handledLine(a), undefined);
  t.equal(handledLine(b), undefined);
  t.same(answered, [], 'the till got no answer: it resends');
});
