// SyncPg blocks on Atomics.wait until its worker has answered. A wake-up with no answer behind it
// (the previous answer's notify arriving late, once seen in CI on a loaded machine) must make it
// wait again, not fail the statement: here another thread notifies the flag all the time while
// statements run, and each must get its own answer. Likewise a 1 stored late on the flag with no
// answer behind it (the previous answer's): taken back, not read as a stopped worker.
import t, { type Test } from 'tap';
import { Worker } from 'node:worker_threads';
import { SyncPg } from '../../../host/pg/sync-pg.ts';
import { TEST_PG_URL, pgTestSchema } from '../../helpers/pg.ts';

/** Runs `loop` (a statement on `signal`) in a thread of its own until the test ends: the flag is private, the test reaches it. */
async function noiseThread(t: Test, conn: SyncPg, loop: string): Promise<void> {
  const signal = (conn as unknown as { signal: Int32Array }).signal;
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Worker(`
    const { workerData: { signal, stop } } = require('node:worker_threads');
    while (Atomics.load(stop, 0) === 0) { ${loop} }
  `, { eval: true, workerData: { signal, stop } });
  const gone = new Promise((resolve) => thread.once('exit', resolve));
  t.teardown(async () => {
    Atomics.store(stop, 0, 1);
    await gone;
  });
  await new Promise((resolve) => thread.once('online', resolve));
}

function connected(t: Test): SyncPg {
  const conn = new SyncPg({ url: TEST_PG_URL, schema: pgTestSchema(t) });
  conn.connect();
  t.teardown(() => conn.close());
  return conn;
}

/** `count` statements, each must get its own answer, and the connection must stay. */
function statements(t: Test, conn: SyncPg, count: number): void {
  let wrong = 0;
  for (let i = 0; i < count; i++) {
    const { rows } = conn.query<{ n: number }>('SELECT $1::int AS n', [i]);
    if (rows[0]?.n !== i) wrong++;
  }
  t.equal(wrong, 0, `${count} statements, each answered with its own result`);
  t.ok(conn.connected, 'the connection is still there');
}

t.test('a wake-up without an answer is waited through, and every statement gets its own answer', async (t) => {
  const conn = connected(t);
  // The previous answer's late notify, all the time.
  await noiseThread(t, conn, 'Atomics.notify(signal, 0);');
  statements(t, conn, 200);
});

t.test('a stale 1 on the flag with no answer behind it (the previous answer\'s, stored late) is taken back, not read as a stopped worker', async (t) => {
  const conn = connected(t);
  // The worker's late `Atomics.store(signal, 0, 1)` after the caller's 0, over and over: before
  // the fix the first 'not-equal' without an answer closed the connection.
  await noiseThread(t, conn, 'Atomics.store(signal, 0, 1); Atomics.notify(signal, 0);');
  statements(t, conn, 50);
});
