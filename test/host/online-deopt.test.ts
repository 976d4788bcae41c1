// The host's online path (decodeRequest → HostService.handle → encodeResponse, one award per request)
// is not deoptimised once V8 has optimised it. In Node 20, `map`/`filter`/`flatMap` results are packed
// arrays while their caller is interpreted and holey once TurboFan inlines them, and an object made by
// a spread followed by more properties gets a hidden class of its own once optimised: every consumer
// optimised before its producer was thrown away and compiled again ("wrong map": award, rewards,
// computeRewards, runMessages, recordChain, decodeRequest, encodeResponse; 10–130 ms of TurboFan each,
// issue 10). runtime/packed.ts and request.ts batchOf make the same arrays and objects in every tier.
import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const at = (path: string) => JSON.stringify(fileURLToPath(new URL(path, import.meta.url)));
// The child runs the TypeScript as the test processes do (package.json "tap" "node-arg").
const COMPILED_TS = fileURLToPath(new URL('../helpers/compiled-ts.mjs', import.meta.url));

// The child seeds an in-memory ledger with the sample seed and handles 6,000 chained single-award
// requests from their JSON text, as the consumer does (the four sample customers in turn).
const CHILD = `
import { Ledger } from ${at('../../host/ledger.ts')};
import { applySeed, loadSeedFile } from ${at('../../host/seed.ts')};
import { HostService } from ${at('../../host/service.ts')};
import { decodeRequest } from ${at('../../host/request.ts')};
import { encodeResponse } from ${at('../../host/result-json.ts')};
import { silentLogger } from ${at('../../runtime/log.ts')};
const ledger = Ledger.open(':memory:');
applySeed(ledger, loadSeedFile(${at('../../host/seed.sample.yaml')}), silentLogger());
const service = new HostService(ledger, { timezone: 'Europe/Paris', reduction: 'front_end', default_product: { sku: 'UNKNOWN', name: 'Unknown' } }, silentLogger());
const customers = ['P-1001', 'P-1002', 'P-1003', 'P-1004'];
const item = (sku, name, qty, unit_price, category) => ({ sku, name, qty, unit_price, amount: qty * unit_price, category, tax_included: true });
let applied = 0;
for (let seq = 1; seq <= 6000; seq++) {
  const basket = { currency: 'EUR', total: 470, tax_total: 43, store: 'S1', items: [item('4006381333931', 'Espresso', 2, 160, 'hot-drinks'), item('3017620422003', 'Croissant', 1, 150, 'bakery')] };
  const message = { id: 'm-' + seq, seq, txn_id: 't-' + seq, created_at: new Date().toISOString(), op: 'award', payload: { customer_id: customers[seq % 4], basket } };
  const payload = JSON.stringify({
    v: 1, request_id: 'r-' + seq, reply_to: 'till/v1/M1/S1/T1/res', source: { merchant: 'M1', store: 'S1', terminal: 'T1' },
    sent_at: new Date().toISOString(), chain: seq === 1 ? { start: true } : { after: seq - 1 }, messages: [message],
  });
  const decoded = decodeRequest(Buffer.from(payload));
  if (decoded.kind !== 'batch') throw new Error('not a batch');
  const summary = service.handle(decoded.batch);
  applied += summary.applied;
  if (!encodeResponse(summary.response).includes('"ok":true')) throw new Error('not ok');
}
console.log('applied ' + applied);
`;

t.test('the online award path is not deoptimised once optimised', async (t) => {
  const { stdout } = await run(process.execPath, ['--import', COMPILED_TS, '--trace-deopt-verbose', '--input-type=module', '-e', CHILD], {
    maxBuffer: 256 * 1024 * 1024,
  });
  t.match(stdout, /applied 6000/); // V8's trace and console.log share stdout: not on a line of its own
  const ours = stdout.split('\n').filter((l) => l.includes(';;; deoptimize at') && /\/(host|runtime)\/[\w-]+\.ts/.test(l));
  t.same(ours, [], 'no deopt in host/ or runtime/');
});
