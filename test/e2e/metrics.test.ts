// The Prometheus endpoint of a real agent: served on loopback and counting.
import t from 'tap';
import { freePort } from '../helpers/ports.ts';
import { startSystem } from '../helpers/system.ts';

t.test('metrics endpoint counts requests by op and outcome and reports the outbox', async (t) => {
  const port = await freePort();
  const sys = await startSystem(t, { startHost: false, agent: { metrics: { listen: `127.0.0.1:${port}` } } });
  await sys.waitOnline();
  const pos = await sys.pos();
  await pos.request('status');
  await pos.request('status');
  await pos.request('teleport');
  const basket = { currency: 'EUR', total: 100, items: [{ sku: 'A', qty: 1, unit_price: 100, amount: 100 }] };
  await sys.broker.kill();
  await pos.request('award', { txn_id: 'm-1', customer_id: 'alice', basket });
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  t.equal(res.status, 200);
  const text = await res.text();
  t.match(text, /till_requests_total\{op="status",outcome="OK"\} [2-9]/);
  t.match(text, /till_requests_total\{op="unknown",outcome="UNKNOWN_OP"\} 1/);
  t.match(text, /till_request_duration_seconds_bucket\{le="[^"]+",op="award"\}/);
  t.match(text, /till_outbox_pending 1/);
  t.match(text, /till_uplink_connected 0/);
  // The process's own figures, under their standard names.
  const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(text)?.[1]);
  t.ok(rss > 10 * 2 ** 20 && rss < 2 ** 31, `resident memory reported (${rss} bytes)`);
  t.match(text, /^process_cpu_seconds_total \d/m);
  t.match(text, /^nodejs_heap_size_used_bytes \d/m);
  t.match(text, /^nodejs_eventloop_lag_p99_seconds \d/m);
  t.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
});
