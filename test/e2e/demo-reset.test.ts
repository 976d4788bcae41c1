// `npm start -- --reset`: the walkthrough again from the seed's balances; never under a running demo.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WALKTHROUGH } from '../../cli/commands/demo-walkthrough.ts';
import { cli } from '../helpers/cli.ts';
import { startDemo } from '../helpers/demo.ts';
import { connectPos } from '../helpers/pos-client.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('--reset starts again from the seed; refused while the demo runs', async (t) => {
  const dir = await tempDir(t, 'till-reset-');
  const data = join(dir, 'data');
  const first = await startDemo(t, data);
  const pos = await connectPos({ port: first.port });
  const { params } = WALKTHROUGH.award;
  t.match(await pos.request('award', params), { ok: true, result: { status: 'awarded' } });
  await pos.close();
  const refused = await cli('demo', '--data', data, '--reset', '--port', String(first.port + 1));
  t.equal(refused.code, 3, 'no reset under a running demo');
  t.ok(existsSync(join(data, 'agent', 'till-agent.db')));
  first.child.kill('SIGTERM');
  t.same(await first.exited, { code: 0, signal: null });

  const second = await startDemo(t, data, { extra: ['--reset'] });
  t.match(second.output(), `reset: removed the demo's ledger, outbox, receipts and config from ${data}`);
  const again = await connectPos({ port: second.port });
  t.match(await again.request('identify', WALKTHROUGH.identify.params), { ok: true, result: { customer: { balance: { amount: 2500 } } } }, 'the seed balance again');
  t.match(await again.request('void', { txn_id: 'demo-1' }), { ok: false, error: { code: 'NOT_FOUND' } }, 'the old sale is gone');
  await again.close();
});
