// Operator commands against a running agent: status, outbox list/retry/export, --help.
import t from 'tap';
import { cli } from '../helpers/cli.ts';
import { startSystem } from '../helpers/system.ts';



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

t.test('status when no agent runs: a clear message and exit 1', async (t) => {
  const r = await cli('status', '--socket', '/nonexistent/till.sock');
  t.equal(r.code, 1);
  t.match(r.out, /cannot reach the agent/);
});

t.test('--help on every command', async (t) => {
  const commands = ['run', 'host', 'demo', 'doctor', 'status', 'outbox', 'scan', 'scan-test', 'print-test', 'ports', 'receipt'];
  const answers = await Promise.all(commands.map((command) => cli(command, '--help')));
  for (const [i, command] of commands.entries()) {
    t.equal(answers[i]!.code, 0, `${command} --help exits 0`);
    t.match(answers[i]!.out, new RegExp(`^till-agent ${command}\\b`), `${command} --help starts with its usage`);
  }
  const usage = (await cli('--help')).out;
  t.match(usage, /Commands:/);
  for (const command of commands) t.match(usage, new RegExp(`\\n  ${command}\\b`), `${command} is in the command list`);
  t.equal((await cli('frobnicate')).code, 2);
});
