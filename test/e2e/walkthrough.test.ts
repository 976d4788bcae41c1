// README's walkthrough, as a newcomer does it: the README's own lines against a real demo,
// cards typed on the demo's input, the operator commands finding the demo by its data dir.
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { WALKTHROUGH, line, type WalkthroughStep } from '../../cli/commands/demo-walkthrough.ts';
import { INSTALLED_CONFIG } from '../../cli/commands/locate-config.ts';
import { cli, cliIn } from '../helpers/cli.ts';
import { REPO, isAlive, startDemo } from '../helpers/demo.ts';
import { connectPos } from '../helpers/pos-client.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const readme = await readFile(join(REPO, 'README.md'), 'utf8');
const walkthrough = readme.slice(readme.indexOf('## A 5-minute walkthrough'), readme.indexOf('## Devices'));

t.test("README's request lines are the demo's, ids and all", async (t) => {
  const lines = walkthrough.match(/\{"id":\d+,"op":[^\n`]*\}/g) ?? [];
  const known = new Set(Object.keys(WALKTHROUGH).map((step) => line(step as WalkthroughStep)));
  for (const l of lines) t.ok(known.has(l), `README line is a walkthrough line: ${l.slice(0, 80)}`);
  for (const step of Object.keys(WALKTHROUGH)) t.ok(walkthrough.includes(line(step as WalkthroughStep)), `README shows ${step}`);
  const ids = Object.values(WALKTHROUGH).map((r) => r.id);
  t.same(ids, [...ids].sort((a, b) => a - b), 'ids in walkthrough order');
  t.equal(new Set(ids).size, ids.length, 'ids unique');
});

t.test('the walkthrough works as written against npm start', async (t) => {
  const dir = await tempDir(t, 'till-walk-');
  const data = join(dir, 'data');
  const demo = await startDemo(t, data);
  for (const step of ['hello', 'identify', 'award', 'conflict', 'print', 'subscribeScans'] as const) {
    t.ok(demo.output().includes(line(step)), `the banner shows README's ${step} line`);
  }
  t.match(demo.output(), `config       ${join(data, 'config.yaml')}`, 'the banner says which config the agent runs with');

  const pos = await connectPos({ port: demo.port });
  const send = async (step: WalkthroughStep) => {
    const r = WALKTHROUGH[step];
    return pos.request(r.op, 'params' in r ? r.params : undefined, r.id);
  };
  t.match(await send('hello'), { ok: true, result: { terminal: 'T1', protocol: 2 } });
  t.match(await send('identify'), { ok: true, result: { customer: { id: 'P-1001', name: 'Alice Martin', balance: { amount: 2500, currency: 'EUR' } } } });
  const preview = await send('preview') as { ok: true; result: { offers: Array<{ id: string }> } };
  for (const id of ['BASE5', 'CROISSANT-NOW', 'HOTDRINKS']) t.ok(preview.result.offers.some((o) => o.id === id), `preview offers ${id}`);
  const award = await send('award');
  t.match(award, { ok: true, result: { status: 'awarded', txn_id: 'demo-1' } });
  type Money = { amount: number; currency: string };
  const first = (award as { result: { instant_spend_amount: number; total_spend_amount: number; balance: Money; wallets?: Money[] } }).result;
  t.match(await send('spend'), { ok: true, result: { status: 'spent', spent_amount: 200, additional_spend_amount: 200, total_spend_amount: first.instant_spend_amount + 200 } });
  // The balance after the spend too, not the first answer's (LOCAL.md "Redemption total").
  const afterSpend = { amount: first.balance.amount - 200, currency: first.balance.currency };
  const wallets = first.wallets?.map((w) => (w.currency === afterSpend.currency ? afterSpend : w));
  t.same(await send('award'), { ...award, result: { ...first, additional_spend_amount: 200, total_spend_amount: first.total_spend_amount + 200, balance: afterSpend, ...(wallets ? { wallets } : {}) } },
    'line 4 again: the same sale, applied once; its redemption total now counts the spend, its balance is after it');
  t.match(await send('conflict'), { ok: false, error: { code: 'CONFLICT' } }, "README's CONFLICT recipe yields CONFLICT");
  t.match(await send('subscribeUplink'), { ok: true });
  t.match(await send('status'), { ok: true, result: { uplink: { connected: true }, outbox: { pending: 0, dead: 0 } } });
  t.match(await send('print'), { ok: true, result: { status: 'printed', loyalty: true } });
  // The printed bill adds up: what the spend took off it (its redemption total) is the loyalty payment.
  // ../shared/seeds/000: "the POS system can calculate the redemption amount, reduce it from the total amount of the
  // sales transactions, and close the sales transaction with the customer's payment".
  const printed = await readFile(join(data, 'agent', 'receipts', (await readdir(join(data, 'agent', 'receipts'))).find((f) => f.endsWith('.txt'))!), 'utf8');
  t.match(printed, /\nTOTAL +4\.70 EUR\n[^]*\nLoyalty +2\.50 EUR\nCard +2\.20 EUR\n[^]*\nRedemption total +-2\.50 EUR\n/, 'the receipt: total, loyalty and card payments, the redemption total');
  t.match(await send('subscribeScans'), { ok: true });

  demo.type('6006491234567890'); // the demo's input is a pipe here
  await pos.waitForEvent('scan', (d) => (d as { data?: string }).data === '6006491234567890', 15_000);
  await pos.waitForEvent('identified', (d) => (d as { customer?: { id: string } }).customer?.id === 'P-1001', 15_000);

  const voided = await send('void') as { ok: true; result: { balance: { amount: number } } };
  t.match(voided, { ok: true, result: { status: 'voided' } });
  pos.send('{oops\n');
  t.match(await pos.nextFrame(), { ok: false, error: { code: 'BAD_FRAME' } });
  t.match(await send('badAmount'), { ok: false, error: { code: 'BAD_REQUEST', message: /params\.amount/ } });
  const synced = await send('products') as { ok: true; result: { sync_id: string } };
  t.match(synced, { ok: true, result: { accepted: 1, batches: 1, mode: 'delta', sync_id: /\S/ } });
  const sync = await waitFor(async () => {
    const r = await pos.request('products.status', { sync_id: synced.result.sync_id });
    return r.ok && (r.result as { state: string }).state === 'done' ? r.result : undefined;
  }, { what: 'the catalogue synced' });
  t.match(sync, { mode: 'delta', synced: 1, deleted: null, results: [{ batch: 1, state: 'done', accepted: 1 }] }, 'products.status as README says');
  t.match(await send('status'), { ok: true, result: { offline: { count: 0, offline_age_s: 0, limits: { max_age_s: 86_400 } } } }, 'status shows the offline policy');
  // The points member README lists (host/seed.sample.yaml): her tier, both wallets, the points the walkthrough's basket earns.
  t.match(await pos.request('identify', { by: 'card', value: '6006491234567924' }),
    { ok: true, result: { customer: { id: 'P-1004', tier: 'platinum', balance: { amount: 1500, currency: 'EUR' }, wallets: [{ amount: 1500, currency: 'EUR' }, { amount: 250, currency: 'PTS' }] } } });
  const dara = await pos.request('preview', { ...WALKTHROUGH.preview.params, customer_id: 'P-1004' }) as { ok: true; result: { offers: Array<{ id: string }> } };
  // 4 whole euros: 4 + 2 × 4 for platinum + 25 on coffee.
  t.match(dara, { ok: true, result: { points: [{ amount: 37, currency: 'PTS' }], wallets: [{ amount: 1500 }, { amount: 250 }] } });
  for (const id of ['PTS-PER-EURO', 'PLATINUM-PTS', 'PLATINUM-COFFEE']) t.ok(dara.result.offers.some((o) => o.id === id), `Dara's preview offers ${id}`);
  const alice = await pos.request('preview', WALKTHROUGH.preview.params) as { ok: true; result: Record<string, unknown> };
  t.notOk('points' in alice.result, 'Alice holds no points wallet: no points offers for her');
  await pos.close();

  // Step 8 and the receipt preview: operator commands reach the demo through --data …
  const status = await cli('status', '--data', data);
  t.equal(status.code, 0, status.out);
  t.match(status.out, /uplink\s+online/);
  t.match(await cli('scan', '6006491234567890', '--data', data), { code: 0, out: /scanned on scanner0/ });
  t.match(await cli('outbox', 'list', '--state', 'done', '--data', data), { code: 0, out: /award\s+demo-1/ });
  const exported = await cli('outbox', 'export', '--data', data);
  t.equal(exported.code, 0, exported.out);
  t.match(exported.out, /"op":"void","txn_id":"demo-1"/);
  t.match(await cli('outbox', 'export', '--data', join(data, 'agent')), { code: 0, out: /"op":"void"/ }, "--data may name the agent's data_dir too");
  const out = join(dir, 'r.png');
  const preview8 = await cli('receipt', 'preview', '--txn', 'demo-1', '--data', data, '--out', out);
  t.equal(preview8.code, 0, preview8.out);
  const text = await readFile(join(dir, 'r.txt'), 'utf8');
  const after = (voided.result.balance.amount / 100).toFixed(2);
  t.match(text, new RegExp(`New balance +${after.replace('.', '\\.')} EUR`), 'the balance after the void');
  t.match(text, /Customer: Alice Martin/, 'the customer by name, as on the printed receipt');
  t.match(text, /This sale was voided/);

  // … and without any flag from the directory the demo was started in (./data).
  if (existsSync(INSTALLED_CONFIG)) t.comment(`not checked: ${INSTALLED_CONFIG} exists here and takes precedence over ./data`);
  else t.match(await cliIn(dir, 'status'), { code: 0, out: /uplink\s+online/ }, 'bare status finds the demo in ./data');

  // A second demo on the same data dir or port: one line, exit 3, nothing started or touched.
  const again = await cli('demo', '--data', data, '--port', String(demo.port + 1));
  t.equal(again.code, 3);
  t.match(again.out.trim(), new RegExp(`^till-agent demo: a demo is already running with the data directory ${data} \\(pid ${demo.pid}\\)[^\\n]*$`));
  const port = await cli('demo', '--data', join(dir, 'other'), '--port', String(demo.port));
  t.equal(port.code, 3);
  t.match(port.out.trim(), new RegExp(`^till-agent demo: port ${demo.port} \\(POS socket\\) is already in use[^\\n]*--port N$`));
  t.notOk(existsSync(join(dir, 'other')), 'the refused demo created nothing');

  demo.child.kill('SIGINT');
  t.same(await demo.exited, { code: 0, signal: null }, 'SIGINT stops the demo cleanly');
  t.notOk(isAlive(demo.pid));
  t.notOk(existsSync(join(data, 'demo.pid')), 'its pid file is gone');
  t.match(await cli('status', '--data', data), { code: 1, out: /cannot reach the agent/ }, 'status after the demo stopped');
});
