// `npm start -- --backend crmcom-sim` and `sessionm-sim`: the demo's host answers through the
// real connector from a simulator in the demo's process; the walkthrough's customer is there.
import t from 'tap';
import { join } from 'node:path';
import { WALKTHROUGH } from '../../cli/commands/demo-walkthrough.ts';
import { cli } from '../helpers/cli.ts';
import { startDemo } from '../helpers/demo.ts';
import { connectPos } from '../helpers/pos-client.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('--backend crmcom-sim: identify and award through the CRM.COM connector', async (t) => {
  const dir = await tempDir(t, 'till-demo-crmcom-');
  const demo = await startDemo(t, join(dir, 'data'), { extra: ['--backend', 'crmcom-sim'] });
  t.match(demo.output(), /host backend crmcom-sim: simulator at http:\/\/127\.0\.0\.1:\d+\/crmapi\/rest\/v2\//);
  const pos = await connectPos({ port: demo.port });
  t.teardown(() => pos.close());
  t.match(await pos.request('identify', WALKTHROUGH.identify.params), { ok: true, result: { customer: { id: 'P-1001', balance: { amount: 2500 } } } });
  const { params } = WALKTHROUGH.award;
  t.match(await pos.request('award', params), { ok: true, result: { status: 'awarded' } });
  t.match(await pos.request('offers', { customer_id: 'P-1001' }), { ok: false, error: { code: 'UNSUPPORTED' } });
});

t.test('--backend sessionm-sim: offers come from the SessionM simulator', async (t) => {
  const dir = await tempDir(t, 'till-demo-sessionm-');
  const demo = await startDemo(t, join(dir, 'data'), { extra: ['--backend', 'sessionm-sim'] });
  const pos = await connectPos({ port: demo.port });
  t.teardown(() => pos.close());
  t.match(await pos.request('identify', WALKTHROUGH.identify.params), { ok: true, result: { customer: { id: 'P-1001', name: 'Alice Martin' } } });
  t.match(await pos.request('offers', { customer_id: 'P-1001' }), { ok: true, result: { offers: [{ id: 'UO-ALICE-ESPRESSO' }] } });
});

t.test('--backend with an unknown value is bad usage', async (t) => {
  const r = await cli('demo', '--backend', 'oracle');
  t.equal(r.code, 2);
  t.match(r.out, /--backend: must be one of ledger, crmcom-sim, sessionm-sim/);
});
