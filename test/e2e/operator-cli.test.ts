// Operator commands against a running agent: status, outbox list/retry/export, --help.
import t from 'tap';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cli } from '../helpers/cli.ts';
import { startSystem } from '../helpers/system.ts';
import { tempDir } from '../helpers/tmp.ts';

const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;

t.test('status and outbox commands talk to the running agent', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const status = await cli('status', '--config', sys.agentConfig);
  t.equal(status.code, 0, status.out);
  t.match(status.out, /uplink\s+online since/);
  t.match(status.out, /outbox\s+0 pending \(oldest -\), 0 dead/);
  const json = await cli('status', '--tcp', `127.0.0.1:${sys.agentPort}`, '--json');
  t.match(JSON.parse(json.out), { uplink: { connected: true } });

  const pos = await sys.pos();
  const basket = { currency: 'EUR', total: 100, items: [{ sku: 'A', qty: 1, unit_price: 100, amount: 100 }] };
  await pos.request('award', { txn_id: 'ghost-1', customer_id: 'ghost', basket });
  const list = await cli('outbox', 'list', '--config', sys.agentConfig);
  t.equal(list.code, 0, list.out);
  t.match(list.out, /0 pending, 1 dead/);
  t.match(list.out, /award\s+ghost-1.*NOT_FOUND/);
  const exported = await cli('outbox', 'export', '--config', sys.agentConfig);
  const rows = exported.out.trim().split('\n').map((l) => JSON.parse(l) as { txn_id: string; state: string });
  t.match(rows, [{ txn_id: 'ghost-1', state: 'dead' }]);
  const retry = await cli('outbox', 'retry', '--all', '--config', sys.agentConfig);
  t.match(retry.out, /1 message\(s\) put back in the queue/);
  t.match(await cli('outbox', 'retry', 'nope', '--config', sys.agentConfig), { code: 1, out: /NOT_FOUND/ });
});

t.test('control characters in stored fields are escaped, never sent to the terminal raw', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  // The host's dead-letter message repeats the customer id; the item name is in the stored payload.
  const customer = 'evil\u001b[2J\u001b]0;pwned\u0007\r\u202e';
  const basket = { currency: 'EUR', total: 100, items: [{ sku: 'A', name: 'X\u009b31m\u0085', qty: 1, unit_price: 100, amount: 100 }] };
  await pos.request('award', { txn_id: 'esc-1', customer_id: customer, basket });
  const outputs = {
    list: await cli('outbox', 'list', '--config', sys.agentConfig),
    json: await cli('outbox', 'list', '--json', '--config', sys.agentConfig),
    exported: await cli('outbox', 'export', '--config', sys.agentConfig),
  };
  t.match(outputs.list.out, /award\s+esc-1 .*NOT_FOUND: unknown customer evil\\u001b\[2J\\u001b\]0;pwned\\u0007\\u000d\\u202e/);
  for (const [name, r] of Object.entries(outputs)) {
    t.equal(r.code, 0, `${name}: ${r.out}`);
    t.notMatch(r.out.replace(/\n/g, ''), RAW_CONTROL, `${name}: no raw control character`);
  }
  const listed = JSON.parse(outputs.json.out) as { messages: Array<{ payload: { customer_id: string; basket: typeof basket } }> };
  t.same(listed.messages[0]!.payload.basket.items[0]!.name, basket.items[0]!.name, '--json still decodes to the stored value');
  const row = JSON.parse(outputs.exported.out.trim()) as { customer_id: string };
  t.equal(row.customer_id, customer, 'export still decodes to the stored value');
});

t.test('run with its port in use: one clear log line and exit 3', async (t) => {
  const dir = await tempDir(t, 'till-inuse-');
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => taken.close(resolve)));
  const port = (taken.address() as net.AddressInfo).port;
  const config = join(dir, 'agent.yaml');
  await writeFile(config, `terminal: T1\nstore: S1\nmerchant: M\ndata_dir: data\nsocket: { tcp: "127.0.0.1:${port}", unix: false }\nuplink: { url: "mqtt://127.0.0.1:9" }\n`);
  const r = await cli('run', '--config', config);
  t.equal(r.code, 3);
  const fatal = r.out.trim().split('\n').map((l) => JSON.parse(l) as { level: number | string; msg: string; reason?: string; err?: unknown })
    .filter((l) => l.level === 60 || l.level === 'fatal');
  t.equal(fatal.length, 1, r.out);
  t.match(fatal[0], { msg: new RegExp(`could not start: socket\\.tcp 127\\.0\\.0\\.1:${port}: EADDRINUSE.*another program listens there`), config_key: 'socket.tcp' });
  t.notOk(fatal[0]!.err, 'no stack trace');
});

t.test('status when no agent runs: a clear message and exit 1', async (t) => {
  const r = await cli('status', '--socket', '/nonexistent/till.sock');
  t.equal(r.code, 1);
  t.match(r.out, /cannot reach the agent/);
  // outbox list: the agent stopped (a setup problem, a damaged database) still has its queue on disk.
  const list = await cli('outbox', 'list', '--socket', '/nonexistent/till.sock');
  t.equal(list.code, 1);
  t.match(list.out, /cannot reach the agent.*\n\s+with the agent stopped, its queue is read from the database file: till-agent outbox export --config FILE/);
});

t.test('usage errors through the real binary: named, exit 2 (every command: test/cli/commands/flags.test.ts)', async (t) => {
  t.match(await cli('status', '--frob'), { code: 2, out: /^till-agent status: unknown option --frob\nRun "till-agent status --help" for its options\.\n$/ });
  t.match(await cli('status', '-h'), { code: 0, out: /^till-agent status / });
  t.equal((await cli('frobnicate')).code, 2);
});
