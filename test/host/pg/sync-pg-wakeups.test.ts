// SyncPg blocks on Atomics.wait until its worker has answered. A wake-up with no answer behind it
// (the previous answer's notify arriving late, once seen in CI on a loaded machine) must make it
// wait again, not fail the statement: here another thread notifies the flag all the time while
// statements run, and each must get its own answer.
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { SyncPg } from '../../../host/pg/sync-pg.ts';
import { TEST_PG_URL, pgTestSchema } from '../../helpers/pg.ts';

t.test('a wake-up without an answer is waited through, and every statement gets its own answer', async (t) => {
  const conn = new SyncPg({ url: TEST_PG_URL, schema: pgTestSchema(t) });
  conn.connect();
  t.teardown(() => conn.close());
  // The flag is private: the test reaches it to play the late notify, from a thread of its own.
  const signal = (conn as unknown as { signal: Int32Array }).signal;
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const notifier = new Worker(`
    const { workerData: { signal, stop } } = require('node:worker_threads');
    while (Atomics.load(stop, 0) === 0) Atomics.notify(signal, 0);
  `, { eval: true, workerData: { signal, stop } });
  const gone = new Promise((resolve) => notifier.once('exit', resolve));
  t.teardown(async () => {
    Atomics.store(stop, 0, 1);
    await gone;
  });
  await new Promise((resolve) => notifier.once('online', resolve));

  let wrong = 0;
  for (let i = 0; i < 200; i++) {
    const { rows } = conn.query<{ n: number }>('SELECT $1::int AS n', [i]);
    if (rows[0]?.n !== i) wrong++;
  }
  t.equal(wrong, 0, '200 statements, each answered with its own result');
  t.ok(conn.connected, 'the connection is still there');
});

t.test('a stale 1 on the flag with no answer behind it (the previous answer\'s, stored late) is taken back, not read as a stopped worker', async (t) => {
  const conn = new SyncPg({ url: TEST_PG_URL, schema: pgTestSchema(t) });
  conn.connect();
  t.teardown(() => conn.close());
  const signal = (conn as unknown as { signal: Int32Array }).signal;
  const stop = new Int32Array(new SharedArrayBuffer(4));
  // Plays the worker's late `Atomics.store(signal, 0, 1)` after the caller's 0, over and over:
  // before the fix the first 'not-equal' without an answer closed the connection.
  const storer = new Worker(`
    const { workerData: { signal, stop } } = require('node:worker_threads');
    while (Atomics.load(stop, 0) === 0) { Atomics.store(signal, 0, 1); Atomics.notify(signal, 0); }
  `, { eval: true, workerData: { signal, stop } });
  const gone = new Promise((resolve) => storer.once('exit', resolve));
  t.teardown(async () => {
    Atomics.store(stop, 0, 1);
    await gone;
  });
  await new Promise((resolve) => storer.once('online', resolve));
  let wrong = 0;
  for (let i = 0; i < 50; i++) {
    const { rows } = conn.query<{ n: number }>('SELECT $1::int AS n', [i]);
    if (rows[0]?.n !== i) wrong++;
  }
  t.equal(wrong, 0, '50 statements, each answered with its own result');
  t.ok(conn.connected, 'the connection is still there');
});
