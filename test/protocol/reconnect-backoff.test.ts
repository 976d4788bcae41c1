import t from 'tap';
import mqtt from 'mqtt';
import { createServer } from 'node:net';
import { backOffReconnects, RECONNECT_MAX_MS, reconnectDelay, warnOnAttempt, type FailedAttempt } from '../../protocol/reconnect-backoff.ts';

t.test('reconnect delay: 1 s doubling, capped at 30 s', async (t) => {
  const table: Array<[number, number]> = [[0, 1000], [1, 1000], [2, 2000], [3, 4000], [4, 8000], [5, 16000], [6, 30000], [7, 30000], [1000, 30000]];
  for (const [attempt, ms] of table) t.equal(reconnectDelay(attempt), ms, `attempt ${attempt}`);
  t.equal(RECONNECT_MAX_MS, 30_000);
});

t.test('a repeated error warns on attempts 1, 2, 4, 8, …; a new one always', async (t) => {
  const warned = Array.from({ length: 70 }, (_, i) => i + 1).filter((n) => warnOnAttempt(n, true));
  t.same(warned, [1, 2, 4, 8, 16, 32, 64]);
  t.ok(warnOnAttempt(3, false));
  t.ok(warnOnAttempt(1000, false));
});

t.test('a configured backoff: its own first wait, doubling up to its own longest', async (t) => {
  const backoff = { minMs: 200, maxMs: 1000 };
  t.same([1, 2, 3, 4, 5, 40].map((a) => reconnectDelay(a, backoff)), [200, 400, 800, 1000, 1000, 1000]);
  t.same([1, 2].map((a) => reconnectDelay(a, { minMs: 5000, maxMs: 5000 })), [5000, 5000], 'min = max: a fixed period');
});

t.test('a real MQTT.js client retries a closed port at the configured waits', async (t) => {
  // A port that refuses: bound, then closed, so nothing listens there now.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 100, connectTimeout: 2000 });
  const failures: FailedAttempt[] = [];
  const enough = new Promise<void>((resolve) => {
    backOffReconnects(client, { minMs: 100, maxMs: 300 }, (failure) => {
      failures.push(failure);
      if (failures.length === 5) resolve();
    });
  });
  await enough;
  await client.endAsync(true);
  // What MQTT.js was told to wait after each refused attempt: 100, 200, then the longest, 300.
  t.same(failures.map((f) => f.retryInMs), [100, 200, 300, 300, 300]);
  t.same(failures.map((f) => f.attempt), [1, 2, 3, 4, 5]);
  t.ok(failures.every((f) => /ECONNREFUSED/.test(f.error.message)));
});

t.test('a failed TLS connect is one failure, reported once (MQTT.js emits its error twice)', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  const client = mqtt.connect(`mqtts://127.0.0.1:${port}`, { reconnectPeriod: 100, connectTimeout: 2000 });
  let emitted = 0;
  client.on('error', () => { emitted += 1; });
  const failures: FailedAttempt[] = [];
  await new Promise<void>((resolve) => {
    backOffReconnects(client, { minMs: 100, maxMs: 100 }, (failure) => {
      failures.push(failure);
      if (failures.length === 3) resolve();
    });
  });
  await client.endAsync(true);
  t.ok(emitted >= 5, `MQTT.js emitted ${emitted} errors for 3 attempts`);
  t.same(failures.map((f) => f.attempt), [1, 2, 3], 'one report per attempt');
});
